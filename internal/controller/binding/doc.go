// Package binding holds the TargetGroupBinding reconciler. It is thin: it
// fetches the binding, its Service and EndpointSlices, computes the desired
// targets and a plan with the pure functions of internal/targets, applies the
// plan through the elbv2.TargetGroups boundary (deregistration first), and
// writes status, Events and metrics.
package binding
