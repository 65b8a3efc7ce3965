package measure

import (
	"slices"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// Direction is which way an endpoint changed in an EndpointSlice write.
type Direction string

const (
	// Up: the endpoint became ready, so its target must be registered.
	Up Direction = "up"
	// Down: the endpoint stopped being ready (or started terminating), so
	// its target must be deregistered.
	Down Direction = "down"
)

// Action is the ELBv2 action that carries a change in this direction.
func (d Direction) Action() string {
	if d == Up {
		return "RegisterTargets"
	}
	return "DeregisterTargets"
}

func (d Direction) opposite() Direction {
	if d == Up {
		return Down
	}
	return Up
}

// Change is one endpoint transition, as the driver wrote it.
type Change struct {
	// At is when the driver sent the EndpointSlice write (its own clock,
	// just before the request).
	At time.Time `json:"at"`
	// Group is the target group ARN the endpoint's binding points at.
	Group string `json:"group"`
	// Target is the endpoint as a target, "ip:port".
	Target string    `json:"target"`
	Dir    Direction `json:"dir"`
}

// State is what became of a change.
type State string

// Outcomes of a change.
const (
	// Applied: a successful call of the change's action carrying the target
	// started after the write and before the target's next change.
	Applied State = "applied"
	// Superseded: no such call before the target changed again; the later
	// change decides what AWS needs.
	Superseded State = "superseded"
	// Reverted: the change undid an earlier change that never reached AWS,
	// so AWS already held the state it asks for and no call was due.
	Reverted State = "reverted"
	// Unapplied: the target's last change, and no call carried it.
	Unapplied State = "unapplied"
)

// Outcome is a change and the call that carried it.
type Outcome struct {
	Change
	State State `json:"state"`
	// CallEnd is when the carrying call completed (Applied only).
	CallEnd time.Time `json:"callEnd,omitzero"`
	// Latency is CallEnd - At (Applied only).
	Latency time.Duration `json:"latency,omitempty"`
}

type groupTarget struct{ group, target string }

// Match finds, for every change, the first successful call of its action
// carrying its target in its group that started at or after the write.
// The call counts only if it started before the same target's next change;
// otherwise the change was superseded. The state of each target before its
// first change is taken to be the opposite of that change (the harness only
// writes transitions), and a change back to the state AWS still holds
// needs no call (Reverted). Outcomes come back in the order of changes.
func Match(changes []Change, calls []emulator.Call) []Outcome {
	starts := callStarts(calls)
	order := make([]int, len(changes))
	for i := range order {
		order[i] = i
	}
	// Stable by time, so equal timestamps keep the write order.
	slices.SortStableFunc(order, func(a, b int) int { return changes[a].At.Compare(changes[b].At) })
	byTarget := map[groupTarget][]int{}
	for _, i := range order {
		k := groupTarget{changes[i].Group, changes[i].Target}
		byTarget[k] = append(byTarget[k], i)
	}
	out := make([]Outcome, len(changes))
	for k, idx := range byTarget {
		held := changes[idx[0]].Dir.opposite()
		for n, i := range idx {
			c := changes[i]
			o := Outcome{Change: c}
			var next time.Time
			if n+1 < len(idx) {
				next = changes[idx[n+1]].At
			}
			switch {
			case c.Dir == held:
				o.State = Reverted
			default:
				call, ok := firstCall(starts[callKey{c.Dir.Action(), k}], c.At, next)
				switch {
				case ok:
					o.State, o.CallEnd, o.Latency = Applied, call.End(), call.End().Sub(c.At)
					held = c.Dir
				case !next.IsZero():
					o.State = Superseded
				default:
					o.State = Unapplied
				}
			}
			out[i] = o
		}
	}
	return out
}

type callKey struct {
	action string
	groupTarget
}

// callStarts indexes the successful Register/Deregister calls by action,
// group and target, each list sorted by start time.
func callStarts(calls []emulator.Call) map[callKey][]emulator.Call {
	m := map[callKey][]emulator.Call{}
	for _, c := range calls {
		if c.Result != "OK" || (c.Action != "RegisterTargets" && c.Action != "DeregisterTargets") {
			continue
		}
		for _, t := range c.TargetIDs {
			k := callKey{c.Action, groupTarget{c.TargetGroupARN, t}}
			m[k] = append(m[k], c)
		}
	}
	for _, l := range m {
		slices.SortStableFunc(l, func(a, b emulator.Call) int { return a.Time.Compare(b.Time) })
	}
	return m
}

// firstCall is the first call starting in [from, until); a zero until
// means no bound.
func firstCall(sorted []emulator.Call, from, until time.Time) (emulator.Call, bool) {
	i, _ := slices.BinarySearchFunc(sorted, from, func(c emulator.Call, t time.Time) int { return c.Time.Compare(t) })
	if i == len(sorted) {
		return emulator.Call{}, false
	}
	if !until.IsZero() && !sorted[i].Time.Before(until) {
		return emulator.Call{}, false
	}
	return sorted[i], true
}

// Latencies are the latencies of the applied outcomes in direction d.
func Latencies(outcomes []Outcome, d Direction) []time.Duration {
	var out []time.Duration
	for _, o := range outcomes {
		if o.State == Applied && o.Dir == d {
			out = append(out, o.Latency)
		}
	}
	return out
}

// CountStates counts outcomes by state.
func CountStates(outcomes []Outcome) map[State]int {
	m := map[State]int{}
	for _, o := range outcomes {
		m[o.State]++
	}
	return m
}
