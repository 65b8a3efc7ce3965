package binding

import (
	"context"
	"fmt"
	"maps"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// FreshHealth returns a target group's targets as AWS reported them at most
// maxAge ago, calling DescribeTargetHealth only when tgc's cached view is
// older. The readiness gate controller polls through it while gates are
// pending (issue 5), so every binding of a group shares one call per
// interval, and the binding controller's own view (status counts, plans)
// gets the fresher data too.
//
// A poll that finds the group's membership changed outside tgc keeps the
// membership from before, so that the next sync of the group's bindings
// still reports the drift it corrects, and wakes those bindings now.
func (c *Controller) FreshHealth(ctx context.Context, arn string, maxAge time.Duration) ([]targets.Health, time.Time, error) {
	gr := c.groups.get(arn)
	gr.mu.Lock()
	defer gr.mu.Unlock()
	now := c.clock.Now()
	if gr.primed && now.Sub(gr.refreshAt) < maxAge {
		return append([]targets.Health(nil), gr.health...), gr.refreshAt, nil
	}
	return c.readBack(ctx, arn, gr)
}

// readBack reads the group's targets from AWS into tgc's view; gr.mu must be
// held. A read that finds the membership changed outside tgc keeps the
// membership from before, so that the next sync of the group's bindings
// still reports the drift it corrects, and wakes those bindings now.
func (c *Controller) readBack(ctx context.Context, arn string, gr *group) ([]targets.Health, time.Time, error) {
	hs, err := c.aws.TargetHealth(ctx, arn)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("describing target health of %s: %w", arn, err)
	}
	now := c.clock.Now()
	if gr.primed {
		before := members(gr.health)
		if !maps.EqualFunc(before, members(hs), func(a, b targets.Target) bool { return a.Key() == b.Key() }) {
			if gr.driftBase == nil {
				gr.driftBase = before
			}
			c.wakeBindingsOf(ctx, arn)
		}
	}
	gr.health, gr.primed, gr.refreshAt = hs, true, now
	return append([]targets.Health(nil), hs...), now, nil
}

// wakeBindingsOf queues a sync of every binding on the target group. The
// send never blocks: a full queue only delays the sync to the drift check.
func (c *Controller) wakeBindingsOf(ctx context.Context, arn string) {
	var list v1alpha1.TargetGroupBindingList
	if err := c.kube.List(ctx, &list, client.MatchingFields{TargetGroupIndex: arn}); err != nil {
		log.FromContext(ctx).Error(err, "listing bindings to wake after a membership change", "targetGroupARN", arn)
		return
	}
	for i := range list.Items {
		if list.Items[i].Status.TargetGroupARN != arn {
			continue
		}
		select {
		case c.wake <- event.GenericEvent{Object: client.Object(&list.Items[i])}:
		default:
		}
	}
}
