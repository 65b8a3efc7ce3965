package emulator

// TargetState is one registered target's health at one moment, as
// DescribeTargetHealth would report it.
type TargetState struct {
	// Target is "id:port", the key Call.TargetIDs and RequestCounts use.
	Target string
	State  string
	Reason string
}

// TargetStates reads the targets of group tgARN in process, without an API
// call: a recorder that polls it every few hundred milliseconds must not
// fill the call log it also draws, nor spend the caller's throttle budget.
// Unlike DescribeTargetHealth it shows a target from the moment it is
// registered (no visibility delay), because a picture of a rollout should
// show when AWS took the target, not when a reader could first see it.
func (e *Emulator) TargetStates(tgARN string) ([]TargetState, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	g, ok := e.groups[tgARN]
	if !ok {
		return nil, false
	}
	now := e.now()
	in := e.healthInputs(g, now)
	out := make([]TargetState, 0, len(g.order))
	for _, t := range g.order {
		if _, ok := present(g, t.key, now); !ok {
			continue
		}
		h := targetHealth(t, in)
		out = append(out, TargetState{Target: t.key.String(), State: h.State, Reason: h.Reason})
	}
	return out, true
}
