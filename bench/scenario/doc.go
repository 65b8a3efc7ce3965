// Package benchmark is the cluster-scale benchmark driver of issue 6. Each
// scenario starts its own control plane (etcd and kube-apiserver only,
// from test/testcluster), an in-process ELBv2 emulator with simulated
// health checks and AWS-like throttling, and the built controller as its
// own process; the driver writes Services, EndpointSlices and
// TargetGroupBindings itself, as the EndpointSlice controller and a user
// would, and measures the controller from the outside: the emulator's call
// log, the driver's own write log and clock, /proc and /metrics.
//
// The figures are computed by package measure from evidence that
// BENCHMARKS.md tells a reviewer how to recompute.
package scenario
