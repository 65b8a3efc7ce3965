// Package webhook wires tgc's admission webhook into a controller-runtime
// manager: its flags, its server, its self-managed certificate and the
// readiness-gate injection handler.
//
// The pieces live in sub-packages: readinessgate (the handler) and certs
// (the serving certificate and caBundle). This package only assembles them,
// so that cmd/targetgroupcontroller stays a few lines.
package webhook
