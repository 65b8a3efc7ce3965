// Package readinessgate holds the readiness gate controller. For
// every pod that carries tgc's gate for a TargetGroupBinding it sets the
// gate's pod condition to True once the pod's target is healthy in the
// binding's target group, and says why while it waits (the ELB reason). It
// never registers targets itself: the binding controller registers gated pods
// (podgate.Pods), since a pod behind a gate is not Ready and its endpoint
// reads not ready until the gate is True.
//
// Gate progress follows target health, not error backoff: while any gate of
// a binding waits, the controller reads DescribeTargetHealth at a steady
// interval through the shared target-group view (internal/controller/
// targetgroups: one call per target group per interval) and requeues with RequeueAfter.
//
// The names (condition type prefix, namespace label) live in api/v1alpha1;
// the helpers that read a pod's gates and watch gated pods live in
// internal/podgate, shared with the binding controller and the webhook.
package readinessgate
