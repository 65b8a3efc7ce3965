package podgate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// ConditionType is the pod condition type of the readiness gate for the
// binding named bindingName.
func ConditionType(bindingName string) corev1.PodConditionType {
	return corev1.PodConditionType(v1alpha1.ReadinessGateConditionPrefix + bindingName)
}

// BindingName returns the binding a condition type belongs to, and false when
// the condition type is not one of tgc's.
func BindingName(t corev1.PodConditionType) (string, bool) {
	name, ok := strings.CutPrefix(string(t), v1alpha1.ReadinessGateConditionPrefix)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// Bindings returns the names of the bindings whose readiness gates the pod
// carries, in the order of its spec.readinessGates.
func Bindings(pod *corev1.Pod) []string {
	var names []string
	for _, g := range pod.Spec.ReadinessGates {
		if name, ok := BindingName(g.ConditionType); ok {
			names = append(names, name)
		}
	}
	return names
}

// HasGate reports whether the pod carries the readiness gate for the binding.
func HasGate(pod *corev1.Pod, bindingName string) bool {
	want := ConditionType(bindingName)
	for _, g := range pod.Spec.ReadinessGates {
		if g.ConditionType == want {
			return true
		}
	}
	return false
}

// GateCondition returns the pod's status condition for the binding's gate, or
// nil when the condition has not been set yet. The pointer aims into
// pod.Status.Conditions, so a caller working on a copy may edit it in place.
func GateCondition(pod *corev1.Pod, bindingName string) *corev1.PodCondition {
	want := ConditionType(bindingName)
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == want {
			return &pod.Status.Conditions[i]
		}
	}
	return nil
}
