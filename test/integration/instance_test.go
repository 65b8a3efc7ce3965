package integration

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	gatecontroller "github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// These tests give tgc nodes of their own: Node objects no kubelet runs,
// each an EC2 instance the emulator knows, labelled with the test's
// namespace so that a nodeSelector keeps other tests' nodes out; and
// NodePort Services without selector whose EndpointSlices the test writes,
// placing each pod on a node. Nothing listens at the instances' addresses,
// so their targets fail their health checks: these tests are about which
// nodes are registered.

var instanceCounter atomic.Uint32

// testNode creates a Ready node of its own EC2 instance, labelled for this
// test, that the emulator knows; deleted when the test ends.
func (e *env) testNode(opts ...func(*corev1.Node)) *corev1.Node {
	e.t.Helper()
	n := instanceCounter.Add(1)
	id := fmt.Sprintf("i-%017x", 0xa0000+n)
	// An address in 127.0.11.0/24, which no loopback kubelet claims:
	// nothing answers there.
	if err := shared.emu.SetInstance(id, netip.AddrFrom4([4]byte{127, 0, 11, byte(n)})); err != nil {
		e.t.Fatal(err)
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: uniq("node"), Labels: map[string]string{"tgc.dev/test": e.ns}},
		Spec:       corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + id},
	}
	for _, o := range opts {
		o(node)
	}
	if err := e.kube.Create(e.ctx, node); err != nil {
		e.t.Fatalf("creating node: %v", err)
	}
	e.t.Cleanup(func() { _ = e.kube.Delete(e.ctx, node) })
	node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}
	if err := e.kube.Status().Update(e.ctx, node); err != nil {
		e.t.Fatalf("marking node %s Ready: %v", node.Name, err)
	}
	return node
}

// changeNode edits a node as its owner (a cloud provider, Karpenter, kubectl)
// would.
func (e *env) changeNode(node *corev1.Node, change func(*corev1.Node)) {
	e.t.Helper()
	n := &corev1.Node{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Name: node.Name}, n); err != nil {
		e.t.Fatal(err)
	}
	orig := n.DeepCopy()
	change(n)
	if err := e.kube.Patch(e.ctx, n, client.MergeFrom(orig)); err != nil {
		e.t.Fatalf("changing node %s: %v", node.Name, err)
	}
}

func nodeTarget(n *corev1.Node, nodePort int32) string {
	id, _ := targets.InstanceID(n)
	return fmt.Sprintf("%s:%d", id, nodePort)
}

// nodePortService creates a Service of type NodePort without selector, port
// 80 named "web", with the traffic policy given, and returns its nodePort.
func (e *env) nodePortService(name string, policy corev1.ServiceExternalTrafficPolicy) int32 {
	e.t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: e.ns},
		Spec: corev1.ServiceSpec{
			Type: corev1.ServiceTypeNodePort, ExternalTrafficPolicy: policy,
			Ports: []corev1.ServicePort{{Name: "web", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	}
	e.create(svc)
	return svc.Spec.Ports[0].NodePort
}

// placedSlice writes the Service's EndpointSlice: ready pods at ips on
// nodes (ip -> node), and terminating ones; each names a stand-in Pod.
func (e *env) placedSlice(service string, ready, terminating map[string]*corev1.Node) {
	e.t.Helper()
	var eps []discoveryv1.Endpoint
	add := func(m map[string]*corev1.Node, term bool) {
		ips := make([]string, 0, len(m))
		for ip := range m {
			ips = append(ips, ip)
		}
		slices.Sort(ips)
		for _, ip := range ips {
			p := e.standInPod(standInName(ip), ip)
			eps = append(eps, discoveryv1.Endpoint{
				Addresses:  []string{ip},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(!term), Serving: ptr.To(true), Terminating: ptr.To(term)},
				NodeName:   ptr.To(m[ip].Name),
				TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: e.ns, Name: p.Name, UID: p.UID},
			})
		}
	}
	add(ready, false)
	add(terminating, true)
	e.writeSlice(service, service+"-1", 8080, eps)
}

// instanceGroup creates a target group of type instance, health checked
// behind an ALB listener.
func (e *env) instanceGroup() string {
	e.t.Helper()
	return e.targetGroup(func(in *elb.CreateTargetGroupInput) { in.TargetType = elbtypes.TargetTypeEnumInstance })
}

// instanceBinding binds the Service's port 80 to arn with targetType
// instance, selecting only this test's nodes.
func (e *env) instanceBinding(name, service, arn string) {
	e.t.Helper()
	e.binding(name, service, intstr.FromInt32(80), arn, func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.TargetType = v1alpha1.TargetTypeInstance
		b.Spec.NodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"tgc.dev/test": e.ns}}
	})
}

func TestALocalServicesNodeSetFollowsItsPods(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b, c := e.testNode(), e.testNode(), e.testNode()
	port := e.nodePortService("web", corev1.ServiceExternalTrafficPolicyLocal)
	e.placedSlice("web", map[string]*corev1.Node{"10.244.230.1": a, "10.244.230.2": b}, nil)
	arn := e.instanceGroup()
	e.instanceBinding("web", "web", arn)
	e.startController(e.controllerOptions())
	e.waitMembers(arn, func() []string { return []string{nodeTarget(a, port), nodeTarget(b, port)} }, 20*time.Second)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)

	// A rolling update moves the pod on a to c: c joins, and a leaves
	// as its pod terminates.
	e.placedSlice("web", map[string]*corev1.Node{"10.244.230.2": b, "10.244.230.3": c}, map[string]*corev1.Node{"10.244.230.1": a})
	e.waitMembers(arn, func() []string { return []string{nodeTarget(b, port), nodeTarget(c, port)} }, 10*time.Second)
	// The last pods leave b's node set too; its endpoints gone, the group
	// keeps c only.
	e.placedSlice("web", map[string]*corev1.Node{"10.244.230.3": c}, nil)
	e.waitMembers(arn, func() []string { return []string{nodeTarget(c, port)} }, 10*time.Second)
}

func TestAClusterServiceRegistersEveryMatchingReadyNode(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.testNode(), e.testNode()
	e.testNode(func(n *corev1.Node) { n.Labels["tgc.dev/test"] = "another-test" }) // not selected
	port := e.nodePortService("web", corev1.ServiceExternalTrafficPolicyCluster)
	e.placedSlice("web", map[string]*corev1.Node{"10.244.231.1": a}, nil)
	arn := e.instanceGroup()
	e.instanceBinding("web", "web", arn)
	e.startController(e.controllerOptions())
	e.waitMembers(arn, func() []string { return []string{nodeTarget(a, port), nodeTarget(b, port)} }, 20*time.Second)

	// A node that joins later is registered, through the node watch alone.
	c := e.testNode()
	e.waitMembers(arn, func() []string { return []string{nodeTarget(a, port), nodeTarget(b, port), nodeTarget(c, port)} }, 10*time.Second)
}

// Karpenter taints a node it is about to drain; the node must leave the
// group while its pods still run and serve, so that the load balancer has
// stopped sending to it by the time they are evicted.
func TestATaintedNodeLeavesBeforeItsPodsAreEvicted(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.testNode(), e.testNode()
	port := e.nodePortService("web", corev1.ServiceExternalTrafficPolicyLocal)
	e.placedSlice("web", map[string]*corev1.Node{"10.244.232.1": a, "10.244.232.2": b}, nil)
	arn := e.instanceGroup()
	e.instanceBinding("web", "web", arn)
	e.startController(e.controllerOptions())
	e.waitMembers(arn, func() []string { return []string{nodeTarget(a, port), nodeTarget(b, port)} }, 20*time.Second)

	tainted := time.Now()
	e.changeNode(a, func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: targets.TaintKarpenterDisrupted, Effect: corev1.TaintEffectNoSchedule})
	})
	e.waitMembers(arn, func() []string { return []string{nodeTarget(b, port)} }, 10*time.Second)
	t.Logf("node deregistered %s after its taint, while its pod was still ready", time.Since(tainted).Round(time.Millisecond))
	// Its pod is still listed ready on it: nothing but the taint moved it.
	var slice discoveryv1.EndpointSlice
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "web-1"}, &slice); err != nil {
		t.Fatal(err)
	}
	if !ptr.Deref(slice.Endpoints[0].Conditions.Ready, false) || *slice.Endpoints[0].NodeName != a.Name {
		t.Fatalf("the pod on %s is no longer ready: %+v", a.Name, slice.Endpoints[0])
	}
}

// Cordoning a node (kubectl cordon, the first step of an upgrade) or a node
// turning NotReady does not take it out: KEP-3458.
func TestACordonedNodeStays(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, b := e.testNode(), e.testNode()
	port := e.nodePortService("web", corev1.ServiceExternalTrafficPolicyCluster)
	e.placedSlice("web", map[string]*corev1.Node{"10.244.233.1": a}, nil)
	arn := e.instanceGroup()
	e.instanceBinding("web", "web", arn)
	e.startController(e.controllerOptions())
	both := func() []string { return []string{nodeTarget(a, port), nodeTarget(b, port)} }
	e.waitMembers(arn, both, 20*time.Second)

	e.changeNode(a, func(n *corev1.Node) { n.Spec.Unschedulable = true })
	notReady := b.DeepCopy()
	if err := e.kube.Get(e.ctx, types.NamespacedName{Name: b.Name}, notReady); err != nil {
		t.Fatal(err)
	}
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	if err := e.kube.Status().Update(e.ctx, notReady); err != nil {
		t.Fatal(err)
	}
	// A later change that does move a target proves the controller saw
	// the node events and synced after them.
	c := e.testNode()
	e.waitMembers(arn, func() []string { return append(both(), nodeTarget(c, port)) }, 10*time.Second)
	for _, call := range calls(arn, time.Time{}) {
		if call.Action == "DeregisterTargets" {
			t.Fatalf("DeregisterTargets %v after a cordon and a NotReady node", call.TargetIDs)
		}
	}
}

func TestAServiceWithoutANodePortIsBadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.testNode()
	e.selectorlessService("web", 80) // type ClusterIP: no nodePort
	arn := e.instanceGroup()
	e.instanceBinding("web", "web", arn)
	e.startController(e.controllerOptions())
	tgb := e.waitReady("web", metav1.ConditionFalse, v1alpha1.ReasonNoNodePort, 20*time.Second)
	if msg := readyMessage(tgb); !strings.Contains(msg, "NodePort or LoadBalancer") {
		t.Errorf("message %q does not say how to fix it", msg)
	}
	e.waitEvent("web", corev1.EventTypeWarning, v1alpha1.ReasonNoNodePort, 10*time.Second)
	if got := e.members(arn); len(got) != 0 {
		t.Errorf("members = %v, want none", got)
	}
	// Fixing the Service heals the binding.
	svc := &corev1.Service{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "web"}, svc); err != nil {
		t.Fatal(err)
	}
	svc.Spec.Type = corev1.ServiceTypeNodePort
	if err := e.kube.Update(e.ctx, svc); err != nil {
		t.Fatal(err)
	}
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
}

// A readiness gate written by hand into the pods of an instance binding
// would keep them out of their Service for good: tgc sets it True with
// reason InstanceTarget and says so in an Event on the pod.
func TestAHandAddedGateOnAnInstanceModePodTurnsTrueWithItsReason(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	labels := e.gatedApp("web", 1)
	svc := &corev1.Service{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "web"}, svc); err != nil {
		t.Fatal(err)
	}
	svc.Spec.Type = corev1.ServiceTypeNodePort
	if err := e.kube.Update(e.ctx, svc); err != nil {
		t.Fatal(err)
	}
	arn := e.targetGroup(func(in *elb.CreateTargetGroupInput) {
		in.TargetType = elbtypes.TargetTypeEnumInstance
		in.HealthCheckPath = aws.String("/healthz")
	})
	e.binding("web", "web", intstr.FromInt32(80), arn, func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.TargetType = v1alpha1.TargetTypeInstance
		// The loopback kubelet's own node, which runs the pod; other
		// tests' nodes stay out.
		b.Spec.NodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelHostname: shared.cluster.Kubelet.NodeName()}}
	})
	e.startController(e.controllerOptions())
	var pod corev1.Pod
	e.eventually(30*time.Second, "the gate True with reason "+gatecontroller.ReasonInstanceTarget, func() (bool, string) {
		ps := e.pods(labels)
		if len(ps) != 1 {
			return false, fmt.Sprintf("%d pods", len(ps))
		}
		pod = ps[0]
		c := podCondition(&pod, podgate.ConditionType("web"))
		ready := podCondition(&pod, corev1.PodReady)
		return c != nil && c.Status == corev1.ConditionTrue && c.Reason == gatecontroller.ReasonInstanceTarget &&
				ready != nil && ready.Status == corev1.ConditionTrue,
			fmt.Sprintf("gate %+v, Ready %+v", c, ready)
	})
	ev := e.waitEvent(pod.Name, corev1.EventTypeNormal, gatecontroller.ReasonInstanceTarget, 10*time.Second)
	if !strings.Contains(ev.Note, "remove it") {
		t.Errorf("Event note %q does not say what to do", ev.Note)
	}
}
