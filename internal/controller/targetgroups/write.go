package targetgroups

import (
	"context"
	"errors"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Register registers ts and returns the targets AWS accepted: all of them,
// none, or, when a later request of the call failed, those of the requests
// before it. The view follows exactly what AWS accepted. Nothing to register
// costs no call.
func (g *Group) Register(ctx context.Context, ts []targets.Target, w elbv2.Write) ([]targets.Target, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	err := g.view.aws.Register(ctx, g.arn, ts, w)
	done := accepted(ts, err)
	g.health = targets.Applied(g.health, targets.OpRegister, done)
	return done, err
}

// Deregister deregisters ts and returns the targets AWS accepted, as
// Register does.
func (g *Group) Deregister(ctx context.Context, ts []targets.Target, w elbv2.Write) ([]targets.Target, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	err := g.view.aws.Deregister(ctx, g.arn, ts, w)
	done := accepted(ts, err)
	g.health = targets.Applied(g.health, targets.OpDeregister, done)
	return done, err
}

func accepted(ts []targets.Target, err error) []targets.Target {
	if err == nil {
		return ts
	}
	var pe *elbv2.PartialError
	if errors.As(err, &pe) {
		return pe.Done
	}
	return nil
}
