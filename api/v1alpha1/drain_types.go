package v1alpha1

// DrainPolicy is a binding's say over how its pods leave the target group.
// The pod webhook sizes the pods' shutdown from the target group's
// deregistration delay, so that a pod keeps serving while the load balancer
// still sends it requests, and is not killed before those in flight end.
type DrainPolicy struct {
	// Inject: true has the webhook, in a namespace labelled for injection,
	// give the serving container of each new pod of the Service (the one
	// whose port the Service's targetPort names) a preStop sleep of the
	// group's deregistration delay plus a propagation margin, and raise
	// the pod's terminationGracePeriodSeconds to cover it. A container
	// that has its own preStop is left alone. Default false.
	// +optional
	Inject bool `json:"inject,omitempty"`
}

// Injects reports whether the webhook sizes the pods' drain; a nil policy
// keeps the default, false.
func (p *DrainPolicy) Injects() bool { return p != nil && p.Inject }

// AnnotationDrain is the annotation the webhook writes on a pod whose
// shutdown it sized, holding a DrainRecord as JSON: what it did and with
// which figures, so that a reader (and tgc, when the delay changes) can tell
// which pods run with an old delay.
const AnnotationDrain = "elbv2.tgc.dev/drain"

// DrainRecord is the value of AnnotationDrain.
type DrainRecord struct {
	// Containers are the serving containers: those whose port a bound
	// Service's targetPort names.
	Containers []string `json:"containers"`
	// Bindings whose delay counted; the largest wins.
	Bindings []string `json:"bindings"`
	// DeregistrationDelaySeconds is the delay the figures come from.
	DeregistrationDelaySeconds int32 `json:"deregistrationDelaySeconds"`
	// PreStopSeconds is the sleep added: the delay plus the propagation
	// margin, capped; 0 when every serving container had its own preStop
	// and was left alone (OwnPreStop).
	PreStopSeconds int64 `json:"preStopSeconds"`
	// OwnPreStop: a serving container had a preStop, kept as it was.
	OwnPreStop bool `json:"ownPreStop,omitempty"`
	// TerminationGracePeriodSeconds is the pod's grace period afterwards;
	// it is never lowered.
	TerminationGracePeriodSeconds int64 `json:"terminationGracePeriodSeconds"`
}
