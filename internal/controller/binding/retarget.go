package binding

import (
	"context"
	"errors"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// leaveOldGroup runs when the binding now points at another target group
// than the one in its status: the targets it put in the old group are
// deregistered there (unless deletionPolicy is Retain, which keeps them as a
// deletion would), so that a changed ARN does not leave stale targets behind.
func (c *Controller) leaveOldGroup(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, oldARN string) error {
	if tgb.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		c.event(tgb, false, "Retained", "Retarget", "binding moved from %s; its targets there are left registered because deletionPolicy is Retain", oldARN)
		return nil
	}
	log.FromContext(ctx).Info("binding moved to another target group; deregistering its targets from the old one", "oldTargetGroupARN", oldARN)
	// The adapter's error names the call and the old group.
	return c.leave(ctx, tgb, oldARN)
}

// leave deregisters the binding's targets from a group it no longer syncs
// (the owned ones in multi-cluster mode, else every target in the group),
// waiting for rate-limit tokens rather than deferring: nothing else of the
// binding's can go ahead until it is done. A group that no longer exists has
// nothing to leave.
func (c *Controller) leave(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, arn string) error {
	v, f := c.view(tgb)
	if f != nil {
		return f
	}
	g := v.Lock(arn)
	defer g.Unlock()
	_, _, err := g.Refresh(ctx)
	var owned map[targets.Target]bool
	if err == nil {
		owned, err = c.owned(ctx, tgb, arn)
	}
	if err == nil {
		plan := targets.ComputePlan(targets.PlanInput{Actual: g.Health(), Owned: owned, AllowDeregisterAll: true})
		_, err = c.deregister(ctx, tgb, g, plan.Deregister, elbv2.Write{})
	}
	if errors.Is(err, elbv2.ErrTargetGroupNotFound) {
		v.Forget(arn)
		err = nil
	}
	if err != nil {
		return err
	}
	// What it owned there is gone: nothing is left to adopt.
	return c.keepLedger(ctx, tgb, arn, nil)
}
