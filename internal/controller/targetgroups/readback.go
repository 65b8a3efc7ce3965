package targetgroups

import (
	"context"
	"errors"
	"maps"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Refresh reads the group back from AWS when tgc has not seen it yet or when
// the drift interval has passed. Otherwise the view, kept current by tgc's
// own writes, is used and AWS is not asked: a restart costs one
// DescribeTargetHealth per group, and an endpoint change exactly one write,
// planned without a read before it.
//
// It returns the membership before the read when there was one to compare
// with (for drift), and whether AWS was called.
func (g *Group) Refresh(ctx context.Context) (map[targets.Key]targets.Target, bool, error) {
	return g.RefreshAt(ctx, elbv2.Required)
}

// RefreshAt is Refresh with the read at priority p: Background for the
// verification of a group nothing asked to change, so that it never delays
// the read before a change.
func (g *Group) RefreshAt(ctx context.Context, p elbv2.Priority) (map[targets.Key]targets.Target, bool, error) {
	due := !g.primed || g.view.clock.Since(g.readAt) >= g.view.cfg.DriftInterval
	// A read outside a sync may have found the group changed since; its
	// membership from before stands in for ours.
	before := g.driftBase
	g.driftBase = nil
	if !due {
		return before, false, nil
	}
	if before == nil && g.primed {
		before = targets.Members(g.health)
	}
	hs, err := g.view.aws.TargetHealth(ctx, g.arn, p)
	if err != nil {
		g.driftBase = before
		return nil, false, err
	}
	g.health, g.primed, g.readAt = hs, true, g.view.clock.Now()
	return before, true, nil
}

// readBack reads the group's targets outside a sync. A read that finds the
// membership changed outside tgc keeps the membership from before, so that
// the next sync of the group's bindings still reports the drift it
// corrects, and wakes those bindings now.
func (g *Group) readBack(ctx context.Context, p elbv2.Priority) error {
	hs, err := g.view.aws.TargetHealth(ctx, g.arn, p)
	if err != nil {
		return err
	}
	if g.primed {
		before := targets.Members(g.health)
		if !maps.EqualFunc(before, targets.Members(hs), func(a, b targets.Target) bool { return a.Key() == b.Key() }) {
			if g.driftBase == nil {
				g.driftBase = before
			}
			g.view.announce(g.arn)
		}
	}
	g.health, g.primed, g.readAt = hs, true, g.view.clock.Now()
	return nil
}

// PollUnsettled reads the group back, after a sync's writes, while its
// targets are still changing state on their own (initial, draining), so that
// status counts follow target health. The read is background work: it uses
// only spare Describe tokens and is skipped when there are none.
func (g *Group) PollUnsettled(ctx context.Context) {
	if !g.Unsettled() || g.view.clock.Since(g.readAt) < g.view.cfg.HealthPollInterval {
		return
	}
	if err := g.readBack(ctx, elbv2.Spare); err != nil && !errors.Is(err, elbv2.ErrDeferred) {
		log.FromContext(ctx).V(1).Info("target health poll failed; status counts may lag", "targetGroupARN", g.arn, "error", err.Error())
	}
}

// DeregistrationDelay returns the group's deregistration delay, reading it
// on spare tokens at most once per drift interval; zero while unknown.
func (g *Group) DeregistrationDelay(ctx context.Context) time.Duration {
	d, _ := g.DeregistrationDelayKnown(ctx)
	return d
}

// DeregistrationDelayKnown is DeregistrationDelay, and whether the delay was
// ever read: a delay of zero is a setting of its own (no draining), not the
// same as one not known yet.
func (g *Group) DeregistrationDelayKnown(ctx context.Context) (time.Duration, bool) {
	if !g.delayAt.IsZero() && g.view.clock.Since(g.delayAt) < g.view.cfg.DriftInterval {
		return g.delay, true
	}
	d, err := g.view.aws.DeregistrationDelay(ctx, g.arn, elbv2.Spare)
	if err != nil {
		if !errors.Is(err, elbv2.ErrDeferred) {
			log.FromContext(ctx).V(1).Info("reading the deregistration delay failed; grace periods are checked later", "targetGroupARN", g.arn, "error", err.Error())
		}
		return g.delay, !g.delayAt.IsZero()
	}
	g.delay, g.delayAt = d, g.view.clock.Now()
	return d, true
}
