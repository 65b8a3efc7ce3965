// Package e2e proves tgc's zero-downtime claim with real traffic: no request
// fails while pods roll, scale down, are deleted, start slowly, or while the
// controller itself restarts.
//
// Every scenario runs the whole stack: a real control plane with the loopback
// kubelet (test/testcluster), the ELBv2 emulator with an application
// load balancer, an ip target group and an HTTP listener that probe and proxy
// to the pods for real, and that, like an ALB, keep sending new requests to a
// deregistered target for a scaled propagation window (internal/emulator;
// timing_test.go has the scale), the controller as a separately
// built binary that authenticates as its own ServiceAccount with the shipped
// RBAC (test/identity), and a load generator (test/loadgen) that sends at least
// 200 requests/s through the listener for the whole scenario.
//
// Each pod scenario runs three times: with the recommended setup (tgc's
// readiness gate in the pod template, a preStop sleep longer than the
// deregistration delay, a grace period longer than both) and the automatic
// one (none of it in the template: the controller's pod webhook adds it,
// sized from the target group), where no request may fail, and with the
// naive setup (no gate, no preStop) whose failures are only reported.
//
// The tests live in _test.go files; this file only documents the package.
// Regenerate the results table of docs/zero-downtime.md with:
//
//	TGC_E2E_REPORT=docs/zero-downtime.md go test -race -count=1 ./test/e2e/ -v
//
// TGC_E2E_HTML=<dir> writes one rollout report (test/rollout) per scenario
// run into dir, to look at a run rather than read its log.
//
// The chaos suite (chaos_test.go) runs a rolling update under the same load
// while one fault at a time hits: throttling storms, API errors and latency,
// a kube-apiserver restart, a kill -9 of the controller, a deleted
// EndpointSlice. Only its 1 s storm runs here; `make chaos` runs every fault
// and writes the table of docs/reliability.md.
package e2e
