package gateinjector

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// Missing returns the readiness gates the webhook would have added to pod
// when it was created and that the pod does not carry: the webhook did not
// run for it (failurePolicy Ignore while it was down, or a pod created
// around it). Only bindings created at least a second before the pod count,
// since the API keeps whole seconds and a binding made after the pod was
// never the webhook's to inject.
func Missing(ctx context.Context, reader client.Reader, pod *corev1.Pod) ([]corev1.PodReadinessGate, error) {
	created := pod.CreationTimestamp.Time
	older := func(b *v1alpha1.TargetGroupBinding) bool {
		return b.CreationTimestamp.Time.Before(created)
	}
	in, err := gather(ctx, reader, pod.Namespace, pod, older)
	if err != nil {
		return nil, err
	}
	return GatesToAdd(in), nil
}
