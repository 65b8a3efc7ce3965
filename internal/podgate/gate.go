package podgate

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// ConditionType is the pod condition type of the readiness gate named gate:
// tgc's gate for the binding of that name, or, for a name made by PeerGate,
// the peer's gate.
func ConditionType(gate string) corev1.PodConditionType {
	if name, ok := strings.CutPrefix(gate, peerGatePrefix); ok {
		return corev1.PodConditionType(PeerConditionPrefix + name)
	}
	return corev1.PodConditionType(v1alpha1.ReadinessGateConditionPrefix + gate)
}

// PeerConditionPrefix starts the condition type of the AWS Load Balancer
// Controller's readiness gate (target-health.elbv2.k8s.aws/<binding>).
const PeerConditionPrefix = "target-health.elbv2.k8s.aws/"

// peerGatePrefix names the peer's gates among tgc's: no binding name
// contains a slash, so "elbv2.k8s.aws/web" cannot be a tgc binding's gate.
const peerGatePrefix = "elbv2.k8s.aws/"

// PeerGate names the peer's readiness gate of its binding peerBinding.
func PeerGate(peerBinding string) string { return peerGatePrefix + peerBinding }

// GatesOf are the gates a binding answers for: its own, and for a binding
// migrated from the peer (v1alpha1.MigratedFromAnnotation) the peer's gate
// of the binding it replaced. Pods created while the peer's binding existed
// carry that gate, and once the peer's binding is gone nothing else sets
// it, so a pod would wait on it for ever.
func GatesOf(tgb *v1alpha1.TargetGroupBinding) []string {
	gates := []string{tgb.Name}
	from := tgb.Annotations[v1alpha1.MigratedFromAnnotation]
	if i := strings.LastIndexByte(from, '/'); i >= 0 && i+1 < len(from) {
		gates = append(gates, PeerGate(from[i+1:]))
	}
	return gates
}

// Gates are the gates of a pod that tgc may answer for: tgc's, and the
// peer's, which a migrated binding answers for (GatesOf).
func Gates(pod *corev1.Pod) []string {
	gates := Bindings(pod)
	for _, g := range pod.Spec.ReadinessGates {
		if name, ok := strings.CutPrefix(string(g.ConditionType), PeerConditionPrefix); ok && name != "" {
			gates = append(gates, PeerGate(name))
		}
	}
	return gates
}

// BindingOfGate is the tgc binding that may answer for a gate: the binding
// of the gate's name (kubectl tgc migrate keeps the peer binding's name).
func BindingOfGate(gate string) string {
	name, _ := strings.CutPrefix(gate, peerGatePrefix)
	return name
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
