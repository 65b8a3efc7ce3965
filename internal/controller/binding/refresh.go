package binding

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// refresh reads the group back from AWS when tgc has not seen it yet or when
// the drift interval has passed. Otherwise the cached view, kept current by
// tgc's own calls, is used and AWS is not asked: a restart costs one
// DescribeTargetHealth per group, and an endpoint change exactly one write,
// planned without a read before it.
// It returns the membership before the refresh when there was one to compare
// with (for drift), and whether AWS was called.
func (c *Controller) refresh(ctx context.Context, arn string, gr *group) (map[netip.AddrPort]targets.Target, bool, error) {
	now := c.clock.Now()
	age := now.Sub(gr.refreshAt)
	due := !gr.primed || age >= c.cfg.DriftInterval
	// A readiness gate poll (FreshHealth) may have read the group since and
	// found it changed; its membership from before stands in for ours.
	before := gr.driftBase
	gr.driftBase = nil
	if !due {
		return before, false, nil
	}
	hs, err := c.aws.TargetHealth(ctx, arn)
	if err != nil {
		gr.driftBase = before
		return nil, false, fmt.Errorf("describing target health of %s: %w", arn, err)
	}
	if gr.primed && before == nil {
		before = members(gr.health)
	}
	gr.health, gr.primed, gr.refreshAt = hs, true, now
	return before, true, nil
}

// reportDrift counts and announces the targets that changed in AWS without
// tgc and that the plan now corrects: ones added by hand (being
// deregistered) and ones removed by hand (being registered again). Targets
// that merely changed health are not drift.
func (c *Controller) reportDrift(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, before map[netip.AddrPort]targets.Target, after []targets.Health, plan targets.Plan) bool {
	now := members(after)
	var unexpected, missing []targets.Target
	for _, t := range plan.Deregister {
		if _, was := before[t.Key()]; !was {
			unexpected = append(unexpected, t)
		}
	}
	for _, t := range plan.Register {
		_, was := before[t.Key()]
		_, is := now[t.Key()]
		if was && !is {
			missing = append(missing, t)
		}
	}
	if len(unexpected) == 0 && len(missing) == 0 {
		return false
	}
	c.metrics.driftCorrections.WithLabelValues(tgb.Namespace, tgb.Name, "unexpected").Add(float64(len(unexpected)))
	c.metrics.driftCorrections.WithLabelValues(tgb.Namespace, tgb.Name, "missing").Add(float64(len(missing)))
	log.FromContext(ctx).Info("target group changed outside tgc; correcting", "targetGroupARN", arn,
		"unexpected", targetList(unexpected), "missing", targetList(missing))
	c.event(tgb, true, "DriftDetected", "DescribeTargetHealth",
		"target group %s changed outside tgc: %d unexpected targets (%s) will be deregistered, %d missing targets (%s) registered again",
		arn, len(unexpected), targetList(unexpected), len(missing), targetList(missing))
	return true
}

// reportEmpty explains, with a Warning Event, why a binding with no ready
// endpoints keeps or loses its targets. It is never silent (issue 4).
func (c *Controller) reportEmpty(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, eps endpoints, plan targets.Plan) {
	why := fmt.Sprintf("Service %s has no ready endpoints", tgb.Spec.ServiceRef.Name)
	if eps.serviceGone {
		why = fmt.Sprintf("Service %s does not exist", tgb.Spec.ServiceRef.Name)
	}
	switch {
	case len(plan.Withheld) > 0:
		if ready := readyCondition(tgb); ready != nil && ready.Reason == v1alpha1.ReasonNoEndpoints {
			return // already announced
		}
		log.FromContext(ctx).Info("no ready endpoints; keeping targets per emptyEndpointsPolicy=Retain", "retained", len(plan.Withheld))
		c.event(tgb, true, v1alpha1.ReasonNoEndpoints, "Retain",
			"%s; keeping the %d registered targets because emptyEndpointsPolicy is Retain", why, len(plan.Withheld))
	case len(eps.result.Targets) == 0 && len(plan.Deregister) > 0:
		log.FromContext(ctx).Info("no ready endpoints; deregistering every target per emptyEndpointsPolicy=Deregister", "deregistering", len(plan.Deregister))
		c.event(tgb, true, v1alpha1.ReasonNoEndpoints, "DeregisterTargets",
			"%s; deregistering all %d targets because emptyEndpointsPolicy is Deregister", why, len(plan.Deregister))
	}
}

// pollUnsettled reads the group back, after the sync's writes, while its
// targets are still changing state on their own (initial, draining), so that
// status counts follow target health. The read is background work: it uses
// only spare Describe tokens and is skipped when there are none.
func (c *Controller) pollUnsettled(ctx context.Context, arn string, gr *group) {
	if !gr.unsettled() || c.clock.Since(gr.refreshAt) < c.cfg.HealthPollInterval {
		return
	}
	if _, _, err := c.readBack(elbv2.Background(ctx), arn, gr); err != nil && !errors.Is(err, elbv2.ErrDeferred) {
		log.FromContext(ctx).V(1).Info("target health poll failed; status counts may lag", "targetGroupARN", arn, "error", err.Error())
	}
}

// deregistrationDelay returns the group's deregistration delay, reading it
// in the background at most once per drift interval; zero while unknown.
func (c *Controller) deregistrationDelay(ctx context.Context, arn string, gr *group) time.Duration {
	if !gr.delayAt.IsZero() && c.clock.Since(gr.delayAt) < c.cfg.DriftInterval {
		return gr.delay
	}
	d, err := c.aws.DeregistrationDelay(elbv2.Background(ctx), arn)
	if err != nil {
		if !errors.Is(err, elbv2.ErrDeferred) {
			log.FromContext(ctx).V(1).Info("reading the deregistration delay failed; grace periods are checked later", "targetGroupARN", arn, "error", err.Error())
		}
		return gr.delay
	}
	gr.delay, gr.delayAt = d, c.clock.Now()
	return d
}
