package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
)

// runAdopt: Bindings x Endpoints exist, every target group is empty; tgc
// starts and registers everything. The figure is when the call that
// registered the last target completed, against the Register floor.
func runAdopt(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("adopt")
	n, per := r.scale.Bindings, r.scale.Endpoints
	res.Params = map[string]any{"bindings": n, "endpointsPerBinding": per}
	e, err := r.env(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	f, err := r.setupFleet(ctx, e, n, per, false)
	if err != nil {
		return nil, err
	}
	res.Buckets = e.measure()
	floor := measure.AdoptFloor(n, per, res.Buckets.Register)
	minCalls := measure.MinRegisterCalls(n, per)
	want := f.readyTargets()
	total := n * per

	c, err := r.startController("adopt", e)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	res.ControllerLog = c.LogPath
	zero := c.Started
	var last time.Time
	err = waitFor(ctx, 2*floor+r.scale.SettleTimeout, 200*time.Millisecond, "every target to be registered", func() (bool, string) {
		if c.Exited() {
			return true, ""
		}
		reg := measure.FirstRegistered(e.emu.Calls(), zero, want)
		if len(reg) < total {
			return false, fmt.Sprintf("%d of %d targets registered", len(reg), total)
		}
		last, _ = measure.Latest(reg)
		return true, ""
	})
	if err == nil && c.Exited() {
		err = fmt.Errorf("the controller exited")
	}
	if err != nil {
		return nil, controllerFailed(c, err)
	}
	if err := waitQuiet(ctx, e, 2*time.Second, r.scale.SettleTimeout); err != nil {
		return nil, controllerFailed(c, err)
	}
	calls := measure.Between(e.emu.Calls(), zero, time.Time{})
	counts := measure.Count(calls)
	took := last.Sub(zero)
	ratio := measure.Ratio(took, floor)
	registerOK := 0
	for _, call := range calls {
		if call.Action == "RegisterTargets" && call.Result == "OK" {
			registerOK++
		}
	}
	callRatio := float64(registerOK) / float64(minCalls)
	res.Figures = map[string]any{
		"registeredSec":         measure.Seconds(took),
		"registerFloorSec":      measure.Seconds(floor),
		"ratioToFloor":          ratio,
		"minRegisterCalls":      minCalls,
		"registerCalls":         registerOK,
		"registerAttempts":      counts.ByAction["RegisterTargets"],
		"registerCallsOverMin":  callRatio,
		"throttled":             counts.Throttled,
		"calls":                 counts,
		"controllerStart":       zero,
		"targetsRegistered":     total,
		"targetsPerRegisterAvg": float64(total) / float64(max(registerOK, 1)),
	}
	res.Targets = []report.Target{
		ratioTarget("ratio to the Register floor", "<= 1.1x", took, floor, ratio, 1.1),
		report.Check("throttled", "0", fmt.Sprint(counts.Throttled), counts.Throttled == 0),
	}
	res.Headline = fmt.Sprintf("%d targets registered in %.2f s (floor %.2f s, ratio %s); %d RegisterTargets / %d minimum = %.2f; %d calls; %d throttled",
		total, took.Seconds(), floor.Seconds(), ratioText(ratio), registerOK, minCalls, callRatio, counts.Total, counts.Throttled)
	return []*report.Result{res}, nil
}
