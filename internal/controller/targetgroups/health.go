package targetgroups

import (
	"context"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Health returns a copy of the view of a group's targets, when there is
// one, and when it was last read from AWS. It never calls AWS.
func (v *View) Health(arn string) ([]targets.Health, time.Time, bool) {
	g := v.Lock(arn)
	defer g.Unlock()
	if !g.primed {
		return nil, time.Time{}, false
	}
	return append([]targets.Health(nil), g.health...), g.readAt, true
}

// FreshHealth returns a group's targets as AWS reported them at most maxAge
// ago, calling DescribeTargetHealth only when the view is older. The
// readiness gate controller polls through it while gates are pending, so
// every binding of a group shares one call per interval, and the binding
// controller's plans and status counts get the fresher data too.
func (v *View) FreshHealth(ctx context.Context, arn string, maxAge time.Duration) ([]targets.Health, time.Time, error) {
	g := v.Lock(arn)
	defer g.Unlock()
	if g.primed && v.clock.Since(g.readAt) < maxAge {
		return append([]targets.Health(nil), g.health...), g.readAt, nil
	}
	if err := g.readBack(ctx, elbv2.Required); err != nil {
		return nil, time.Time{}, err
	}
	return append([]targets.Health(nil), g.health...), g.readAt, nil
}
