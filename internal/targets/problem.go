package targets

import "fmt"

// Reason names a problem with a binding's input in words a user can act on.
// The controller copies it into the binding's Ready condition.
type Reason string

const (
	// ReasonServiceNotFound: the binding names a Service that does not exist.
	ReasonServiceNotFound Reason = "ServiceNotFound"
	// ReasonServicePortNotFound: serviceRef.port matches no port of the Service.
	ReasonServicePortNotFound Reason = "ServicePortNotFound"
	// ReasonIPFamilyMismatch: the Service has no IP family matching the
	// target group's IP address type.
	ReasonIPFamilyMismatch Reason = "IPFamilyMismatch"
	// ReasonNoNodePort: the Service port has no nodePort, which instance
	// targets are registered on.
	ReasonNoNodePort Reason = "NoNodePort"
	// ReasonEndpointPortMissing: an EndpointSlice does not carry the
	// Service port, so its endpoints cannot become targets. Usually transient
	// while the EndpointSlice controller catches up with a Service change.
	ReasonEndpointPortMissing Reason = "EndpointPortMissing"
	// ReasonInvalidAddress: an endpoint address is not an IP of the slice's
	// address type.
	ReasonInvalidAddress Reason = "InvalidEndpointAddress"
)

// Problem is bad or inconsistent input found while computing desired targets.
// Desired returns one as its error when nothing sensible can be registered;
// lesser ones are listed in DesiredResult.Warnings.
type Problem struct {
	Reason  Reason
	Message string
}

func (p *Problem) Error() string { return string(p.Reason) + ": " + p.Message }

func problemf(r Reason, format string, args ...any) *Problem {
	return &Problem{Reason: r, Message: fmt.Sprintf(format, args...)}
}
