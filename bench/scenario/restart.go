package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
)

// runRestart: Bindings x Endpoints, every target registered (and healthy
// behind its listener) before tgc starts; time zero is the controller
// process start. Verified = the first DescribeTargetHealth of each group
// completed; the figure is the last of those, against the Describe floor.
func runRestart(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("restart")
	n := r.scale.Bindings
	res.Params = map[string]any{"bindings": n, "endpointsPerBinding": r.scale.Endpoints}
	e, err := r.env(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	f, c, floor, err := r.restartOver(ctx, e, res, n, r.scale.Endpoints)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	zero := c.Started
	last, err := waitVerified(ctx, e, c, f.groups(), zero, 3*floor+r.scale.SettleTimeout)
	if err != nil {
		return nil, err
	}
	// Late calls of the startup (status reads, a stray write) land here.
	if err := waitQuiet(ctx, e, 2*time.Second, r.scale.SettleTimeout); err != nil {
		return nil, controllerFailed(c, err)
	}
	calls := measure.Between(e.emu.Calls(), zero, time.Time{})
	verified := last.Sub(zero)
	counts := measure.Count(calls)
	ratio := measure.Ratio(verified, floor)
	res.Figures = map[string]any{
		"verifiedSec":      measure.Seconds(verified),
		"describeFloorSec": measure.Seconds(floor),
		"ratioToFloor":     ratio,
		"mutatingCalls":    counts.Mutating,
		"throttled":        counts.Throttled,
		"calls":            counts,
		"controllerStart":  zero,
	}
	callsPath := r.evidencePath("restart.calls.jsonl")
	if err := report.WriteJSONL(callsPath, callRecords(calls, zero)); err != nil {
		return nil, err
	}
	res.Evidence = []string{filepath.Base(callsPath)}
	res.Targets = []report.Target{ratioTarget("ratio to the Describe floor", "<= 1.2x", verified, floor, ratio, 1.2),
		report.Check("mutating calls", "0", fmt.Sprint(counts.Mutating), counts.Mutating == 0),
		report.Check("throttled", "0", fmt.Sprint(counts.Throttled), counts.Throttled == 0),
	}
	res.Headline = fmt.Sprintf("%d bindings verified in %.2f s (floor %.2f s, ratio %s); %d mutating calls; %d calls (%d Describe); %d throttled",
		n, verified.Seconds(), floor.Seconds(), ratioText(ratio), counts.Mutating, counts.Total, counts.Describe, counts.Throttled)
	// What paced the reads: the Describe rate tgc kept once its first two
	// seconds (the burst) were over.
	if verified > 3*time.Second {
		steady := 0
		for _, call := range calls {
			if measure.IsDescribe(call.Action) && call.Time.After(zero.Add(2*time.Second)) && !call.Time.After(last) {
				steady++
			}
		}
		rate := float64(steady) / (verified - 2*time.Second).Seconds()
		res.Figures["describeRateAfter2s"] = rate
		allowed := res.Buckets.Describe.PerSecond
		pace := "about the bucket's rate, so AWS's limit set the time"
		if rate < 0.95*allowed {
			pace = "so tgc's own pace, not AWS's limit, set the time"
		}
		res.Notes = append(res.Notes, fmt.Sprintf("after its first 2 s tgc made Describe calls at %.1f/s until the last group was verified; the emulator's bucket allows %.0f/s: %s", rate, allowed, pace))
	}
	if ratio == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("the Describe burst (%d) covers one DescribeTargetHealth per group (%d groups), so the floor is 0 and no ratio exists; the time is reported as measured", res.Buckets.Describe.Burst, n))
	}
	return []*report.Result{res}, nil
}

// restartOver seeds a fleet of n bindings x per endpoints, in sync, lets
// every target finish its initial health checks (the fast profile needs
// ~0.3 s) so that the groups are healthy as after a long run, turns
// AWS-like throttling on, and starts the controller over it: a restart.
// It returns the Describe floor of verifying the n groups; the caller
// stops the controller.
func (r *runner) restartOver(ctx context.Context, e *env, res *report.Result, n, per int) (*fleet, *controller, time.Duration, error) {
	f, err := r.setupFleet(ctx, e, n, per, true)
	if err != nil {
		return nil, nil, 0, err
	}
	time.Sleep(time.Second)
	res.Buckets = e.measure()
	c, err := r.startController(res.Scenario, e)
	if err != nil {
		return nil, nil, 0, err
	}
	res.ControllerLog = c.LogPath
	return f, c, measure.RestartFloor(n, res.Buckets.Describe), nil
}

// ratioTarget checks measured/floor <= limit, or leaves the target
// unjudged when there is no floor.
func ratioTarget(name, goal string, measured, floor time.Duration, ratio *float64, limit float64) report.Target {
	if ratio == nil {
		return report.Unchecked(name, goal, fmt.Sprintf("%.2f s with a floor of 0 (the burst covers the work): no ratio", measured.Seconds()))
	}
	return report.Check(name, goal, fmt.Sprintf("%.3fx (%.2f s / %.2f s)", *ratio, measured.Seconds(), floor.Seconds()), *ratio <= limit)
}

func ratioText(r *float64) string {
	if r == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.3fx", *r)
}
