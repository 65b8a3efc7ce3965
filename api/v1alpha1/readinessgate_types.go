package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GateTimeoutAction says what tgc does with a pod whose readiness gate has
// waited longer than the binding's timeout.
// +kubebuilder:validation:Enum=Hold;Ready
type GateTimeoutAction string

const (
	// GateTimeoutHold keeps the pod not-Ready, with a Warning Event and the
	// stuck metric: a rollout stops rather than replace serving pods with
	// ones the load balancer never found healthy.
	GateTimeoutHold GateTimeoutAction = "Hold"
	// GateTimeoutReady sets the gate True (reason GateTimedOut), so the
	// rollout finishes even though the load balancer has not seen the
	// target healthy; GKE's NEG controller does the same after 10 minutes.
	GateTimeoutReady GateTimeoutAction = "Ready"
)

// ReadinessGatePolicy is a binding's own say over the readiness gate
// target-health.elbv2.tgc.dev/<binding>. It only ever affects the pods of
// the binding's own Service in its own namespace.
type ReadinessGatePolicy struct {
	// Inject: false keeps the webhook from adding this binding's gate to
	// pods, even in a namespace labelled for injection. Gates of other
	// bindings are still added. Default true.
	// +kubebuilder:default=true
	// +optional
	Inject *bool `json:"inject,omitempty"`
	// Timeout is how long a gate may wait for a healthy target, counted
	// from the pod's containers turning ready, before OnTimeout applies.
	// A Go duration between 1s and 24h, e.g. "90s" or "10m". Default: the
	// controller's --gate-timeout.
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^([0-9]+([.][0-9]+)?(ms|s|m|h))+$`
	// The rule checks the pattern again itself, so that input that is no
	// duration gets the pattern's message alone, not a CEL conversion error.
	// +kubebuilder:validation:XValidation:rule="!self.matches('^([0-9]+([.][0-9]+)?(ms|s|m|h))+$') || (duration(self) >= duration('1s') && duration(self) <= duration('24h'))",message="timeout must be a duration between 1s and 24h, e.g. 90s or 10m"
	// +optional
	Timeout *metav1.Duration `json:"timeout,omitempty"`
	// OnTimeout: Hold (default) keeps the pod not-Ready and warns; Ready
	// sets the gate True with reason GateTimedOut and an Event.
	// +kubebuilder:default=Hold
	// +optional
	OnTimeout GateTimeoutAction `json:"onTimeout,omitempty"`
}

// Injects reports whether the webhook adds the binding's gate; a nil
// policy or inject keeps the default, true.
func (p *ReadinessGatePolicy) Injects() bool {
	return p == nil || p.Inject == nil || *p.Inject
}
