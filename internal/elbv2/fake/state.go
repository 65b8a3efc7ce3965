package fake

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// group is one target group: what DescribeTargetGroups and
// DescribeTargetGroupAttributes report, and the registered targets.
type group struct {
	tg    elbv2.TargetGroup
	delay time.Duration
	tags  map[string]string
	// targets is keyed by Id and port: AWS fills in the zone of a
	// target registered without one, so the zone does not identify it.
	targets map[targets.Key]targets.Health
}

func (g *group) meta() elbv2.TargetGroup {
	tg := g.tg
	tg.LoadBalancerARNs = clone(tg.LoadBalancerARNs)
	return tg
}

// health lists every registered target, draining ones included, as
// DescribeTargetHealth without a Targets filter does; sorted, so that
// tests compare it with a literal.
func (g *group) health() []targets.Health {
	out := make([]targets.Health, 0, len(g.targets))
	for _, h := range g.targets {
		out = append(out, h)
	}
	slices.SortFunc(out, func(a, b targets.Health) int { return targets.Compare(a.Target, b.Target) })
	return out
}

// register mirrors RegisterTargets: registering a registered target again
// is a no-op, and registering a draining one cancels its deregistration and
// starts a new registration.
func (g *group) register(ts []targets.Target, state targets.State) {
	for _, t := range ts {
		if h, ok := g.targets[t.Key()]; ok && h.Registered() && !h.Leaving() {
			continue
		}
		g.targets[t.Key()] = withState(targets.Health{Target: t}, state)
	}
}

// deregister mirrors DeregisterTargets: a registered target drains for the
// group's deregistration delay (until Settle here); an unknown or already
// draining one is left as it is and the request still succeeds, which is
// what makes retrying a deregistration safe.
func (g *group) deregister(ts []targets.Target, immediately bool) {
	for _, t := range ts {
		h, ok := g.targets[t.Key()]
		if !ok || !h.Registered() || h.Leaving() {
			continue
		}
		if immediately {
			delete(g.targets, t.Key())
			continue
		}
		g.targets[t.Key()] = withState(h, targets.StateDraining)
	}
}

// withState gives h the reason AWS reports with state. The description is
// left empty, as targets.Applied writes it, so that a controller's cached
// view and the fake's answer differ only where the controller is wrong.
func withState(h targets.Health, state targets.State) targets.Health {
	h.State, h.Reason, h.Description = state, "", ""
	switch state {
	case targets.StateInitial:
		h.Reason = targets.ReasonRegistrationInProgress
	case targets.StateDraining:
		h.Reason = targets.ReasonDeregistrationInProgress
	}
	return h
}

// AddGroup creates the target group tg.ARN with its deregistration delay,
// or replaces the metadata and delay of an existing one, keeping its
// targets.
func (f *TargetGroups) AddGroup(tg elbv2.TargetGroup, delay time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tg.LoadBalancerARNs = clone(tg.LoadBalancerARNs)
	if g, ok := f.groups[tg.ARN]; ok {
		g.tg, g.delay = tg, delay
		return
	}
	if f.groups == nil {
		f.groups = map[string]*group{}
	}
	f.groups[tg.ARN] = &group{tg: tg, delay: delay, targets: map[targets.Key]targets.Health{}}
	f.order = append(f.order, tg.ARN)
}

// RemoveGroup deletes the group and its targets, as when someone deletes
// the target group in the console: later calls get TargetGroupNotFound.
func (f *TargetGroups) RemoveGroup(arn string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.groups, arn)
	f.order = slices.DeleteFunc(f.order, func(a string) bool { return a == arn })
}

// SetTargets replaces the group's targets with hs, as though someone else
// had registered them: the drift a sync must notice. It panics when the
// group was never added, because that is a mistake in the test.
func (f *TargetGroups) SetTargets(arn string, hs ...targets.Health) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.mustGroup("SetTargets", arn)
	g.targets = make(map[targets.Key]targets.Health, len(hs))
	for _, h := range hs {
		g.targets[h.Target.Key()] = h
	}
}

// SetHealth sets one target's health, registering it when absent, as the
// group's health checks would change it.
func (f *TargetGroups) SetHealth(arn string, h targets.Health) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustGroup("SetHealth", arn).targets[h.Target.Key()] = h
}

// SetState sets one target's state with the reason AWS gives for it (none
// but for initial and draining), registering it when absent.
func (f *TargetGroups) SetState(arn string, t targets.Target, state targets.State) {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := f.mustGroup("SetState", arn)
	h, ok := g.targets[t.Key()]
	if !ok {
		h.Target = t
	}
	g.targets[t.Key()] = withState(h, state)
}

// Targets returns the group's targets with their health, sorted; nil for
// a group that does not exist. Unlike TargetHealth it is not a call.
func (f *TargetGroups) Targets(arn string) []targets.Health {
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.groups[arn]
	if !ok {
		return nil
	}
	return g.health()
}

// Settle lets time pass in every group: draining targets finish their
// deregistration delay and leave, and initial targets pass their health
// checks. Other states are kept, so a target a test made unhealthy stays so.
func (f *TargetGroups) Settle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range f.groups {
		for k, h := range g.targets {
			switch {
			case h.Leaving():
				delete(g.targets, k)
			case h.State == targets.StateInitial:
				g.targets[k] = withState(h, targets.StateHealthy)
			}
		}
	}
}

// mustGroup returns the group a setup helper names. Callers hold f.mu.
func (f *TargetGroups) mustGroup(helper, arn string) *group {
	g, ok := f.groups[arn]
	if !ok {
		panic(fmt.Sprintf("fake: %s(%q): no such target group; AddGroup it first", helper, arn))
	}
	return g
}

// SetTags replaces a group's AWS tags (DescribeTags answers a group with
// none with an empty list).
func (f *TargetGroups) SetTags(arn string, tags map[string]string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mustGroup("SetTags", arn).tags = maps.Clone(tags)
}
