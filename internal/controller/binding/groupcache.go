package binding

import (
	"net/netip"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// groups is tgc's view of the target groups it manages, shared by every
// binding: two bindings on one target group (multi-cluster mode) read and
// update the same entry, and take its lock for a whole sync so that their
// plans never race.
type groups struct {
	mu    sync.Mutex
	byARN map[string]*group
}

// group is one target group as tgc last saw it. Health is primed by one
// DescribeTargetHealth on first use and then kept current by tgc's own
// successful calls (targets.Applied); refreshes happen only for the drift
// check and while targets are still changing state on their own.
type group struct {
	mu sync.Mutex

	// delay is the group's deregistration delay, read in the background
	// for grace period warnings; zero until read.
	delay   time.Duration
	delayAt time.Time

	primed    bool
	health    []targets.Health
	refreshAt time.Time
	// driftBase is the membership before a readiness gate poll found the
	// group changed outside tgc; the next sync reports drift against it.
	driftBase map[netip.AddrPort]targets.Target

	// rejected are targets AWS refused (InvalidTarget), with the time until
	// which tgc stops offering them, so that one bad endpoint does not block
	// the rest of the Service.
	rejected map[netip.AddrPort]time.Time
}

func newGroups() *groups {
	return &groups{byARN: map[string]*group{}}
}

func (g *groups) get(arn string) *group {
	g.mu.Lock()
	defer g.mu.Unlock()
	gr, ok := g.byARN[arn]
	if !ok {
		gr = &group{rejected: map[netip.AddrPort]time.Time{}}
		g.byARN[arn] = gr
	}
	return gr
}

// forget drops a target group, e.g. after AWS said it no longer exists, so a
// group recreated under the same name starts from a fresh DescribeTargetHealth.
func (g *groups) forget(arn string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.byARN, arn)
}

// unsettled reports whether some target is still changing state without
// tgc's help (initial -> healthy, draining -> gone), which is when its health
// must be polled for the status counts to follow.
func (gr *group) unsettled() bool {
	for _, h := range gr.health {
		switch h.State {
		case targets.StateInitial, targets.StateDraining, targets.StateUnhealthyDraining, targets.StateUnhealthy:
			return true
		}
	}
	return false
}

// members returns the targets in the group that are not leaving it.
func members(hs []targets.Health) map[netip.AddrPort]targets.Target {
	m := make(map[netip.AddrPort]targets.Target, len(hs))
	for _, h := range hs {
		if h.Registered() && !h.Leaving() {
			m[h.Target.Key()] = h.Target
		}
	}
	return m
}

// Health returns a copy of tgc's current view of a target group's targets,
// when it has one, and when it was last read from AWS. Other controllers
// (readiness gates, issue 5) read it instead of calling DescribeTargetHealth
// themselves; the view follows AWS within the health poll interval while
// targets change state.
func (c *Controller) Health(arn string) ([]targets.Health, time.Time, bool) {
	gr := c.groups.get(arn)
	gr.mu.Lock()
	defer gr.mu.Unlock()
	if !gr.primed {
		return nil, time.Time{}, false
	}
	return append([]targets.Health(nil), gr.health...), gr.refreshAt, true
}
