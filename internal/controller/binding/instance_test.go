package binding

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// The instance world: Service web of type NodePort (port 80 on nodePort
// 30080), nodes n1..n8, each its own EC2 instance, and target group C of
// type instance, bound by binding "tgb".
const (
	arnC     = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/c/0123456789abcdee"
	nodePort = 30080
	hcPort   = 31999
)

// instanceOf names node n's instance.
func instanceOf(n string) string { return "i-0000000000000000" + strings.TrimPrefix(n, "n") }

// nodeTargets are "i-…:30080" for the nodes named.
func nodeTargets(names ...string) []string {
	out := []string{}
	for _, n := range names {
		out = append(out, instanceOf(n)+":30080")
	}
	slices.Sort(out)
	return out
}

func regC(names ...string) string { return write(fake.OpRegisterTargets, "C", nodeTargets(names...)) }
func deregC(names ...string) string {
	return write(fake.OpDeregisterTargets, "C", nodeTargets(names...))
}

// node is a Ready node on its own instance, in node pool "web".
func node(name string, opts ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"pool": "web"}},
		Spec:       corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + instanceOf(name)},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}
	for _, o := range opts {
		o(n)
	}
	return n
}

func instanceBinding(opts ...tgbOption) *v1alpha1.TargetGroupBinding {
	return newBinding("tgb", arnC, time.Hour, append([]tgbOption{func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.TargetType = v1alpha1.TargetTypeInstance
	}}, opts...)...)
}

// placed is where the Service's pods run: pod IP -> node.
type placed map[string]string

// instanceWorld builds the world with the Service's policy, its pods
// placed on nodes (all ready), and the nodes given.
func instanceWorld(t *testing.T, policy corev1.ServiceExternalTrafficPolicy, pods placed, nodes []*corev1.Node, b *v1alpha1.TargetGroupBinding) *world {
	t.Helper()
	var eps []endpoint
	for ip := range pods {
		eps = append(eps, ready(ip)...)
	}
	w := newWorld(t, fake.Config{}, eps, b)
	w.aws.AddGroup(elbv2.TargetGroup{ARN: arnC, Name: "c", TargetType: "instance", IPAddressType: "ipv4", Protocol: "HTTP", Port: 80, HealthCheckPort: "31999"}, 0)
	svc := &corev1.Service{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: svcName}, svc); err != nil {
		t.Fatal(err)
	}
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	svc.Spec.ExternalTrafficPolicy = policy
	svc.Spec.Ports[0].NodePort = nodePort
	if policy == corev1.ServiceExternalTrafficPolicyLocal {
		svc.Spec.HealthCheckNodePort = hcPort
	}
	if err := w.kube.Update(w.ctx, svc); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := w.kube.Create(w.ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	w.place(pods, nil)
	return w
}

// place writes the slice: the ready pods at their nodes, and terminating
// ones.
func (w *world) place(serving, leaving placed) {
	w.t.Helper()
	s := &discoveryv1.EndpointSlice{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: svcName + "-1"}, s); err != nil {
		w.t.Fatal(err)
	}
	s.Endpoints = nil
	for _, set := range []struct {
		pods        placed
		terminating bool
	}{{serving, false}, {leaving, true}} {
		ips := make([]string, 0, len(set.pods))
		for ip := range set.pods {
			ips = append(ips, ip)
		}
		slices.Sort(ips)
		for _, ip := range ips {
			w.ensurePods(ready(ip))
			e := endpoint{ip: ip, ready: !set.terminating, terminating: set.terminating}
			ep := slice([]endpoint{e}).Endpoints[0]
			ep.NodeName = ptr.To(set.pods[ip])
			s.Endpoints = append(s.Endpoints, ep)
		}
	}
	if err := w.kube.Update(w.ctx, s); err != nil {
		w.t.Fatal(err)
	}
}

// changeNode edits node name in the cache, as its owner would.
func (w *world) changeNode(name string, change func(*corev1.Node)) {
	w.t.Helper()
	n := &corev1.Node{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Name: name}, n); err != nil {
		w.t.Fatal(err)
	}
	change(n)
	if err := w.kube.Update(w.ctx, n); err != nil {
		w.t.Fatal(err)
	}
}

func disrupted(n *corev1.Node) {
	n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: targets.TaintKarpenterDisrupted, Effect: corev1.TaintEffectNoSchedule})
}
func cordon(n *corev1.Node)    { n.Spec.Unschedulable = true }
func notReady_(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionUnknown }

func nodes(names ...string) []*corev1.Node {
	out := make([]*corev1.Node, 0, len(names))
	for _, n := range names {
		out = append(out, node(n))
	}
	return out
}

var (
	local   = corev1.ServiceExternalTrafficPolicyLocal
	cluster = corev1.ServiceExternalTrafficPolicyCluster
)

func TestInstanceBindingRegistersNodes(t *testing.T) {
	cases := map[string]struct {
		policy      corev1.ServiceExternalTrafficPolicy
		pods        placed
		nodes       []*corev1.Node
		opts        []tgbOption
		wantMembers []string
	}{
		"a Cluster Service registers every Ready node on its nodePort": {
			policy: cluster, pods: placed{ip1: "n1"}, nodes: nodes("n1", "n2", "n3"),
			wantMembers: nodeTargets("n1", "n2", "n3"),
		},
		"a Cluster Service registers the nodes nodeSelector selects": {
			policy: cluster, pods: placed{ip1: "n1"}, nodes: []*corev1.Node{node("n1"), node("n2", func(n *corev1.Node) { n.Labels["pool"] = "batch" })},
			opts: []tgbOption{func(b *v1alpha1.TargetGroupBinding) {
				b.Spec.NodeSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"pool": "web"}}
			}},
			wantMembers: nodeTargets("n1"),
		},
		"a Local Service registers only the nodes running a ready endpoint": {
			policy: local, pods: placed{ip1: "n1", ip2: "n1", ip3: "n3"}, nodes: nodes("n1", "n2", "n3"),
			wantMembers: nodeTargets("n1", "n3"),
		},
		"a node announced for disruption is never registered": {
			policy: cluster, pods: placed{ip1: "n1"}, nodes: []*corev1.Node{node("n1"), node("n2", disrupted)},
			wantMembers: nodeTargets("n1"),
		},
		"a NotReady node is not registered": {
			policy: cluster, pods: placed{ip1: "n1"}, nodes: []*corev1.Node{node("n1"), node("n2", notReady_)},
			wantMembers: nodeTargets("n1"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			w := instanceWorld(t, tc.policy, tc.pods, tc.nodes, instanceBinding(tc.opts...))
			w.mustReconcile("tgb")
			if got := w.members(arnC); !reflect.DeepEqual(got, tc.wantMembers) {
				t.Errorf("members = %q, want %q", got, tc.wantMembers)
			}
			if got := w.ready("tgb"); got != "True/Synced" {
				t.Errorf("Ready = %s, want True/Synced", got)
			}
			if got := w.binding("tgb").Status.Targets.Desired; int(got) != len(tc.wantMembers) {
				t.Errorf("status.targets.desired = %d, want %d", got, len(tc.wantMembers))
			}
		})
	}
}

func TestALocalServicesNodeSetFollowsItsPods(t *testing.T) {
	w := instanceWorld(t, local, placed{ip1: "n1", ip2: "n2"}, nodes("n1", "n2", "n3"), instanceBinding())
	w.mustReconcile("tgb")
	w.aws.Settle()

	// A rolling update: a new pod on n3 is ready, the old one on n1 is
	// terminating.
	w.place(placed{ip2: "n2", ip3: "n3"}, placed{ip1: "n1"})
	w.aws.ResetCalls()
	w.mustReconcile("tgb")
	if got, want := w.writes(), []string{deregC("n1"), regC("n3")}; !reflect.DeepEqual(got, want) {
		t.Errorf("writes = %q, want %q: the node whose last pod terminates leaves first", got, want)
	}
	if got, want := w.members(arnC), nodeTargets("n2", "n3"); !reflect.DeepEqual(got, want) {
		t.Errorf("members = %q, want %q", got, want)
	}
}

func TestATaintedNodeLeavesWhileItsPodsStillRun(t *testing.T) {
	for _, policy := range []corev1.ServiceExternalTrafficPolicy{local, cluster} {
		t.Run(string(policy), func(t *testing.T) {
			w := instanceWorld(t, policy, placed{ip1: "n1", ip2: "n2"}, nodes("n1", "n2"), instanceBinding())
			w.mustReconcile("tgb")
			w.aws.Settle()

			w.changeNode("n1", disrupted)
			w.aws.ResetCalls()
			w.mustReconcile("tgb")
			if got, want := w.writes(), []string{deregC("n1")}; !reflect.DeepEqual(got, want) {
				t.Errorf("writes = %q, want %q", got, want)
			}
		})
	}
}

func TestACordonedOrNotReadyNodeStays(t *testing.T) {
	for name, change := range map[string]func(*corev1.Node){"cordoned": cordon, "NotReady": notReady_} {
		t.Run(name, func(t *testing.T) {
			w := instanceWorld(t, cluster, placed{ip1: "n1"}, nodes("n1", "n2"), instanceBinding())
			w.mustReconcile("tgb")
			w.aws.Settle()

			w.changeNode("n2", change)
			w.aws.ResetCalls()
			w.mustReconcile("tgb")
			if got := w.writes(); len(got) != 0 {
				t.Errorf("writes = %q, want none", got)
			}
			if got, want := w.members(arnC), nodeTargets("n1", "n2"); !reflect.DeepEqual(got, want) {
				t.Errorf("members = %q, want %q", got, want)
			}
		})
	}
}

func TestAServiceWithoutANodePortIsBadInput(t *testing.T) {
	w := instanceWorld(t, cluster, placed{ip1: "n1"}, nodes("n1"), instanceBinding())
	svc := &corev1.Service{}
	if err := w.kube.Get(w.ctx, types.NamespacedName{Namespace: ns, Name: svcName}, svc); err != nil {
		t.Fatal(err)
	}
	svc.Spec.Type, svc.Spec.Ports[0].NodePort = corev1.ServiceTypeClusterIP, 0
	if err := w.kube.Update(w.ctx, svc); err != nil {
		t.Fatal(err)
	}
	res, err := w.reconcile("tgb")
	if err != nil {
		t.Fatalf("Reconcile returned %v; bad input is not an error for the workqueue", err)
	}
	if got := w.ready("tgb"); got != "False/"+v1alpha1.ReasonNoNodePort {
		t.Errorf("Ready = %s, want False/%s", got, v1alpha1.ReasonNoNodePort)
	}
	msg := readyCondition(w.binding("tgb")).Message
	if !strings.Contains(msg, "spec.type NodePort or LoadBalancer") {
		t.Errorf("message %q does not name the fix", msg)
	}
	if !hasEvent(w.events(), "Warning "+v1alpha1.ReasonNoNodePort, "nodePort") {
		t.Errorf("no Warning Event %s", v1alpha1.ReasonNoNodePort)
	}
	if res.RequeueAfter == 0 || len(w.members(arnC)) != 0 {
		t.Errorf("RequeueAfter = %v, members %v: want a slow retry and nothing registered", res.RequeueAfter, w.members(arnC))
	}
}

func TestABindingWhoseTypeIsNotTheGroupsIsBadInput(t *testing.T) {
	w := instanceWorld(t, cluster, placed{ip1: "n1"}, nodes("n1"), newBinding("tgb", arnC, time.Hour))
	w.mustReconcile("tgb")
	if got := w.ready("tgb"); got != "False/"+v1alpha1.ReasonTargetTypeMismatch {
		t.Errorf("Ready = %s, want False/%s", got, v1alpha1.ReasonTargetTypeMismatch)
	}
}

// The brake protects nodes as it protects pods: nodes that drop out of the
// cache without a sign that they are going are held beyond its limits,
// while nodes that announced their departure leave however many they are.
func TestTheBrakeHoldsNodesThatVanishButNotNodesThatAnnounceTheirDeparture(t *testing.T) {
	eight := []string{"n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"}
	cases := map[string]struct {
		brake    BrakeConfig
		vanish   func(w *world, n string)
		wantHeld bool
	}{
		"nodes gone from the cache without a delete event are held": {
			vanish: func(w *world, n string) {
				if err := w.kube.Delete(w.ctx, node(n)); err != nil {
					w.t.Fatal(err)
				}
			},
			wantHeld: true,
		},
		"with the brake off, nodes gone from the cache are removed": {
			brake: BrakeConfig{Disabled: true},
			vanish: func(w *world, n string) {
				if err := w.kube.Delete(w.ctx, node(n)); err != nil {
					w.t.Fatal(err)
				}
			},
		},
		"deleted nodes leave": {
			vanish: func(w *world, n string) {
				if err := w.kube.Delete(w.ctx, node(n)); err != nil {
					w.t.Fatal(err)
				}
				w.c.nodeDeleted(node(n))
			},
		},
		"disrupted nodes leave": {
			vanish: func(w *world, n string) { w.changeNode(n, disrupted) },
		},
		"nodes excluded from load balancers leave": {
			vanish: func(w *world, n string) {
				w.changeNode(n, func(n *corev1.Node) { n.Labels[targets.LabelExcludeFromExternalLB] = "true" })
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			// A binding long in sync, whose nodes are healthy.
			b := instanceBinding()
			b.Status.ObservedGeneration = b.Generation
			w := instanceWorld(t, cluster, placed{ip1: "n8"}, nodes(eight...), b)
			w.c.cfg.Brake = tc.brake.withDefaults()
			w.c.Planner.cfg.Brake = w.c.cfg.Brake
			var hs []targets.Health
			for _, n := range eight {
				hs = append(hs, targets.Health{Target: targets.Target{Instance: instanceOf(n), Port: nodePort}, State: targets.StateHealthy})
			}
			w.aws.SetTargets(arnC, hs...)
			w.mustReconcile("tgb")
			for _, n := range eight[:7] {
				tc.vanish(w, n)
			}
			w.aws.ResetCalls()
			w.mustReconcile("tgb")
			held := w.ready("tgb") == "False/"+v1alpha1.ReasonDeregistrationHeld
			if held != tc.wantHeld {
				t.Fatalf("held = %v (Ready %s, writes %q), want %v", held, w.ready("tgb"), w.writes(), tc.wantHeld)
			}
			want := nodeTargets("n8")
			if tc.wantHeld {
				want = nodeTargets(eight...)
			}
			if got := w.members(arnC); !reflect.DeepEqual(got, want) {
				t.Errorf("members = %q, want %q", got, want)
			}
		})
	}
}

func TestALocalServiceWhoseGroupChecksAnotherPortIsWarnedOnce(t *testing.T) {
	w := instanceWorld(t, local, placed{ip1: "n1"}, nodes("n1"), instanceBinding())
	w.aws.AddGroup(elbv2.TargetGroup{ARN: arnC, Name: "c", TargetType: "instance", IPAddressType: "ipv4", Protocol: "HTTP", Port: 80, HealthCheckPort: "traffic-port"}, 0)
	w.mustReconcile("tgb")
	if !hasEvent(w.events(), "Warning "+ReasonHealthCheckPortMismatch, "traffic-port", "31999") {
		t.Fatal("no Warning Event naming both ports")
	}
	w.mustReconcile("tgb")
	if hasEvent(w.events(), "Warning "+ReasonHealthCheckPortMismatch) {
		t.Error("warned again about the same ports")
	}
}

func TestNodeWatchIgnoresHeartbeats(t *testing.T) {
	base := node("n1")
	cases := map[string]struct {
		change func(*corev1.Node)
		want   bool
	}{
		"heartbeat":                     {func(n *corev1.Node) { n.Status.Conditions[0].LastHeartbeatTime = metav1.Now() }, false},
		"cordon":                        {cordon, false},
		"disruption taint":              {disrupted, true},
		"NotReady":                      {notReady_, true},
		"label":                         {func(n *corev1.Node) { n.Labels["pool"] = "batch" }, true},
		"deletion":                      {func(n *corev1.Node) { n.DeletionTimestamp = &metav1.Time{} }, true},
		"provider ID set late by a CCM": {func(n *corev1.Node) { n.Spec.ProviderID = "aws:///us-east-1a/i-0123456789abcdef0" }, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cur := base.DeepCopy()
			tc.change(cur)
			if got := NodeFingerprint(base) != NodeFingerprint(cur); got != tc.want {
				t.Fatalf("change seen = %v, want %v", got, tc.want)
			}
		})
	}
}
