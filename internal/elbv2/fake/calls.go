package fake

import (
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Call is one request AWS received, or, in Deferrals, one the client-side
// rate limit kept from AWS.
type Call struct {
	Op       string // the ELBv2 action, one of the Op* constants
	ARN      string // the target group; for a lookup by name, the group it resolved to
	Name     string // FindTargetGroupByName's name
	Marker   string // TargetGroupPage's marker
	Priority elbv2.Priority
	Write    elbv2.Write
	// Targets are the targets of this one request: a Register of more
	// than a batch is several calls.
	Targets []targets.Target
	// Err is what the request returned, before the fake wraps it with
	// context as the adapter does; nil when it succeeded.
	Err error
}

func (c Call) clone() Call {
	c.Targets = clone(c.Targets)
	return c
}

// Calls returns every request AWS received, in order, failed ones
// included: what a test counts when it asserts on API cost.
func (f *TargetGroups) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneCalls(f.calls, "")
}

// CallsOf returns the requests of one action, in order.
func (f *TargetGroups) CallsOf(op string) []Call {
	checkOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneCalls(f.calls, op)
}

// Count returns how many requests of one action AWS received.
func (f *TargetGroups) Count(op string) int {
	checkOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c.Op == op {
			n++
		}
	}
	return n
}

// Deferrals returns the calls that never reached AWS because the rate
// limit deferred them: writes turned away by Defer and Spare reads refused
// while SpareUnavailable. Err holds the error each returned.
func (f *TargetGroups) Deferrals() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return cloneCalls(f.deferred, "")
}

// ResetCalls forgets the recorded calls and deferrals, keeping state and
// injections, so a test can set up through the fake and then assert only
// on what the code under test did.
func (f *TargetGroups) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls, f.deferred = nil, nil
}

func cloneCalls(cs []Call, op string) []Call {
	var out []Call
	for _, c := range cs {
		if op == "" || c.Op == op {
			out = append(out, c.clone())
		}
	}
	return out
}
