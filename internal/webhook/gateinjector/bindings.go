package gateinjector

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	tgcv1alpha1 "github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// listBindings lists the TargetGroupBindings of one namespace that keep
// accepts (all when nil), as the decision sees them.
func listBindings(ctx context.Context, reader client.Reader, namespace string, keep func(*tgcv1alpha1.TargetGroupBinding) bool) ([]Binding, error) {
	var list tgcv1alpha1.TargetGroupBindingList
	if err := reader.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing TargetGroupBindings in %s: %w", namespace, err)
	}
	out := make([]Binding, 0, len(list.Items))
	for i := range list.Items {
		b := &list.Items[i]
		if keep != nil && !keep(b) {
			continue
		}
		out = append(out, Binding{
			Name:        b.Name,
			ServiceName: b.Spec.ServiceRef.Name,
			Deleting:    !b.DeletionTimestamp.IsZero(),
			Instance:    b.Spec.TargetType == tgcv1alpha1.TargetTypeInstance,
			OptedOut:    !b.Spec.ReadinessGate.Injects(),
			Drain:       b.Spec.Drain.Injects(),
			ServicePort: b.Spec.ServiceRef.Port,
			Delay:       recordedDelay(b),
		})
	}
	return out, nil
}

// recordedDelay is the deregistration delay the leader recorded in the
// binding's status; nil until it has.
func recordedDelay(b *tgcv1alpha1.TargetGroupBinding) *time.Duration {
	if b.Status.DeregistrationDelaySeconds == nil {
		return nil
	}
	d := time.Duration(*b.Status.DeregistrationDelaySeconds) * time.Second
	return &d
}
