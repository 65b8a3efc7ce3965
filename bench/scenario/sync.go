package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
)

// waitVerified waits until every group has been read with
// DescribeTargetHealth since since (tgc has verified it against AWS), and
// returns when the last read completed.
func waitVerified(ctx context.Context, e *env, c *controller, groups []string, since time.Time, timeout time.Duration) (time.Time, error) {
	var last time.Time
	err := waitFor(ctx, timeout, 100*time.Millisecond, "every target group to be verified", func() (bool, string) {
		if c.Exited() {
			return true, ""
		}
		read := measure.FirstHealthRead(e.emu.Calls(), since, groups)
		if len(read) < len(groups) {
			return false, fmt.Sprintf("%d of %d groups read", len(read), len(groups))
		}
		last, _ = measure.Latest(read)
		return true, ""
	})
	if err == nil && c.Exited() {
		err = fmt.Errorf("the controller exited")
	}
	if err != nil {
		return time.Time{}, controllerFailed(c, err)
	}
	return last, nil
}

// waitQuiet waits until the emulator has served no call for quiet, so that
// a measurement starts from an idle controller.
func waitQuiet(ctx context.Context, e *env, quiet, timeout time.Duration) error {
	return waitFor(ctx, timeout, 100*time.Millisecond, fmt.Sprintf("%s without AWS calls", quiet), func() (bool, string) {
		calls := e.emu.Calls()
		if len(calls) == 0 {
			return true, ""
		}
		lastEnd := calls[len(calls)-1].End()
		idle := time.Since(lastEnd)
		return idle >= quiet, fmt.Sprintf("last call %s ago (%s)", idle.Round(time.Millisecond), calls[len(calls)-1].Action)
	})
}

// syncFleet turns throttling on, starts the controller over a fleet that is
// already in sync, and waits until it has verified every group and gone
// quiet: the idle starting point of flip, rollout and churn.
func (r *runner) syncFleet(ctx context.Context, scenario string, e *env, f *fleet) (*controller, error) {
	c, err := r.startController(scenario, e)
	if err != nil {
		return nil, err
	}
	began := time.Now()
	timeout := r.scale.SettleTimeout + 2*measure.RestartFloor(3*len(f.services), e.emu.Throttle().Describe)
	if _, err := waitVerified(ctx, e, c, f.groups(), c.Started, timeout); err != nil {
		c.stop()
		return nil, err
	}
	if err := waitQuiet(ctx, e, 2*time.Second, r.scale.SettleTimeout); err != nil {
		c.stop()
		return nil, controllerFailed(c, err)
	}
	fmt.Fprintf(r.out, "   controller in sync over %d groups after %s\n", len(f.services), time.Since(began).Round(100*time.Millisecond))
	return c, nil
}

// setupFleet creates and seeds an in-sync fleet, then turns throttling on.
func (r *runner) setupFleet(ctx context.Context, e *env, bindings, endpoints int, seed bool) (*fleet, error) {
	began := time.Now()
	f, err := e.newFleet(ctx, &ipAllocator{}, bindings, endpoints, r.scale.MaxSliceEndpoint, r.scale.CreateWorkers, seed)
	if err != nil {
		return nil, err
	}
	if seed {
		if err := e.seed(ctx, f, r.scale.CreateWorkers); err != nil {
			return nil, err
		}
	}
	fmt.Fprintf(r.out, "   created %d bindings x %d endpoints (seeded: %v) in %s\n", bindings, endpoints, seed, time.Since(began).Round(100*time.Millisecond))
	return f, nil
}
