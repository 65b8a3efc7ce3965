package targets

import (
	"errors"
	"maps"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const nodePort = 30080

// node is a Ready node named name with instance i-<17 digits from name>;
// opts change it.
func node(name string, opts ...func(*corev1.Node)) corev1.Node {
	n := corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"pool": "web"}},
		Spec:       corev1.NodeSpec{ProviderID: "aws:///us-east-1a/" + instanceOf(name)},
		Status:     corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
	}
	for _, o := range opts {
		o(&n)
	}
	return n
}

// instanceOf names the instance of node n: n is one letter a-f.
func instanceOf(n string) string { return "i-000000000000000" + n[len(n)-1:] + "0" }

func onPort(n string) string { return instanceOf(n) + ":30080" }

func notReadyNode(n *corev1.Node) { n.Status.Conditions[0].Status = corev1.ConditionFalse }
func cordoned(n *corev1.Node)     { n.Spec.Unschedulable = true }
func tainted(key, value string) func(*corev1.Node) {
	return func(n *corev1.Node) {
		n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: key, Value: value, Effect: corev1.TaintEffectNoSchedule})
	}
}
func labelled(k, v string) func(*corev1.Node) { return func(n *corev1.Node) { n.Labels[k] = v } }
func deleting(n *corev1.Node)                 { n.DeletionTimestamp = &metav1.Time{} }
func noProviderID(n *corev1.Node)             { n.Spec.ProviderID = "" }

// nodeService is Service web in namespace ns, port 80 "http" with a
// nodePort, and the traffic policy given.
func nodeService(policy corev1.ServiceExternalTrafficPolicy) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeNodePort,
			ExternalTrafficPolicy: policy,
			Ports:                 []corev1.ServicePort{{Name: "http", Port: 80, NodePort: nodePort, Protocol: corev1.ProtocolTCP}},
		},
	}
}

// on places endpoint ep on node n.
func on(n string, ep discoveryv1.Endpoint) discoveryv1.Endpoint {
	ep.NodeName = &n
	return ep
}

func TestDesiredNodes(t *testing.T) {
	local, cluster := corev1.ServiceExternalTrafficPolicyLocal, corev1.ServiceExternalTrafficPolicyCluster
	cases := map[string]struct {
		policy    corev1.ServiceExternalTrafficPolicy
		nodes     []corev1.Node
		selector  string
		endpoints []discoveryv1.Endpoint
		want      []string
		stay      []string
		explained map[string]Evidence
		warning   Reason
	}{
		"with Cluster every Ready node is a target on the nodePort": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b")},
			want: []string{onPort("a"), onPort("b")},
		},
		"with Cluster a node without endpoints is a target": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b")},
			endpoints: []discoveryv1.Endpoint{on("a", endpoint("10.0.0.1", "ready", podOf("10.0.0.1")))},
			want:      []string{onPort("a"), onPort("b")},
		},
		"with Cluster the nodeSelector chooses the nodes, and a node it drops is explained": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", labelled("pool", "batch"))}, selector: "pool=web",
			want: []string{onPort("a")}, explained: map[string]Evidence{onPort("b"): EvidenceNodeNotSelected},
		},
		"with Cluster a NotReady node is not added but may stay": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", notReadyNode)},
			want: []string{onPort("a")}, stay: []string{onPort("b")},
		},
		"a cordoned node stays a target": {
			policy: cluster, nodes: []corev1.Node{node("a", cordoned)},
			want: []string{onPort("a")},
		},
		"a node excluded from external load balancers leaves": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", labelled(LabelExcludeFromExternalLB, ""))},
			want: []string{onPort("a")}, explained: map[string]Evidence{onPort("b"): EvidenceNodeExcluded},
		},
		"a node Karpenter announced it disrupts leaves": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", tainted(TaintKarpenterDisrupted, ""))},
			want: []string{onPort("a")}, explained: map[string]Evidence{onPort("b"): EvidenceNodeDisrupted},
		},
		"a node with Karpenter's older disruption taint leaves": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", tainted(TaintKarpenterDisruption, "disrupting"))},
			want: []string{onPort("a")}, explained: map[string]Evidence{onPort("b"): EvidenceNodeDisrupted},
		},
		"a node the Cluster Autoscaler is deleting leaves": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", tainted(TaintToBeDeletedByClusterAutoscaler, "1700000000"))},
			want: []string{onPort("a")}, explained: map[string]Evidence{onPort("b"): EvidenceNodeDisrupted},
		},
		"a node being deleted leaves": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", deleting)},
			want: []string{onPort("a")}, explained: map[string]Evidence{onPort("b"): EvidenceNodeDeleting},
		},
		"any other taint keeps the node": {
			policy: cluster, nodes: []corev1.Node{node("a", tainted("node.kubernetes.io/unschedulable", ""), tainted("dedicated", "web"))},
			want: []string{onPort("a")},
		},
		"a node without an AWS providerID cannot be a target and is reported": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("b", noProviderID)},
			want: []string{onPort("a")}, warning: ReasonNodeWithoutInstanceID,
		},
		"with Local only nodes running a ready endpoint are targets": {
			policy: local, nodes: []corev1.Node{node("a"), node("b"), node("c")},
			endpoints: []discoveryv1.Endpoint{
				on("a", endpoint("10.0.0.1", "ready", podOf("10.0.0.1"))),
				on("a", endpoint("10.0.0.2", "ready", podOf("10.0.0.2"))),
				on("c", endpoint("10.0.0.3", "ready", podOf("10.0.0.3"))),
			},
			want: []string{onPort("a"), onPort("c")},
		},
		"with Local a node whose endpoints all terminate leaves, explained by them": {
			policy: local, nodes: []corev1.Node{node("a"), node("b")},
			endpoints: []discoveryv1.Endpoint{
				on("a", endpoint("10.0.0.1", "ready", podOf("10.0.0.1"))),
				on("b", endpoint("10.0.0.2", "terminating-serving", podOf("10.0.0.2"))),
			},
			want: []string{onPort("a")}, explained: map[string]Evidence{onPort("b"): EvidenceEndpointTerminating},
		},
		"with Local a node with one ready and one terminating endpoint stays": {
			policy: local, nodes: []corev1.Node{node("a")},
			endpoints: []discoveryv1.Endpoint{
				on("a", endpoint("10.0.0.1", "ready", podOf("10.0.0.1"))),
				on("a", endpoint("10.0.0.2", "terminating", podOf("10.0.0.2"))),
			},
			want: []string{onPort("a")},
		},
		"with Local a node whose only endpoint is not ready leaves, explained by it": {
			policy: local, nodes: []corev1.Node{node("a")},
			endpoints: []discoveryv1.Endpoint{on("a", endpoint("10.0.0.1", "notready", podOf("10.0.0.1")))},
			explained: map[string]Evidence{onPort("a"): EvidenceEndpointNotReady},
		},
		"with Local a NotReady node running a ready endpoint is a target": {
			policy: local, nodes: []corev1.Node{node("a", notReadyNode)},
			endpoints: []discoveryv1.Endpoint{on("a", endpoint("10.0.0.1", "ready", podOf("10.0.0.1")))},
			want:      []string{onPort("a")},
		},
		"with Local a disrupted node leaves before its ready pods": {
			policy: local, nodes: []corev1.Node{node("a", tainted(TaintKarpenterDisrupted, "")), node("b")},
			endpoints: []discoveryv1.Endpoint{
				on("a", endpoint("10.0.0.1", "ready", podOf("10.0.0.1"))),
				on("b", endpoint("10.0.0.2", "ready", podOf("10.0.0.2"))),
			},
			want: []string{onPort("b")}, explained: map[string]Evidence{onPort("a"): EvidenceNodeDisrupted},
		},
		"with Local an endpoint with no Pod behind it puts no node in": {
			policy: local, nodes: []corev1.Node{node("a")},
			endpoints: []discoveryv1.Endpoint{on("a", endpoint("10.0.0.9", "ready", ""))},
		},
		"two Node objects of one instance make one target": {
			policy: cluster, nodes: []corev1.Node{node("a"), node("a2", func(n *corev1.Node) { n.Spec.ProviderID = "aws:///us-east-1a/" + instanceOf("a") })},
			want: []string{onPort("a")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var pods = map[string]*corev1.Pod{}
			for _, ep := range tc.endpoints {
				if ep.TargetRef != nil {
					pods[ep.TargetRef.Name] = pod(ep.TargetRef.Name, ep.Addresses[0])
				}
			}
			sel := labels.Everything()
			if tc.selector != "" {
				sel = labels.SelectorFromSet(labels.Set{"pool": "web"})
			}
			slice := slice("web-1", discoveryv1.AddressTypeIPv4, httpSP, tc.endpoints...)
			got, err := Desired(DesiredInput{
				Slices: []discoveryv1.EndpointSlice{slice}, Port: intstr.FromInt32(80), Service: nodeService(tc.policy),
				Pods: pods, Nodes: &NodeInput{Nodes: tc.nodes, Selector: sel},
			})
			if err != nil {
				t.Fatal(err)
			}
			if s := strs(got.Targets); !slices.Equal(s, tc.want) {
				t.Errorf("Targets = %v, want %v", s, tc.want)
			}
			if s := strs(got.Stay); !slices.Equal(s, tc.stay) {
				t.Errorf("Stay = %v, want %v", s, tc.stay)
			}
			explained := map[string]Evidence{}
			for k, ev := range got.Explained {
				explained[k.String()] = ev
			}
			if len(tc.explained) == 0 {
				tc.explained = map[string]Evidence{}
			}
			if !maps.Equal(explained, tc.explained) {
				t.Errorf("Explained = %v, want %v", explained, tc.explained)
			}
			var warned []Reason
			for _, w := range got.Warnings {
				warned = append(warned, w.Reason)
			}
			if tc.warning != "" && !slices.Contains(warned, tc.warning) {
				t.Errorf("Warnings = %v, want %s", warned, tc.warning)
			}
			if len(got.Pods) != 0 || len(got.Terminating) != 0 || len(got.NotReady) != 0 {
				t.Errorf("pod targets in an instance result: pods %v terminating %v not ready %v", got.Pods, got.Terminating, got.NotReady)
			}
		})
	}
}

func TestDesiredNodesOfAServiceWithoutNodePortIsAProblem(t *testing.T) {
	svc := nodeService(corev1.ServiceExternalTrafficPolicyCluster)
	svc.Spec.Type = corev1.ServiceTypeClusterIP
	svc.Spec.Ports[0].NodePort = 0
	_, err := Desired(DesiredInput{Port: intstr.FromString("http"), Service: svc, Nodes: &NodeInput{Nodes: []corev1.Node{node("a")}}})
	var p *Problem
	if !errors.As(err, &p) || p.Reason != ReasonNoNodePort {
		t.Fatalf("err = %v, want a %s problem", err, ReasonNoNodePort)
	}
}

func TestInstanceID(t *testing.T) {
	cases := map[string]struct {
		providerID string
		want       string
	}{
		"the AWS cloud provider's form":         {"aws:///us-east-1a/i-0123456789abcdef0", "i-0123456789abcdef0"},
		"an older form without zone":            {"aws:////i-0123abcd", "i-0123abcd"},
		"another cloud's provider ID":           {"gce://project/us-central1-a/vm-1", ""},
		"kind's provider ID":                    {"kind://docker/kind/kind-worker", ""},
		"an AWS provider ID naming no instance": {"aws:///us-east-1a/fargate-10.0.0.1", ""},
		"no provider ID":                        {"", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			id, ok := InstanceID(&corev1.Node{Spec: corev1.NodeSpec{ProviderID: tc.providerID}})
			if ok != (tc.want != "") || (ok && id != tc.want) {
				t.Fatalf("InstanceID(%q) = %q, %v; want %q", tc.providerID, id, ok, tc.want)
			}
		})
	}
}

func strs(ts []Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	return out
}
