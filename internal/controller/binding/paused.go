package binding

import (
	"context"
	"fmt"
	"strings"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
)

// pausedSync is what the sync of a paused binding found it would do.
type pausedSync struct {
	arn                        string
	register, deregister, held int
	// stopped is the Ready reason and message a sync would stop with,
	// before any plan; empty when it would plan.
	stopped string
	// err: the plan could not be worked out now.
	err error
}

// syncPaused reads what a sync would, through the planner's Preview, and
// writes nothing to AWS: no claim, no registration, no deregistration,
// not even of the old group of a binding that moved. The status counts
// follow the group; ownership and the last sync time stay as they were.
func (c *Controller) syncPaused(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) syncResult {
	res := syncResult{arn: tgb.Status.TargetGroupARN, counts: tgb.Status.Targets, owned: tgb.Status.OwnedTargets,
		paused: &pausedSync{arn: tgb.Status.TargetGroupARN}}
	p, err := c.Preview(ctx, tgb)
	if p.TargetGroup.ARN != "" {
		res.paused.arn = p.TargetGroup.ARN
	}
	switch {
	case err != nil:
		log.FromContext(ctx).Info("paused binding: cannot work out what a sync would do", "error", err.Error())
		res.paused.err = err
		return res
	case p.Reason != "":
		res.paused.stopped = p.Reason + ": " + p.Message
		return res
	}
	res.touched = true
	res.counts = countTargets(p.Health, p.Desired.Targets, formatOwned(p.Owned), tgb.Spec.MultiClusterTargetGroup)
	res.counts.Skipped = int32(len(p.Desired.Skipped))
	if tgb.Spec.MultiClusterTargetGroup {
		res.owned = ownedAfter(tgb, p.Owned, p.Health)
	}
	res.unsettled = targetgroups.Unsettled(p.Health)
	res.paused.register, res.paused.deregister, res.paused.held = len(p.Plan.Register), len(p.Plan.Deregister), len(p.Held)
	log.FromContext(ctx).V(1).Info("paused binding: no AWS writes", "wouldRegister", len(p.Plan.Register),
		"wouldDeregister", len(p.Plan.Deregister), "held", len(p.Held))
	return res
}

// pausedMessage is the Ready condition's message while paused: what tgc
// would do, what the pause costs, and the way out.
func pausedMessage(tgb *v1alpha1.TargetGroupBinding, p *pausedSync) string {
	var b strings.Builder
	b.WriteString("paused by spec.paused: tgc makes no AWS writes for this binding")
	switch {
	case p.err != nil:
		fmt.Fprintf(&b, "; it cannot work out what it would do now (%v)", p.err)
	case p.stopped != "":
		fmt.Fprintf(&b, "; a sync would stop now with %s", p.stopped)
	default:
		fmt.Fprintf(&b, "; it would register %d and deregister %d targets of %s now", p.register, p.deregister, p.arn)
		if p.held > 0 {
			fmt.Fprintf(&b, ", and hold %d deregistrations (brake)", p.held)
		}
	}
	fmt.Fprintf(&b, ". %s Resume with kubectl tgc resume %s -n %s, or set spec.paused to false", PauseCosts, tgb.Name, tgb.Namespace)
	return b.String()
}

// PauseCosts is what a pause costs, said wherever a pause is announced:
// in the Ready condition, the Event, and by kubectl tgc.
const PauseCosts = "While paused, terminating pods stay registered and can drop requests, and new pods' readiness gates stay as they are (not True), so rollouts wait."
