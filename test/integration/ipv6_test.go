package integration

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

func ipv6Group(in *elb.CreateTargetGroupInput) {
	in.IpAddressType = elbtypes.TargetGroupIpAddressTypeEnumIpv6
}

func ipAddressType(t v1alpha1.IPAddressType) bindingOption {
	return func(b *v1alpha1.TargetGroupBinding) { b.Spec.IPAddressType = t }
}

// requireDualStack makes the Service ask the API server for a cluster IP
// of each family, so that the EndpointSlice controller writes a slice per
// family.
func requireDualStack(s *corev1.Service) {
	s.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
	s.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
}

// readyPodAddrs are "addr:port" of each Ready pod's address of family, as
// targets.Target prints them; with family "", of its primary address
// (status.podIP).
func (e *env) readyPodAddrs(labels map[string]string, port int32, family corev1.IPFamily) []string {
	e.t.Helper()
	var pods corev1.PodList
	if err := e.kube.List(e.ctx, &pods, client.InNamespace(e.ns), client.MatchingLabels(labels)); err != nil {
		e.t.Fatalf("listing pods: %v", err)
	}
	var out []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.PodIP == "" || !isTrue(podCondition(&p, corev1.PodReady)) {
			continue
		}
		ips := []corev1.PodIP{{IP: p.Status.PodIP}}
		if family != "" {
			ips = p.Status.PodIPs
		}
		for _, ip := range ips {
			a := netip.MustParseAddr(ip.IP)
			if family == "" || a.Is6() == (family == corev1.IPv6Protocol) {
				out = append(out, netip.AddrPortFrom(a, uint16(port)).String())
			}
		}
	}
	slices.Sort(out)
	return out
}

// familyOf reads the family of a target written "addr:port".
func familyOf(t *testing.T, target string) corev1.IPFamily {
	t.Helper()
	ap, err := netip.ParseAddrPort(target)
	if err != nil {
		// The emulator's call log writes an IPv6 target unbracketed.
		i := strings.LastIndex(target, ":")
		a, err := netip.ParseAddr(target[:i])
		if err != nil {
			t.Fatalf("target %q has no address: %v", target, err)
		}
		ap = netip.AddrPortFrom(a, 0)
	}
	if ap.Addr().Is4() || ap.Addr().Is4In6() {
		return corev1.IPv4Protocol
	}
	return corev1.IPv6Protocol
}

// noIPv4Registered fails the test if any RegisterTargets call on the ipv6
// group named an IPv4 address, whether AWS took it or not.
func noIPv4Registered(t *testing.T, arn string) {
	t.Helper()
	for _, c := range calls(arn, time.Time{}) {
		if c.Action != "RegisterTargets" {
			continue
		}
		for _, id := range c.TargetIDs {
			if familyOf(t, id) == corev1.IPv4Protocol {
				t.Fatalf("RegisterTargets on ipv6 group %s named IPv4 target %s (result %s)", arn, id, c.Result)
			}
		}
	}
}

// A dual-stack Service has an EndpointSlice per family; a binding per
// family puts each family's addresses in its own group, and the emulator's
// health checks reach both through the dial map.
func TestADualStackServiceBoundTwiceKeepsEachFamilyInItsOwnGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := testcluster.App{Name: "dual", Replicas: 2, ContainerPort: 8080, ServicePortName: "web", ReadinessProbe: true}
	d := a.Deployment()
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(1))
	e.create(d)
	svc := a.Service()
	requireDualStack(svc)
	e.create(svc)

	v4ARN, v6ARN := e.targetGroup(), e.targetGroup(ipv6Group)
	e.binding("v4", "dual", intstr.FromInt32(80), v4ARN, ipAddressType(v1alpha1.IPAddressTypeIPv4))
	e.binding("v6", "dual", intstr.FromInt32(80), v6ARN, ipAddressType(v1alpha1.IPAddressTypeIPv6))
	e.startController(e.controllerOptions())

	e.waitReadyPods(a.Labels(), 2, 8080, 30*time.Second)
	e.waitMembers(v4ARN, func() []string { return e.readyPodAddrs(a.Labels(), 8080, corev1.IPv4Protocol) }, 20*time.Second)
	e.waitMembers(v6ARN, func() []string { return e.readyPodAddrs(a.Labels(), 8080, corev1.IPv6Protocol) }, 20*time.Second)
	e.waitHealthy(v4ARN, 2, 20*time.Second)
	e.waitHealthy(v6ARN, 2, 20*time.Second)
	for arn, want := range map[string]corev1.IPFamily{v4ARN: corev1.IPv4Protocol, v6ARN: corev1.IPv6Protocol} {
		for _, m := range e.members(arn) {
			if f := familyOf(t, m); f != want {
				t.Errorf("group %s holds %s, an %s address; want %s only", arn, m, f, want)
			}
		}
	}
	e.waitReady("v4", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.waitReady("v6", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	noIPv4Registered(t, v6ARN)
}

// An IPv4 address never reaches an IPv6 group (the AWS Load Balancer
// Controller's users reported exactly that, in its issue 4775): not when
// the binding's spec says ipv4 while the group is ipv6, and not when the
// Service's IPv4 EndpointSlice changes beside the IPv6 one.
func TestAnIPv4AddressNeverReachesAnIPv6Group(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "dual"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
	requireDualStack(svc)
	e.create(svc)
	// Two stand-in pods, each with an address of each family; the slices
	// are written by hand, as another EndpointSlice writer would.
	e.writeFamilySlices("dual", 8080, [][2]string{{"10.244.209.1", "fd00:10:244::d101"}, {"10.244.209.2", "fd00:10:244::d102"}})

	specV4ARN, autoARN := e.targetGroup(ipv6Group), e.targetGroup(ipv6Group)
	e.binding("spec-v4", "dual", intstr.FromInt32(80), specV4ARN, ipAddressType(v1alpha1.IPAddressTypeIPv4))
	e.binding("auto", "dual", intstr.FromInt32(80), autoARN)
	e.startController(e.controllerOptions())

	t.Run("the group's own family is taken when the spec names none", func(t *testing.T) {
		e.waitMembers(autoARN, func() []string { return []string{"[fd00:10:244::d101]:8080", "[fd00:10:244::d102]:8080"} }, 20*time.Second)
	})
	t.Run("a spec that says ipv4 for an ipv6 group registers nothing", func(t *testing.T) {
		tgb := e.waitReady("spec-v4", metav1.ConditionFalse, v1alpha1.ReasonIPFamilyMismatch, 20*time.Second)
		c := meta.FindStatusCondition(tgb.Status.Conditions, v1alpha1.ConditionReady)
		if !strings.Contains(c.Message, "spec.ipAddressType") || !strings.Contains(c.Message, specV4ARN) {
			t.Errorf("Ready message %q does not name spec.ipAddressType and the group", c.Message)
		}
		e.waitEvent("spec-v4", corev1.EventTypeWarning, v1alpha1.ReasonIPFamilyMismatch, 10*time.Second)
		if got := e.members(specV4ARN); len(got) != 0 {
			t.Errorf("group %s holds %v, want nothing", specV4ARN, got)
		}
	})
	t.Run("a new IPv4 endpoint changes nothing in the IPv6 group", func(t *testing.T) {
		before := time.Now()
		e.writeFamilySlices("dual", 8080, [][2]string{{"10.244.209.1", "fd00:10:244::d101"}, {"10.244.209.2", "fd00:10:244::d102"}, {"10.244.209.3", ""}})
		// The binding syncs the slice change: it reads the group again or
		// not, but it must not call RegisterTargets.
		time.Sleep(2 * time.Second)
		if n := countCalls(calls(autoARN, before), "RegisterTargets"); n != 0 {
			t.Errorf("%d RegisterTargets calls on the ipv6 group after an IPv4-only endpoint appeared, want 0", n)
		}
		if got, want := e.members(autoARN), []string{"[fd00:10:244::d101]:8080", "[fd00:10:244::d102]:8080"}; !slices.Equal(got, want) {
			t.Errorf("members = %v, want %v", got, want)
		}
	})
	noIPv4Registered(t, autoARN)
	noIPv4Registered(t, specV4ARN)
}

// writeFamilySlices writes the Service's IPv4 and IPv6 EndpointSlices, one
// endpoint per pod in each for the addresses it has ("" for none), each
// naming its stand-in pod.
func (e *env) writeFamilySlices(service string, port int32, pods [][2]string) {
	e.t.Helper()
	var v4, v6 []discoveryv1.Endpoint
	for _, ips := range pods {
		var addrs []string
		for _, ip := range ips {
			if ip != "" {
				addrs = append(addrs, ip)
			}
		}
		p := e.standInPod(standInName(ips[0]), addrs...)
		ref := &corev1.ObjectReference{Kind: "Pod", Namespace: e.ns, Name: p.Name, UID: p.UID}
		ready := discoveryv1.EndpointConditions{Ready: ptr.To(true)}
		v4 = append(v4, discoveryv1.Endpoint{Addresses: []string{ips[0]}, Conditions: ready, TargetRef: ref})
		if ips[1] != "" {
			v6 = append(v6, discoveryv1.Endpoint{Addresses: []string{ips[1]}, Conditions: ready, TargetRef: ref})
		}
	}
	e.writeSlice(service, service+"-v4", port, v4)
	e.writeSliceOf(discoveryv1.AddressTypeIPv6, service, service+"-v6", port, v6)
}

// A readiness gate on an ipv6 group waits for the pod's IPv6 target, the
// one the binding registers, even when the binding leaves
// spec.ipAddressType out and the Service is dual stack (whose primary
// family is IPv4): the gate takes the group's family, as the binding does.
func TestAGateOnAnIPv6GroupWaitsForThePodsIPv6Target(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a := testcluster.App{Name: "gated6", Replicas: 2, ServicePortName: "web"}
	d := a.Deployment()
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(1))
	d.Spec.Template.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType("gated6")}}
	e.create(d)
	svc := a.Service()
	requireDualStack(svc)
	e.create(svc)
	arn := e.targetGroup(ipv6Group)
	e.binding("gated6", "gated6", intstr.FromInt32(80), arn)
	e.startController(e.controllerOptions())

	e.eventually(30*time.Second, "both pods Ready through their gates", func() (bool, string) {
		var state []string
		ready := 0
		for _, p := range e.pods(a.Labels()) {
			if isTrue(podCondition(&p, corev1.PodReady)) {
				ready++
			}
			state = append(state, fmt.Sprintf("%s gate=%v", p.Name, podCondition(&p, podgate.ConditionType("gated6"))))
		}
		return ready == 2, strings.Join(state, "; ") + "; group " + strings.Join(e.members(arn), ",")
	})
	for _, m := range e.members(arn) {
		if familyOf(t, m) != corev1.IPv6Protocol {
			t.Errorf("group holds %s, want IPv6 targets only", m)
		}
	}
	e.waitHealthy(arn, 2, 10*time.Second)
}
