package binding

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// reportOutside counts and announces what changed in AWS without tgc
// (classifyOutside), and reports whether the plan corrects drift. Drift, a
// change by another writer to the binding's own targets, gets a Warning
// Event and is noted in res for the ForeignWriter condition; foreign
// changes tgc leaves alone, routine in a group that several clusters
// share, only a debug log line.
func (c *Controller) reportOutside(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string, before map[targets.Key]targets.Target, after []targets.Health, plan targets.Plan, res *syncResult) bool {
	o := classifyOutside(before, after, plan)
	if o.foreign() {
		c.metrics.foreignChanges.WithLabelValues(tgb.Namespace, tgb.Name, "added").Add(float64(len(o.added)))
		c.metrics.foreignChanges.WithLabelValues(tgb.Namespace, tgb.Name, "removed").Add(float64(len(o.removed)))
		log.FromContext(ctx).V(1).Info("target group changed outside tgc; leaving it as it is", "targetGroupARN", arn,
			"added", targetList(o.added), "removed", targetList(o.removed))
	}
	if !o.drift() {
		return false
	}
	c.metrics.driftCorrections.WithLabelValues(tgb.Namespace, tgb.Name, "unexpected").Add(float64(len(o.unexpected)))
	c.metrics.driftCorrections.WithLabelValues(tgb.Namespace, tgb.Name, "missing").Add(float64(len(o.missing)))
	c.metrics.foreignWrites.WithLabelValues(tgb.Namespace, tgb.Name).Inc()
	res.foreign = &foreignWrite{added: o.unexpected, removed: o.missing, repeated: c.foreign.note(bindingKey(tgb), c.clock.Now())}
	log.FromContext(ctx).Info("target group changed outside tgc; correcting", "targetGroupARN", arn,
		"unexpected", targetList(o.unexpected), "missing", targetList(o.missing))
	c.event(tgb, true, "DriftDetected", "DescribeTargetHealth",
		"target group %s changed outside tgc: %d unexpected targets (%s) will be deregistered, %d missing targets (%s) registered again",
		arn, len(o.unexpected), targetList(o.unexpected), len(o.missing), targetList(o.missing))
	return true
}

// reportEmpty explains, with a Warning Event, why a binding with no ready
// endpoints keeps or loses its targets. It is never silent: a group kept or emptied for lack of endpoints is always explained.
func (c *Controller) reportEmpty(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, eps endpoints, plan targets.Plan) {
	why := fmt.Sprintf("Service %s has no %s", tgb.Spec.ServiceRef.Name, noTargets(tgb))
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
