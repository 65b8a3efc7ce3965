package targets

import (
	"slices"
)

// Reasons DescribeTargetHealth gives for the states Applied writes.
const (
	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonNotRegistered            = "Target.NotRegistered"
)

// Applied returns actual as it reads after a successful call of op on ts,
// without asking AWS: a registered target starts in initial, a deregistered
// one drains. This keeps the controller's cached view of a target group
// current between DescribeTargetHealth calls, so that an endpoint change
// is planned without a read before its write. actual is not
// modified; the result is sorted.
func Applied(actual []Health, op Op, ts []Target) []Health {
	changed := make(map[Key]Target, len(ts))
	for _, t := range ts {
		changed[t.Key()] = t
	}
	out := make([]Health, 0, len(actual)+len(ts))
	for _, h := range actual {
		if _, ok := changed[h.Target.Key()]; ok {
			// A registered target drains; one already draining keeps
			// draining; one never registered stays absent. A registered
			// one is replaced by the initial entry added below.
			if op == OpDeregister && h.Registered() {
				if !h.Leaving() {
					h.State, h.Reason, h.Description = StateDraining, ReasonDeregistrationInProgress, ""
				}
				out = append(out, h)
			}
			continue
		}
		out = append(out, h)
	}
	if op == OpRegister {
		for _, t := range changed {
			out = append(out, Health{Target: t, State: StateInitial, Reason: ReasonRegistrationInProgress})
		}
	}
	sortHealth(out)
	return out
}

func sortHealth(hs []Health) {
	slices.SortFunc(hs, func(a, b Health) int { return Compare(a.Target, b.Target) })
}

// Members returns the targets in the group that are not leaving it, by key.
func Members(hs []Health) map[Key]Target {
	m := make(map[Key]Target, len(hs))
	for _, h := range hs {
		if h.Registered() && !h.Leaving() {
			m[h.Target.Key()] = h.Target
		}
	}
	return m
}
