package integration

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

var counter atomic.Int64

func uniq(prefix string) string { return prefix + "-" + strconv.FormatInt(counter.Add(1), 10) }

// env is one test's world (harness.World: a namespace, a client, an AWS
// client that talks to the emulator directly, bypassing the deny proxy),
// with the short names these tests use for its parts.
type env struct {
	*harness.World
	t    *testing.T
	ctx  context.Context
	ns   string
	kube client.Client
	aws  *elb.Client
}

func newEnv(t *testing.T) *env {
	t.Helper()
	w := harness.NewWorld(t, shared.cluster, shared.emu.URL())
	w.RunAs(shared.controller)
	w.Log = testr.NewWithOptions(t, testr.Options{Verbosity: 0})
	return &env{World: w, t: t, ctx: w.Ctx, ns: w.NS, kube: w.Kube, aws: w.AWS}
}

// controllerOptions are fast settings for tests; each test's controller
// watches only its own namespace, so tests run in parallel.
func (e *env) controllerOptions() manager.Options {
	o := e.ControllerOptions()
	o.DriftInterval = time.Minute
	o.HealthPollInterval = 200 * time.Millisecond
	o.BadInputRetry = 2 * time.Second
	o.MaxBackoff = 2 * time.Second
	return o
}

// controller is a running in-process controller.
type controller struct {
	registry *prometheus.Registry
	stop     func()
}

// startController runs the controller until the returned stop is called or
// the test ends.
func (e *env) startController(o manager.Options) *controller {
	e.t.Helper()
	c := e.StartController(o)
	return &controller{registry: c.Registry, stop: c.Stop}
}

func (e *env) create(o client.Object) {
	e.t.Helper()
	e.Create(o)
}

func (e *env) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	e.t.Helper()
	e.Eventually(timeout, what, cond)
}

// targetGroup creates an ip target group behind an ALB listener (so its
// targets get health checked) and returns its ARN.
func (e *env) targetGroup(mutate ...func(*elb.CreateTargetGroupInput)) string {
	e.t.Helper()
	in := &elb.CreateTargetGroupInput{
		Name:            aws.String(uniq("tg")),
		Protocol:        elbtypes.ProtocolEnumHttp,
		Port:            aws.Int32(8080),
		VpcId:           aws.String("vpc-0a1b2c3d4e5f60718"),
		TargetType:      elbtypes.TargetTypeEnumIp,
		HealthCheckPath: aws.String("/healthz"),
	}
	for _, m := range mutate {
		m(in)
	}
	arn := e.TargetGroup(in)
	port, err := process.FreePort()
	if err != nil {
		e.t.Fatal(err)
	}
	// AWS attaches an ipv6 group only to a dualstack load balancer.
	ipType := elbtypes.IpAddressTypeIpv4
	if in.IpAddressType == elbtypes.TargetGroupIpAddressTypeEnumIpv6 {
		ipType = elbtypes.IpAddressTypeDualstack
	}
	lb, err := e.aws.CreateLoadBalancer(e.ctx, &elb.CreateLoadBalancerInput{Name: aws.String(uniq("lb")), Type: elbtypes.LoadBalancerTypeEnumApplication, IpAddressType: ipType})
	if err != nil {
		e.t.Fatalf("CreateLoadBalancer: %v", err)
	}
	_, err = e.aws.CreateListener(e.ctx, &elb.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn,
		Protocol:        elbtypes.ProtocolEnumHttp,
		Port:            aws.Int32(int32(port)),
		DefaultActions:  []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(arn)}},
	})
	if err != nil {
		e.t.Fatalf("CreateListener: %v", err)
	}
	return arn
}

func (e *env) targetHealth(arn string) map[string]string { return e.TargetHealth(arn) }

func (e *env) members(arn string) []string { return e.Members(arn) }

// waitMembers waits until the group's non-draining targets are want.
func (e *env) waitMembers(arn string, want func() []string, timeout time.Duration) {
	e.t.Helper()
	e.eventually(timeout, "target group "+arn+" to hold the expected targets", func() (bool, string) {
		w := want()
		slices.Sort(w)
		got := e.members(arn)
		return slices.Equal(got, w), fmt.Sprintf("got %v, want %v", got, w)
	})
}

func (e *env) waitHealthy(arn string, n int, timeout time.Duration) {
	e.t.Helper()
	e.eventually(timeout, fmt.Sprintf("%d healthy targets in %s", n, arn), func() (bool, string) {
		h := e.targetHealth(arn)
		healthy := 0
		for _, s := range h {
			if s == "healthy" {
				healthy++
			}
		}
		return healthy == n && len(h) == n, fmt.Sprintf("health %v", h)
	})
}

// readyPodTargets are "podIP:port" of the Ready pods matching the labels.
func (e *env) readyPodTargets(labels map[string]string, port int32) []string {
	e.t.Helper()
	return e.readyPodAddrs(labels, port, "")
}

// app creates a Deployment whose pods serve HTTP on containerPort (named
// "http") with a readiness probe on /healthz, and a Service on port 80 whose
// port is named "web".
func (e *env) app(name string, replicas int32, containerPort int32) map[string]string {
	e.t.Helper()
	a := testcluster.App{Name: name, Replicas: replicas, ContainerPort: containerPort, ServicePortName: "web", ReadinessProbe: true}
	d := a.Deployment()
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(1))
	// One failed probe takes the pod out, so tests see unreadiness at once.
	d.Spec.Template.Spec.Containers[0].ReadinessProbe.FailureThreshold = 1
	e.create(d)
	e.create(a.Service())
	return a.Labels()
}

func (e *env) scale(name string, replicas int32) {
	e.t.Helper()
	d := &appsv1.Deployment{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: name}, d); err != nil {
		e.t.Fatalf("getting deployment %s: %v", name, err)
	}
	orig := d.DeepCopy()
	d.Spec.Replicas = ptr.To(replicas)
	if err := e.kube.Patch(e.ctx, d, client.MergeFrom(orig)); err != nil {
		e.t.Fatalf("scaling %s: %v", name, err)
	}
}

// selectorlessService is a Service whose EndpointSlices the test writes.
func (e *env) selectorlessService(name string, port int32) {
	e.t.Helper()
	e.create(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: port, Protocol: corev1.ProtocolTCP}}},
	})
}

// slice writes (creates or replaces) an EndpointSlice of the Service with
// ready endpoints at ips on port. As the EndpointSlice controller's would,
// each endpoint names by its targetRef a Pod with that address: a stand-in
// (standInPod) that slice creates when missing.
func (e *env) slice(service, name string, port int32, ips ...string) {
	e.t.Helper()
	var eps []discoveryv1.Endpoint
	for _, ip := range ips {
		p := e.standInPod(standInName(ip), ip)
		eps = append(eps, discoveryv1.Endpoint{
			Addresses:  []string{ip},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: e.ns, Name: p.Name, UID: p.UID},
		})
	}
	e.writeSlice(service, name, port, eps)
}

// bareSlice writes an EndpointSlice whose ready endpoints at ips have no
// targetRef and no Pod behind them, as a hand-written slice of a
// selectorless Service may.
func (e *env) bareSlice(service, name string, port int32, ips ...string) {
	e.t.Helper()
	var eps []discoveryv1.Endpoint
	for _, ip := range ips {
		eps = append(eps, discoveryv1.Endpoint{Addresses: []string{ip}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}})
	}
	e.writeSlice(service, name, port, eps)
}

func standInName(ip string) string {
	return "pod-" + strings.NewReplacer(".", "-", ":", "-").Replace(ip)
}

// standInPod returns the Pod name with the IPs given (status.podIPs, the
// first also status.podIP), running and Ready, creating it if missing. No kubelet runs it: its
// schedulerName is one no scheduler and not the loopback kubelet takes, so
// it stays unbound, and the test writes its status as a kubelet would.
func (e *env) standInPod(name string, ips ...string) *corev1.Pod {
	e.t.Helper()
	p := &corev1.Pod{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: name}, p); err == nil {
		return p
	}
	p = &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: corev1.PodSpec{
			SchedulerName: "integration-test-stand-in",
			Containers:    []corev1.Container{{Name: "app", Image: "stand-in"}},
		},
	}
	e.create(p)
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	p.Status.PodIP = ips[0]
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	if err := e.kube.Status().Update(e.ctx, p); err != nil {
		e.t.Fatalf("writing the status of stand-in Pod %s: %v", name, err)
	}
	return p
}

func (e *env) writeSlice(service, name string, port int32, eps []discoveryv1.Endpoint) {
	e.t.Helper()
	e.writeSliceOf(discoveryv1.AddressTypeIPv4, service, name, port, eps)
}

// writeSliceOf is writeSlice for a slice of addressType typ.
func (e *env) writeSliceOf(typ discoveryv1.AddressType, service, name string, port int32, eps []discoveryv1.Endpoint) {
	e.t.Helper()
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns, Labels: map[string]string{
			discoveryv1.LabelServiceName: service,
			discoveryv1.LabelManagedBy:   "integration-test",
		}},
		AddressType: typ,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("web"), Port: ptr.To(port), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints:   eps,
	}
	existing := &discoveryv1.EndpointSlice{}
	if err := e.kube.Get(e.ctx, client.ObjectKeyFromObject(s), existing); err == nil {
		s.ResourceVersion = existing.ResourceVersion
		if err := e.kube.Update(e.ctx, s); err != nil {
			e.t.Fatalf("updating EndpointSlice %s: %v", name, err)
		}
		return
	}
	e.create(s)
}

type bindingOption = func(*v1alpha1.TargetGroupBinding)

func (e *env) binding(name, service string, port intstr.IntOrString, arn string, opts ...bindingOption) *v1alpha1.TargetGroupBinding {
	e.t.Helper()
	return e.Binding(name, service, port, arn, opts...)
}

func (e *env) getBinding(name string) *v1alpha1.TargetGroupBinding {
	e.t.Helper()
	tgb := &v1alpha1.TargetGroupBinding{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: name}, tgb); err != nil {
		e.t.Fatalf("getting binding %s: %v", name, err)
	}
	return tgb
}

// waitReady waits for the binding's Ready condition to have this status and
// reason, and returns the binding.
func (e *env) waitReady(name string, status metav1.ConditionStatus, reason string, timeout time.Duration) *v1alpha1.TargetGroupBinding {
	e.t.Helper()
	var tgb *v1alpha1.TargetGroupBinding
	e.eventually(timeout, fmt.Sprintf("binding %s Ready=%s/%s", name, status, reason), func() (bool, string) {
		tgb = e.getBinding(name)
		c := meta.FindStatusCondition(tgb.Status.Conditions, v1alpha1.ConditionReady)
		if c == nil {
			return false, "no Ready condition"
		}
		return c.Status == status && c.Reason == reason && c.ObservedGeneration == tgb.Generation,
			fmt.Sprintf("Ready=%s/%s: %s", c.Status, c.Reason, c.Message)
	})
	return tgb
}

// waitEvent waits for an Event with this reason (and type) on the object.
func (e *env) waitEvent(name, typ, reason string, timeout time.Duration) eventsv1.Event {
	e.t.Helper()
	var found eventsv1.Event
	e.eventually(timeout, fmt.Sprintf("%s Event %s on %s", typ, reason, name), func() (bool, string) {
		var list eventsv1.EventList
		if err := e.kube.List(e.ctx, &list, client.InNamespace(e.ns)); err != nil {
			return false, err.Error()
		}
		var seen []string
		for _, ev := range list.Items {
			if ev.Regarding.Name == name && ev.Type == typ && ev.Reason == reason {
				found = ev
				return true, ""
			}
			seen = append(seen, ev.Regarding.Name+"/"+ev.Reason)
		}
		return false, "events: " + strings.Join(seen, ", ")
	})
	return found
}

// calls returns the emulator's calls on arn, optionally only those after t.
func calls(arn string, after time.Time) []emulator.Call {
	var out []emulator.Call
	for _, c := range shared.emu.Calls() {
		if c.TargetGroupARN == arn && c.Time.After(after) {
			out = append(out, c)
		}
	}
	return out
}

func countCalls(cs []emulator.Call, action string) int {
	n := 0
	for _, c := range cs {
		if c.Action == action {
			n++
		}
	}
	return n
}

// metricValue sums a metric's samples whose labels include match.
func metricValue(reg *prometheus.Registry, name string, match map[string]string) (float64, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, err
	}
	sum, found := 0.0, false
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	sample:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range match {
				if labels[k] != v {
					continue sample
				}
			}
			found = true
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	if !found {
		return 0, errors.New("no sample of " + name)
	}
	return sum, nil
}

// waitReadyPods waits until exactly n pods with the labels are Ready and
// not terminating, and returns their targets on port.
func (e *env) waitReadyPods(labels map[string]string, n int, port int32, timeout time.Duration) []string {
	e.t.Helper()
	var got []string
	e.eventually(timeout, fmt.Sprintf("%d ready pods", n), func() (bool, string) {
		got = e.readyPodTargets(labels, port)
		var pods corev1.PodList
		_ = e.kube.List(e.ctx, &pods, client.InNamespace(e.ns), client.MatchingLabels(labels))
		var states []string
		for _, p := range pods.Items {
			ready := "?"
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady {
					ready = string(c.Status)
				}
			}
			states = append(states, fmt.Sprintf("%s phase=%s ip=%s ready=%s deleting=%v", p.Name, p.Status.Phase, p.Status.PodIP, ready, p.DeletionTimestamp != nil))
		}
		return len(got) == n, strings.Join(states, "; ")
	})
	return got
}

// labelNamespace sets a label on the test's namespace, e.g. one a
// TargetGroupPolicy selects or the readiness gate injection label.
func (e *env) labelNamespace(key, value string) {
	e.t.Helper()
	ns := &corev1.Namespace{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Name: e.ns}, ns); err != nil {
		e.t.Fatal(err)
	}
	patch := client.MergeFrom(ns.DeepCopy())
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[key] = value
	if err := e.kube.Patch(e.ctx, ns, patch); err != nil {
		e.t.Fatal(err)
	}
}
