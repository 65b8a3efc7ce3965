// Package podgate reads tgc's pod readiness gates off pods, and holds the
// pod index, watch predicates and event handlers that both controllers use,
// so that neither imports the other.
//
// A pod carrying the gate for a TargetGroupBinding stays not-Ready until tgc
// sets the matching condition to True, which it does once the pod's target is
// healthy in that binding's target group. See
// https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-readiness-gate
// for how the kubelet combines readiness gates with container readiness.
//
// The webhook (internal/webhook/gateinjector) writes the gates into new pods;
// the readiness gate controller satisfies them, and the binding controller
// registers the targets of pods held back only by them (Pods, Registrable).
// The condition type prefix and namespace label are in api/v1alpha1.
package podgate
