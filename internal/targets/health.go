package targets

// State is an ELBv2 target health state, as DescribeTargetHealth reports it.
type State string

// The states documented for TargetHealth.State in the ELBv2 API reference.
const (
	StateInitial     State = "initial"
	StateHealthy     State = "healthy"
	StateUnhealthy   State = "unhealthy"
	StateUnused      State = "unused"
	StateDraining    State = "draining"
	StateUnavailable State = "unavailable"
	// StateUnhealthyDraining is reported for a target that is unhealthy and
	// draining at once (cross-zone/TLS cases); it is leaving like draining.
	StateUnhealthyDraining State = "unhealthy.draining"
)

// Health is one target as DescribeTargetHealth reports it.
type Health struct {
	Target
	State       State
	Reason      string // e.g. Elb.InitialHealthChecking, Target.NotRegistered
	Description string
}

// Leaving reports whether the target is on its way out of the group. Such
// targets take no new traffic, so for planning they count as gone.
func (h Health) Leaving() bool {
	return h.State == StateDraining || h.State == StateUnhealthyDraining
}

// Registered reports whether the target is in the group at all: a target
// named in DescribeTargetHealth but never registered reads as
// unused/Target.NotRegistered.
func (h Health) Registered() bool {
	return !(h.State == StateUnused && h.Reason == "Target.NotRegistered")
}
