package kubelet

import (
	"cmp"

	"slices"

	"github.com/go-logr/logr"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// pickNode chooses the node a pending pod is bound to, as kube-scheduler
// would in the ways tests rely on. A node is feasible when it is Ready, not
// cordoned, not being deleted, matches the pod's nodeSelector, and carries
// no NoSchedule or NoExecute taint the pod does not tolerate: so a node
// tainted for disruption (karpenter.sh/disrupted) or drained gets no new
// pods. Among feasible nodes, pods spread: the fewest pods of the same
// controller (a ReplicaSet's replicas), then the fewest pods, then the
// name. onNode counts the pods bound to each node that have not finished.
func pickNode(pod *corev1.Pod, nodes []*corev1.Node, onNode map[string][]*corev1.Pod) (string, bool) {
	owner := controllerUID(pod)
	type score struct {
		name            string
		sameOwner, pods int
	}
	var best []score
	for _, n := range nodes {
		if !feasible(pod, n) {
			continue
		}
		s := score{name: n.Name, pods: len(onNode[n.Name])}
		for _, p := range onNode[n.Name] {
			if owner != "" && controllerUID(p) == owner {
				s.sameOwner++
			}
		}
		best = append(best, s)
	}
	if len(best) == 0 {
		return "", false
	}
	slices.SortFunc(best, func(a, b score) int {
		return cmp.Or(cmp.Compare(a.sameOwner, b.sameOwner), cmp.Compare(a.pods, b.pods), cmp.Compare(a.name, b.name))
	})
	return best[0].name, true
}

func feasible(pod *corev1.Pod, n *corev1.Node) bool {
	if n.DeletionTimestamp != nil || n.Spec.Unschedulable || !nodeReady(n) {
		return false
	}
	if !labels.SelectorFromSet(pod.Spec.NodeSelector).Matches(labels.Set(n.Labels)) {
		return false
	}
	for i := range n.Spec.Taints {
		t := &n.Spec.Taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !slices.ContainsFunc(pod.Spec.Tolerations, func(tol corev1.Toleration) bool { return tol.ToleratesTaint(logr.Discard(), t, false) }) {
			return false
		}
	}
	return true
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func controllerUID(p *corev1.Pod) types.UID {
	for _, o := range p.OwnerReferences {
		if o.Controller != nil && *o.Controller {
			return o.UID
		}
	}
	return ""
}
