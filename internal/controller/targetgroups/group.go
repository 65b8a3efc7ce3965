package targetgroups

import (
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Group is one target group as tgc last saw it. Its health is primed by one
// DescribeTargetHealth on first use and then kept current by tgc's own
// successful writes (targets.Applied); AWS is read again only for the drift
// check and while targets are still changing state on their own.
//
// Its methods other than Unlock need the lock that View.Lock took.
type Group struct {
	view *View
	arn  string
	mu   sync.Mutex

	primed bool
	health []targets.Health
	readAt time.Time
	// driftBase is the membership before a read outside a sync (a readiness
	// gate poll) found the group changed outside tgc; the next sync reports
	// drift against it.
	driftBase map[targets.Key]targets.Target

	// delay is the group's deregistration delay, read in the background
	// for grace period warnings; zero until read.
	delay   time.Duration
	delayAt time.Time

	// tags are the group's AWS tags, read only for TargetGroupPolicies
	// that match on tags, at most once per drift interval.
	tags   map[string]string
	tagsAt time.Time

	// rejected are targets AWS refused (InvalidTarget), with the time until
	// which they are left out, so that one bad endpoint does not block the
	// rest of the Service.
	rejected map[targets.Key]time.Time
}

func newGroup(v *View, arn string) *Group {
	return &Group{view: v, arn: arn, rejected: map[targets.Key]time.Time{}}
}

// Unlock releases the group for the next sync or reader.
func (g *Group) Unlock() { g.mu.Unlock() }

// ARN names the group.
func (g *Group) ARN() string { return g.arn }

// Health is the group's targets as tgc now believes AWS would report them,
// sorted. The slice is the view's own: read it, do not change it.
func (g *Group) Health() []targets.Health { return g.health }

// Unsettled reports whether some target is still changing state without
// tgc's help (initial -> healthy, draining -> gone), which is when its health
// must be polled for status counts to follow.
func (g *Group) Unsettled() bool { return Unsettled(g.health) }

// Unsettled reports whether some of the targets are still changing state
// without tgc's help.
func Unsettled(hs []targets.Health) bool {
	for _, h := range hs {
		switch h.State {
		case targets.StateInitial, targets.StateDraining, targets.StateUnhealthyDraining, targets.StateUnhealthy:
			return true
		}
	}
	return false
}

// Reject leaves t out of the group's desired targets until then.
func (g *Group) Reject(t targets.Target, until time.Time) { g.rejected[t.Key()] = until }

// WithoutRejected splits ts into the targets to offer AWS and those it
// rejected recently, which stay set aside; those whose time is up are
// offered again.
func (g *Group) WithoutRejected(ts []targets.Target, now time.Time) (offer, setAside []targets.Target) {
	if len(g.rejected) == 0 {
		return ts, nil
	}
	offer = make([]targets.Target, 0, len(ts))
	for _, t := range ts {
		if until, ok := g.rejected[t.Key()]; ok {
			if now.Before(until) {
				setAside = append(setAside, t)
				continue
			}
			delete(g.rejected, t.Key())
		}
		offer = append(offer, t)
	}
	return offer, setAside
}
