package podgate

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// Pods implements binding.GatedPods from the manager's pod cache.
type Pods struct {
	kube client.Reader
}

// NewPods returns the lister; kube must be the manager's cached client with
// PodGateIndex registered (IndexPods).
func NewPods(kube client.Reader) *Pods { return &Pods{kube: kube} }

// GatedPods returns the UIDs of the binding's pods that should be registered
// although their endpoint may read not ready: see Registrable. A pod counts
// through any of the binding's gates (GatesOf).
func (p *Pods) GatedPods(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (map[types.UID]bool, error) {
	out := map[types.UID]bool{}
	for _, gate := range GatesOf(tgb) {
		pods, err := PodsWithGate(ctx, p.kube, tgb.Namespace, gate)
		if err != nil {
			return nil, err
		}
		for i := range pods {
			if Registrable(&pods[i], gate) {
				out[pods[i].UID] = true
			}
		}
	}
	return out, nil
}

// Registrable reports whether a pod's target belongs in the binding's target
// group although the pod may not be Ready: it carries the gate, is not
// terminating, its containers are ready, and every readiness gate that is
// neither tgc's nor the gate itself (the peer's gate of a migrated binding,
// which tgc answers for) is True. Then only gates tgc sets can hold it back,
// and they wait for the target to be healthy, which it can only become once
// registered.
//
// A pod whose gate is already True stays registrable: between the gate
// turning True and the EndpointSlice controller marking the endpoint ready
// there is a moment when the slice still says not ready, and treating the
// pod as not gated then would deregister a target that just became healthy.
func Registrable(pod *corev1.Pod, gate string) bool {
	if pod.DeletionTimestamp != nil || !HasGate(pod, gate) {
		return false
	}
	self := ConditionType(gate)
	if st, _ := Condition(pod, corev1.ContainersReady); st != corev1.ConditionTrue {
		return false
	}
	for _, g := range pod.Spec.ReadinessGates {
		if _, ours := BindingName(g.ConditionType); ours || g.ConditionType == self {
			continue
		}
		if st, _ := Condition(pod, g.ConditionType); st != corev1.ConditionTrue {
			return false
		}
	}
	return true
}

// Condition returns the status of a pod condition (Unknown when absent) and
// its last transition time.
func Condition(pod *corev1.Pod, t corev1.PodConditionType) (corev1.ConditionStatus, *corev1.PodCondition) {
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == t {
			return pod.Status.Conditions[i].Status, &pod.Status.Conditions[i]
		}
	}
	return corev1.ConditionUnknown, nil
}
