package podgate

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PodGateIndex indexes pods by the gates they carry that tgc may answer
// for (Gates: tgc's by binding name, the peer's by PeerGate), so that a
// binding finds its gated pods without listing the namespace.
const PodGateIndex = "tgc.readinessGates.bindings"

// IndexPods registers PodGateIndex with the manager's cache. It must run
// before the manager starts, and before GatedPods or the controller is used.
func IndexPods(ctx context.Context, mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, &corev1.Pod{}, PodGateIndex, IndexValues)
	if err != nil {
		return fmt.Errorf("indexing pods by %s: %w", PodGateIndex, err)
	}
	return nil
}

// IndexValues are a pod's values in PodGateIndex: its Gates.
func IndexValues(o client.Object) []string {
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return nil
	}
	return Gates(pod)
}

// PodsWithGate lists the pods of the namespace that carry the gate (a
// binding's name, or a PeerGate).
func PodsWithGate(ctx context.Context, kube client.Reader, namespace, gate string) ([]corev1.Pod, error) {
	var list corev1.PodList
	if err := kube.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{PodGateIndex: gate}); err != nil {
		return nil, fmt.Errorf("listing pods gated by %s in %s: %w", gate, namespace, err)
	}
	return list.Items, nil
}
