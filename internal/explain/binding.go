package explain

import (
	"fmt"
	"time"
)

// Endpoint is how the binding's Service lists the pod.
type Endpoint string

const (
	// EndpointMissing: no EndpointSlice lists the pod on the bound port.
	EndpointMissing Endpoint = "missing"
	EndpointReady   Endpoint = "ready"
	// EndpointGated: not ready only because of tgc's readiness gate, and
	// registered so that the gate can turn True.
	EndpointGated       Endpoint = "gated"
	EndpointNotReady    Endpoint = "notReady"
	EndpointTerminating Endpoint = "terminating"
	// EndpointSkipped: ready, but no Pod of the binding stands behind its
	// address as the EndpointSlice names it.
	EndpointSkipped Endpoint = "skipped"
)

// Action is what a sync would do with the pod's target now.
type Action string

const (
	ActionNone       Action = ""
	ActionRegister   Action = "register"
	ActionDeregister Action = "deregister"
	// ActionHeld: the deregistration brake holds its removal.
	ActionHeld Action = "held"
	// ActionWithheld: kept by emptyEndpointsPolicy Retain.
	ActionWithheld Action = "withheld"
)

// Binding is what the planner of one binding found about the pod.
type Binding struct {
	Name    string
	Service string
	// Selects: the Service selects the pod; false for a binding found
	// only through the readiness gate the pod carries.
	Selects     bool
	TargetGroup string
	Paused      bool
	// StopReason and StopMessage: a sync would stop before planning
	// (refused: TargetGroupConflict, NotAllowed; wrong input:
	// PortNotFound, ...).
	StopReason, StopMessage string
	// Node is set for a binding of targetType instance: the pod's node,
	// whose instance is the target.
	Node       string
	Endpoint   Endpoint
	SkipReason string
	// Target is "id:port"; empty when the pod has none.
	Target string
	// State, Reason and Description are the target's health as
	// DescribeTargetHealth reports it; State is empty when the target is
	// not in the group.
	State, Reason, Description string
	Action                     Action
	// HasGate: the pod carries the binding's readiness gate; GateTrue,
	// GateReason and GateSince are its condition.
	HasGate, GateTrue bool
	GateReason        string
	GateSince         time.Time
}

// explain is the binding's part of the chain.
func (b Binding) explain(p Pod, now time.Time) []Finding {
	var out []Finding
	add := func(l Level, format string, args ...any) {
		out = append(out, Finding{Level: l, Text: fmt.Sprintf(format, args...)})
	}
	if b.StopReason != "" {
		add(Problem, "binding %s is not synced: %s: %s", b.Name, b.StopReason, b.StopMessage)
		return out
	}
	add(OK, "binding %s binds Service %s to target group %s", b.Name, b.Service, b.TargetGroup)
	if b.Paused {
		add(Problem, "binding %s is paused (spec.paused): tgc makes no AWS writes for it, so the pod's target is neither registered nor deregistered and its readiness gate stays as it is; resume with kubectl tgc resume %s", b.Name, b.Name)
	}
	if !b.Selects {
		add(Problem, "Service %s does not select the pod, yet the pod carries binding %s's readiness gate, which can never turn True; fix the pod's labels or remove the gate", b.Service, b.Name)
		return out
	}
	if b.Node != "" {
		add(Info, "binding %s registers nodes (targetType instance): the pod gets traffic through its node %s", b.Name, b.Node)
	}
	if !b.endpoint(add) {
		return out
	}
	b.target(add)
	if b.HasGate {
		switch {
		case b.GateTrue:
			add(OK, "readiness gate is True")
		case b.GateReason == "":
			add(Problem, "readiness gate has no condition yet: the readiness gate controller has not looked at the pod")
		default:
			add(Problem, "readiness gate is waiting on %s since %s", b.GateReason, age(b.GateSince, now))
		}
	}
	switch b.Action {
	case ActionHeld:
		add(Problem, "the deregistration of its target is held by the brake (binding Ready=DeregistrationHeld): see kubectl tgc status %s", b.Name)
	case ActionDeregister:
		add(Info, "%s", b.when("a sync deregisters its target"))
	case ActionWithheld:
		add(Info, "its target is kept although the Service has no ready endpoints (emptyEndpointsPolicy Retain)")
	}
	return out
}

// endpoint adds the endpoint's finding and reports whether the chain goes
// on to the target.
func (b Binding) endpoint(add func(Level, string, ...any)) bool {
	switch b.Endpoint {
	case EndpointMissing:
		if b.Node != "" {
			return true // nodes are targets whatever their endpoints (Cluster)
		}
		if b.State != "" || b.Action == ActionHeld {
			add(Problem, "no EndpointSlice of Service %s lists the pod on the bound port any more, yet its target %s is still in the group", b.Service, b.Target)
			return true
		}
		add(Problem, "no EndpointSlice of Service %s lists the pod on the bound port: check that the Service's targetPort is a port the pod's container serves", b.Service)
		return false
	case EndpointNotReady:
		add(Problem, "its endpoint is not ready, so tgc does not register it")
	case EndpointTerminating:
		add(Info, "its endpoint is terminating: tgc deregisters its target")
	case EndpointSkipped:
		add(Problem, "its endpoint %s is skipped (%s): only an address of a Pod in the binding's namespace becomes a target", b.Target, b.SkipReason)
		return false
	case EndpointGated:
		add(Info, "its endpoint waits for tgc's readiness gate; tgc registers it so that the gate can turn True")
	case EndpointReady:
		add(OK, "its endpoint %s is ready", b.Target)
	}
	return true
}

func (b Binding) target(add func(Level, string, ...any)) {
	why := b.Reason
	if b.Description != "" {
		why += " (" + b.Description + ")"
	}
	switch b.State {
	case "":
		if b.Action == ActionRegister {
			add(Problem, "target %s is not registered in %s yet: %s", b.Target, b.TargetGroup, b.when("a sync registers it"))
			return
		}
		if b.Endpoint == EndpointReady || b.Endpoint == EndpointGated {
			add(Problem, "target %s is not registered in %s", b.Target, b.TargetGroup)
		}
	case "healthy":
		add(OK, "target %s is healthy in %s", b.Target, b.TargetGroup)
	case "draining", "unhealthy.draining":
		add(Problem, "target %s is draining in %s: it takes no new connections", b.Target, b.TargetGroup)
	default:
		add(Problem, "target %s is %s in %s: %s", b.Target, b.State, b.TargetGroup, why)
	}
}

// when says when a sync does what it would: now, or once a paused
// binding is resumed.
func (b Binding) when(what string) string {
	if b.Paused {
		return what + " once the binding is resumed"
	}
	return what + " now"
}
