package targets

// Evidence is why a target may leave its group: something about its pod,
// its endpoint or its Service says the removal is meant. A target the plan
// would deregister with no evidence is unexplained: its pod, as far as tgc
// knows, still runs and is ready, yet it dropped out of the desired set, as
// when an EndpointSlice vanishes or a cache comes back short.
type Evidence string

const (
	// EvidenceEndpointTerminating: a slice lists the endpoint as terminating.
	EvidenceEndpointTerminating Evidence = "EndpointTerminating"
	// EvidenceEndpointNotReady: a slice lists the endpoint as not ready.
	EvidenceEndpointNotReady Evidence = "EndpointNotReady"
	// EvidencePodLeaving: every Pod of the namespace with the target's IP is
	// being deleted, not Ready, or finished (Succeeded or Failed).
	EvidencePodLeaving Evidence = "PodLeaving"
	// EvidencePodDeleted: tgc saw the delete event of a Pod with the
	// target's IP a short while ago, and no Pod holds the IP now. A Pod
	// merely missing from the cache is not evidence.
	EvidencePodDeleted Evidence = "PodDeleted"
)

// EndpointEvidence is the evidence the desired state itself gives: endpoints
// listed as terminating or not ready, and for node targets what Desired
// found about the nodes (DesiredResult.Explained).
func EndpointEvidence(r DesiredResult) map[Key]Evidence {
	out := make(map[Key]Evidence, len(r.Terminating)+len(r.NotReady)+len(r.Explained))
	for k, ev := range r.Explained {
		out[k] = ev
	}
	for _, t := range r.NotReady {
		out[t.Key()] = EvidenceEndpointNotReady
	}
	for _, t := range r.Terminating {
		out[t.Key()] = EvidenceEndpointTerminating
	}
	return out
}

// BrakeLimits say how many unexplained removals one sync may make.
type BrakeLimits struct {
	// MaxFraction: holding starts when the unexplained targets are more
	// than this fraction of the group's healthy targets that the binding
	// may remove.
	MaxFraction float64
	// MaxTargets: holding starts when the unexplained targets are more
	// than this many, whatever the group's size. One EndpointSlice holds up
	// to 100 endpoints, so a lost slice of a large Service is a small
	// fraction of it; this catches it.
	MaxTargets int
}

// BrakeInput is what Brake decides on.
type BrakeInput struct {
	// Deregister is what the plan would remove (Plan.Deregister).
	Deregister []Target
	// Health is the group as last read.
	Health []Health
	// Owned limits the group to the binding's own targets, as in PlanInput.
	Owned map[Target]bool
	// Evidence, by target, for the removals it explains.
	Evidence map[Key]Evidence
	// Edited: the binding's spec, or its Service's selector or ports,
	// changed a short while ago. A deliberate edit explains every removal:
	// a blue/green switch of the selector moves the targets to pods that
	// run alongside the old ones, which are still ready.
	Edited bool
	// Confirmed is the number of held targets a user confirmed may go; 0
	// for none. It releases the hold only when it equals the number held,
	// so that a confirmation of one hold does not release another.
	Confirmed int
	Limits    BrakeLimits
}

// BrakeResult splits the plan's removals.
type BrakeResult struct {
	// Release are the removals to make now: explained ones, and all of
	// them when no hold is needed or the hold was confirmed.
	Release []Target
	// Held are the unexplained targets kept in the group.
	Held []Target
	// Healthy is the number of healthy targets the binding may remove, the
	// base of MaxFraction.
	Healthy int
	// Confirmed: the removals were released by a user's confirmation.
	Confirmed bool
}

// Brake decides which of a plan's removals go ahead. Only targets that take
// traffic, or are about to, are protected: healthy ones, and initial ones,
// because tgc's own view marks every target it registered initial until the
// next read, while AWS may already route to it. AWS sends no traffic to the
// others, so removing them loses nothing. When the unexplained removals exceed either limit, all of them
// are held, not just the excess: which of them are real cannot be told, and
// a hold of some would still take the rest off the load balancer. Brake is
// pure.
func Brake(in BrakeInput) BrakeResult {
	var owned map[Key]bool
	if in.Owned != nil {
		owned = make(map[Key]bool, len(in.Owned))
		for t, ok := range in.Owned {
			owned[t.Key()] = ok
		}
	}
	state := map[Key]State{}
	var out BrakeResult
	for _, h := range in.Health {
		if !h.Registered() || h.Leaving() {
			continue
		}
		k := h.Target.Key()
		state[k] = h.State
		if protected(h.State) && (owned == nil || owned[k]) {
			out.Healthy++
		}
	}
	var unexplained []Target
	for _, t := range in.Deregister {
		k := t.Key()
		if in.Edited || in.Evidence[k] != "" || !protected(state[k]) {
			continue
		}
		unexplained = append(unexplained, t)
	}
	n := len(unexplained)
	over := n > in.Limits.MaxTargets || float64(n) > in.Limits.MaxFraction*float64(out.Healthy)
	switch {
	case n == 0 || !over:
		out.Release = in.Deregister
	case in.Confirmed == n:
		out.Release, out.Confirmed = in.Deregister, true
	default:
		out.Held = unexplained
		held := keys(unexplained)
		for _, t := range in.Deregister {
			if !held[t.Key()] {
				out.Release = append(out.Release, t)
			}
		}
	}
	return out
}

func keys(ts []Target) map[Key]bool {
	m := make(map[Key]bool, len(ts))
	for _, t := range ts {
		m[t.Key()] = true
	}
	return m
}

// protected reports whether a target in this state may take traffic.
func protected(s State) bool { return s == StateHealthy || s == StateInitial }
