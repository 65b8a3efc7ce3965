package kubelet

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
)

func readyNode(name string, opts ...func(*corev1.Node)) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"pool": "web"}},
		Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}}
	for _, o := range opts {
		o(n)
	}
	return n
}

func ownedBy(uid types.UID) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{OwnerReferences: []metav1.OwnerReference{{UID: uid, Controller: ptr.To(true)}}}}
}

func TestPickNode(t *testing.T) {
	rs := types.UID("rs-1")
	taint := func(key string, effect corev1.TaintEffect) func(*corev1.Node) {
		return func(n *corev1.Node) { n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Effect: effect}) }
	}
	cases := map[string]struct {
		pod    *corev1.Pod
		nodes  []*corev1.Node
		onNode map[string][]*corev1.Pod
		want   string
	}{
		"replicas spread over nodes": {
			pod: ownedBy(rs), nodes: []*corev1.Node{readyNode("a"), readyNode("b")},
			onNode: map[string][]*corev1.Pod{"a": {ownedBy(rs)}, "b": {ownedBy("other"), ownedBy("other")}},
			want:   "b",
		},
		"among equals, the node with fewer pods": {
			pod: ownedBy(rs), nodes: []*corev1.Node{readyNode("a"), readyNode("b")},
			onNode: map[string][]*corev1.Pod{"a": {ownedBy("other")}},
			want:   "b",
		},
		"a node tainted for disruption takes no new pod": {
			pod: ownedBy(rs), nodes: []*corev1.Node{readyNode("a", taint("karpenter.sh/disrupted", corev1.TaintEffectNoSchedule)), readyNode("b")},
			onNode: map[string][]*corev1.Pod{"b": {ownedBy(rs), ownedBy(rs)}},
			want:   "b",
		},
		"a cordoned node takes no new pod": {
			pod: ownedBy(rs), nodes: []*corev1.Node{readyNode("a", func(n *corev1.Node) { n.Spec.Unschedulable = true }), readyNode("b")},
			onNode: map[string][]*corev1.Pod{"b": {ownedBy(rs)}},
			want:   "b",
		},
		"a tolerated taint does not keep a pod away": {
			pod: func() *corev1.Pod {
				p := ownedBy(rs)
				p.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}}
				return p
			}(),
			nodes: []*corev1.Node{readyNode("a", taint("dedicated", corev1.TaintEffectNoSchedule))},
			want:  "a",
		},
		"the pod's nodeSelector is honoured": {
			pod: func() *corev1.Pod {
				p := ownedBy(rs)
				p.Spec.NodeSelector = map[string]string{"pool": "batch"}
				return p
			}(),
			nodes:  []*corev1.Node{readyNode("a"), readyNode("b", func(n *corev1.Node) { n.Labels["pool"] = "batch" })},
			onNode: map[string][]*corev1.Pod{"b": {ownedBy(rs)}},
			want:   "b",
		},
		"no feasible node": {
			pod: ownedBy(rs), nodes: []*corev1.Node{readyNode("a", func(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse })},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := pickNode(tc.pod, tc.nodes, tc.onNode)
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("pickNode = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}
