// Package gateinjector is the mutating admission webhook that adds tgc's
// pod readiness gates to new pods.
//
// A pod gets the gate of every TargetGroupBinding in its namespace whose
// Service selects it, but only in namespaces labelled
// elbv2.tgc.dev/pod-readiness-gate-inject=enabled. The webhook never denies a
// pod: every error becomes "allowed, unchanged" plus a warning, because a gate
// is an optimisation of rollouts and must not cost a pod its creation.
package gateinjector
