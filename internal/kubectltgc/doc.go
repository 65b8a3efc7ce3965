// Package kubectltgc is `kubectl tgc`, the operators' tool: status, diff,
// why, pause and resume. It reads the cluster with the user's kubeconfig
// and AWS with the user's standard AWS credentials, and never writes to
// AWS: diff and why work out a binding's plan with the controller's own
// Planner (internal/controller/binding) over a read-only ELBv2 boundary.
// Its only write is pause and resume's patch of spec.paused.
package kubectltgc
