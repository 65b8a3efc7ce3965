package binding

import (
	"context"
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// leaveOldGroup runs when the binding now points at another target group
// than the one in its status: the targets it put in the old group are
// deregistered there (unless deletionPolicy is Retain, which keeps them as a
// deletion would), so that a changed ARN does not leave stale targets behind.
// A group that no longer exists has nothing to leave.
func (c *Controller) leaveOldGroup(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, oldARN string) error {
	if tgb.Spec.DeletionPolicy == v1alpha1.DeletionPolicyRetain {
		c.event(tgb, false, "Retained", "Retarget", "binding moved from %s; its targets there are left registered because deletionPolicy is Retain", oldARN)
		return nil
	}
	gr := c.groups.get(oldARN)
	gr.mu.Lock()
	defer gr.mu.Unlock()
	if _, _, err := c.refresh(ctx, oldARN, gr); err != nil {
		if errors.Is(err, elbv2.ErrTargetGroupNotFound) {
			c.groups.forget(oldARN)
			return nil
		}
		return err
	}
	plan := targets.ComputePlan(targets.PlanInput{Actual: gr.health, Owned: ownedTargets(tgb), AllowDeregisterAll: true})
	log.FromContext(ctx).Info("binding moved to another target group; deregistering its targets from the old one", "oldTargetGroupARN", oldARN, "targets", len(plan.Deregister))
	for _, batch := range targets.Batches(plan.Deregister, c.cfg.BatchSize) {
		if err := c.deregister(ctx, tgb, oldARN, gr, batch); err != nil {
			if errors.Is(err, elbv2.ErrTargetGroupNotFound) {
				c.groups.forget(oldARN)
				return nil
			}
			return fmt.Errorf("leaving target group %s: %w", oldARN, err)
		}
	}
	return nil
}
