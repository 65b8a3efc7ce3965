package measure

import (
	"slices"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// Reaction is how long after start the controller's last call needed for
// an operation reached AWS: for every target the operation moved in dir,
// the first successful call of dir's action in group carrying it that
// started at or after start, and of those the latest start. A reaction is
// taken at the call's start, when the request reached the emulator, so
// the emulator's own service time is not in it. ok is false when some
// target was never carried.
func Reaction(calls []emulator.Call, group string, targets []string, dir Direction, start time.Time) (d time.Duration, ok bool) {
	pending := map[string]bool{}
	for _, t := range targets {
		pending[t] = true
	}
	var last time.Time
	for _, c := range calls {
		if len(pending) == 0 {
			break
		}
		if c.Action != dir.Action() || c.Result != "OK" || c.TargetGroupARN != group || c.Time.Before(start) {
			continue
		}
		carried := false
		for _, id := range c.TargetIDs {
			if pending[id] {
				delete(pending, id)
				carried = true
			}
		}
		if carried && c.Time.After(last) {
			last = c.Time
		}
	}
	if len(pending) > 0 || len(targets) == 0 {
		return 0, false
	}
	return last.Sub(start), true
}

// Shows reports whether a group's target health, as "id:port" -> state,
// shows an operation done: for Up every target is there and not draining;
// for Down every target is gone or draining, which is what
// DescribeTargetHealth answers once a deregistration has been accepted.
func Shows(states map[string]string, targets []string, dir Direction) bool {
	return !slices.ContainsFunc(targets, func(t string) bool {
		st, there := states[t]
		registered := there && st != "draining"
		return registered != (dir == Up)
	})
}
