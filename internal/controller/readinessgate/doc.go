// Package readinessgate holds the readiness gate controller (issue 5). For
// every pod that carries tgc's gate for a TargetGroupBinding it sets the
// gate's pod condition to True once the pod's target is healthy in the
// binding's target group, and says why while it waits (the ELB reason). It
// also tells the binding controller which gated pods to register (GatedPods),
// since a pod behind a gate is not Ready and its endpoint reads not ready
// until the gate is True.
//
// Gate progress follows target health, not error backoff: while any gate of
// a binding waits, the controller reads DescribeTargetHealth at a steady
// interval through the binding controller's shared cache (one call per
// target group per interval) and requeues with RequeueAfter.
//
// The names (condition type, namespace label) and the helpers that read a
// pod's gates live in internal/readinessgate, shared with the webhook.
package readinessgate
