package binding

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// apply runs the plan's steps in order (deregistration first), in batches.
// After each successful call the cached view is updated as AWS would now
// report it. It stops at the first error; what was applied stays applied and
// the next sync plans the rest. Targets AWS rejects are set aside and
// returned, so one bad endpoint does not keep the others out.
//
// A write whose rate-limit tokens are further away than MaxWriteWait is
// deferred rather than waited for (elbv2.WithMaxWait): the rest of its step
// waits, the other step still runs, and the returned delay says when to
// sync again. Its tokens stay booked, so the retry goes out on time and
// carries every change that arrived meanwhile.
func (c *Controller) apply(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, gr *group, plan targets.Plan, deleting map[netip.AddrPort]time.Time) ([]targets.Target, time.Duration, error) {
	ctx = elbv2.WithMaxWait(ctx, c.cfg.MaxWriteWait)
	var rejected []targets.Target
	var deferred time.Duration
	for _, step := range plan.Steps() {
	batches:
		for _, batch := range targets.Batches(step.Targets, c.cfg.BatchSize) {
			var err error
			switch step.Op {
			case targets.OpDeregister:
				if err = c.deregister(ctx, tgb, arn, gr, batch); err == nil {
					c.observeDeregistered(batch, deleting)
				}
			case targets.OpRegister:
				var bad []targets.Target
				bad, err = c.registerIsolating(ctx, tgb, arn, gr, batch)
				rejected = append(rejected, bad...)
			}
			var d *elbv2.DeferredError
			switch {
			case errors.As(err, &d):
				if deferred == 0 || d.After < deferred {
					deferred = d.After
				}
				break batches
			case err != nil:
				return rejected, deferred, err
			}
		}
	}
	return rejected, deferred, nil
}

func (c *Controller) deregister(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, gr *group, batch []targets.Target) error {
	if err := c.aws.Deregister(ctx, arn, batch); err != nil {
		return fmt.Errorf("deregistering %d targets from %s: %w", len(batch), arn, err)
	}
	gr.health = targets.Applied(gr.health, targets.OpDeregister, batch)
	c.metrics.deregistered.WithLabelValues(tgb.Namespace, tgb.Name).Add(float64(len(batch)))
	log.FromContext(ctx).Info("deregistered targets", "targetGroupARN", arn, "targets", targetList(batch))
	c.event(tgb, false, "Deregistered", "DeregisterTargets", "deregistered %d targets from %s: %s", len(batch), arn, targetList(batch))
	return nil
}

// registerIsolating registers a batch. RegisterTargets fails as a whole when
// any target is invalid (InvalidTarget), so on that error the batch is split
// in halves until the rejected targets are found; the cost is a few calls
// per bad target instead of one per target.
func (c *Controller) registerIsolating(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, gr *group, batch []targets.Target) ([]targets.Target, error) {
	err := c.aws.Register(ctx, arn, batch)
	if err == nil {
		gr.health = targets.Applied(gr.health, targets.OpRegister, batch)
		c.metrics.registered.WithLabelValues(tgb.Namespace, tgb.Name).Add(float64(len(batch)))
		log.FromContext(ctx).Info("registered targets", "targetGroupARN", arn, "targets", targetList(batch))
		c.event(tgb, false, "Registered", "RegisterTargets", "registered %d targets in %s: %s", len(batch), arn, targetList(batch))
		return nil, nil
	}
	if !rejectsTargets(err) {
		return nil, fmt.Errorf("registering %d targets in %s: %w", len(batch), arn, err)
	}
	if len(batch) == 1 {
		until := c.clock.Now().Add(c.cfg.BadInputRetry)
		gr.rejected[batch[0].Key()] = until
		log.FromContext(ctx).Info("AWS rejected target", "targetGroupARN", arn, "target", batch[0].String(), "error", err.Error())
		c.event(tgb, true, v1alpha1.ReasonTargetRejected, "RegisterTargets", "AWS rejected target %s for %s: %v", batch[0], arn, err)
		return batch, nil
	}
	half := len(batch) / 2
	bad, err := c.registerIsolating(ctx, tgb, arn, gr, batch[:half])
	if err != nil {
		return bad, err
	}
	more, err := c.registerIsolating(ctx, tgb, arn, gr, batch[half:])
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
