// Package gateinjector is the mutating admission webhook that adds tgc's
// pod readiness gates to new pods and, for bindings with drain.inject: true,
// sizes their drain (a preStop sleep and the grace period, internal/drain).
//
// A pod gets the gate of every TargetGroupBinding in its namespace whose
// Service selects it, but only in namespaces labelled
// elbv2.tgc.dev/pod-readiness-gate-inject=enabled. The webhook never denies a
// pod: every error becomes "allowed, unchanged" plus a warning, because a gate
// or a drain is an optimisation of rollouts and must not cost a pod its
// creation. It never calls AWS either: a group's deregistration delay comes
// from the binding's status, in the informer cache.
package gateinjector
