// Package podgate holds the names tgc uses for pod readiness gates and
// the small functions that read them off a pod.
//
// A pod carrying the gate for a TargetGroupBinding stays not-Ready until tgc
// sets the matching condition to True, which it does once the pod's target is
// healthy in that binding's target group. See
// https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#pod-readiness-gate
// for how the kubelet combines readiness gates with container readiness.
//
// The webhook (internal/webhook/readinessgate) writes the gates into new pods;
// the controller reads and satisfies them with the helpers here, so both sides
// agree on one spelling.
package podgate
