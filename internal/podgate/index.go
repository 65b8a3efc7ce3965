package podgate

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PodGateIndex indexes pods by the names of the bindings whose tgc
// readiness gates they carry, so that a binding finds its gated pods without
// listing the namespace.
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

// IndexValues are a pod's values in PodGateIndex: the bindings whose gates
// it carries.
func IndexValues(o client.Object) []string {
	pod, ok := o.(*corev1.Pod)
	if !ok {
		return nil
	}
	return Bindings(pod)
}

// PodsWithGate lists the pods of the namespace that carry the binding's gate.
func PodsWithGate(ctx context.Context, kube client.Reader, namespace, binding string) ([]corev1.Pod, error) {
	var list corev1.PodList
	if err := kube.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{PodGateIndex: binding}); err != nil {
		return nil, fmt.Errorf("listing pods gated by %s/%s: %w", namespace, binding, err)
	}
	return list.Items, nil
}
