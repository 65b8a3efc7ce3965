package binding

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// applied is what apply did.
type applied struct {
	// rejected are targets AWS refused; the rest of the plan went ahead.
	rejected []targets.Target
	// deferred is how long until the rate-limit tokens of a deferred write
	// are due; zero when nothing was deferred.
	deferred time.Duration
	// deregistered are the targets AWS accepted to deregister, at
	// deregisteredAt, for the deletion-to-deregistration metric.
	deregistered   []targets.Target
	deregisteredAt time.Time
}

// apply runs the plan's steps in order, deregistration first, so that a
// terminating pod leaves the group before new ones join. Each step is one
// call of the boundary, which cuts it into AWS's per-call batches; the
// group's view follows exactly what AWS accepted, also after a partial
// failure. It stops at the first error; what was applied stays applied and
// the next sync plans the rest.
//
// A write whose rate-limit tokens are further away than MaxWriteWait is
// deferred rather than waited for: the other step still runs, and the
// returned delay says when to sync again. Its tokens stay booked, so the
// retry goes out on time and carries every change that arrived meanwhile.
func (c *Controller) apply(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, g *targetgroups.Group, plan targets.Plan) (applied, error) {
	w := elbv2.Write{MaxWait: c.cfg.MaxWriteWait}
	var out applied
	for _, step := range plan.Steps() {
		var err error
		switch step.Op {
		case targets.OpDeregister:
			var done []targets.Target
			done, err = c.deregister(ctx, tgb, g, step.Targets, w)
			out.deregistered, out.deregisteredAt = done, c.clock.Now()
		case targets.OpRegister:
			var bad []targets.Target
			bad, err = c.register(ctx, tgb, g, step.Targets, w)
			out.rejected = append(out.rejected, bad...)
		}
		var d *elbv2.DeferredError
		switch {
		case errors.As(err, &d):
			if out.deferred == 0 || d.After < out.deferred {
				out.deferred = d.After
			}
		case err != nil:
			return out, err
		}
	}
	return out, nil
}

// deregister removes ts from the group and announces what AWS accepted.
func (c *Controller) deregister(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, g *targetgroups.Group, ts []targets.Target, w elbv2.Write) ([]targets.Target, error) {
	done, err := g.Deregister(ctx, ts, w)
	if len(done) > 0 {
		c.metrics.deregistered.WithLabelValues(tgb.Namespace, tgb.Name).Add(float64(len(done)))
		log.FromContext(ctx).Info("deregistered targets", "targetGroupARN", g.ARN(), "targets", targetList(done))
		c.changes.record(tgb, change{reason: "Deregistered", action: "DeregisterTargets", verb: "deregistered", prep: "from", arn: g.ARN(), targets: done})
	}
	return done, err
}

// register adds ts to the group. RegisterTargets fails as a whole when any
// target of a request is invalid (InvalidTarget), so on that error the
// targets not yet accepted are split in halves until the rejected ones are
// found; the cost is a few calls per bad target instead of one per target.
// Rejected targets are set aside on the group for BadInputRetry and
// returned.
func (c *Controller) register(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, g *targetgroups.Group, ts []targets.Target, w elbv2.Write) ([]targets.Target, error) {
	done, err := g.Register(ctx, ts, w)
	if len(done) > 0 {
		c.metrics.registered.WithLabelValues(tgb.Namespace, tgb.Name).Add(float64(len(done)))
		log.FromContext(ctx).Info("registered targets", "targetGroupARN", g.ARN(), "targets", targetList(done))
		c.changes.record(tgb, change{reason: "Registered", action: "RegisterTargets", verb: "registered", prep: "in", arn: g.ARN(), targets: done})
	}
	if err == nil || !rejectsTargets(err) {
		return nil, err
	}
	// Requests go out in order, so what AWS accepted is a prefix.
	rest := ts[len(done):]
	if len(rest) == 1 {
		g.Reject(rest[0], c.clock.Now().Add(c.cfg.BadInputRetry))
		log.FromContext(ctx).Info("AWS rejected target", "targetGroupARN", g.ARN(), "target", rest[0].String(), "error", err.Error())
		c.event(tgb, true, v1alpha1.ReasonTargetRejected, "RegisterTargets", "AWS rejected target %s for %s: %v", rest[0], g.ARN(), err)
		return rest, nil
	}
	half := len(rest) / 2
	bad, err := c.register(ctx, tgb, g, rest[:half], w)
	if err != nil {
		return bad, err
	}
	more, err := c.register(ctx, tgb, g, rest[half:], w)
	return append(bad, more...), err
}

// changeStart is when the change being applied began: the slices' trigger
// time when it is newer than the binding's last sync (so the change happened
// while tgc was in sync, and a new binding over old slices does not count
// their age), else when tgc first saw the binding out of sync.
func (c *Controller) changeStart(tgb *v1alpha1.TargetGroupBinding, eps endpoints, now time.Time) time.Time {
	seen := c.markPending(bindingKey(tgb), now)
	last := tgb.Status.LastSyncTime
	if !eps.trigger.IsZero() && eps.trigger.Before(seen) && last != nil && eps.trigger.After(last.Time) {
		return eps.trigger
	}
	return seen
}

func (c *Controller) observeLatency(plan targets.Plan, start time.Time) {
	d := c.clock.Since(start).Seconds()
	if len(plan.Deregister) > 0 {
		c.metrics.syncLatency.WithLabelValues("deregister").Observe(d)
	}
	if len(plan.Register) > 0 {
		c.metrics.syncLatency.WithLabelValues("register").Observe(d)
	}
}

// targetList names up to ten targets for Events and logs.
func targetList(ts []targets.Target) string {
	const show = 10
	var b strings.Builder
	for i, t := range ts {
		if i == show {
			fmt.Fprintf(&b, " and %d more", len(ts)-show)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
	return b.String()
}

// rejectsTargets reports whether a RegisterTargets error is about the
// targets. Besides InvalidTarget, AWS answers ValidationError for an IP
// outside the VPC given without AvailabilityZone "all"; the group's ARN was
// already accepted by DescribeTargetGroups, so that error is the targets'.
func rejectsTargets(err error) bool {
	return errors.Is(err, elbv2.ErrInvalidTarget) || errors.Is(err, elbv2.ErrValidation)
}
