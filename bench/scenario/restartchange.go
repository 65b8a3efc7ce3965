package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// changeDuringRestartRate is how often an endpoint changes while a
// restarted controller verifies its groups.
const changeDuringRestartRate = 1.0

// minChangeWindow keeps changes coming for a while even when the sweep is
// over at once (at quick scale the Describe burst covers every group), so
// that the figure has samples.
const minChangeWindow = 10 * time.Second

// runRestartWithChange is restart with endpoint changes at 1/s on random
// bindings from the controller's first AWS call until its sweep has
// verified every group (and at least minChangeWindow): a change must not wait behind the
// sweep, and no group may be written before it was read.
func runRestartWithChange(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("restart-with-change")
	n := r.scale.Bindings
	res.Params = map[string]any{"bindings": n, "endpointsPerBinding": r.scale.Endpoints, "changesPerSec": changeDuringRestartRate, "seed": 3}
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
	w := newWriter(e, zero)
	// Changes begin with the sweep, at the controller's first AWS call: a
	// change written while the process is still starting waits for its
	// caches, which is startup, not the sweep.
	if err := waitFor(ctx, r.scale.SettleTimeout, 10*time.Millisecond, "the controller's first AWS call", func() (bool, string) {
		return c.Exited() || len(measure.Between(e.emu.Calls(), zero, time.Time{})) > 0, ""
	}); err != nil || c.Exited() {
		return nil, controllerFailed(c, fmt.Errorf("waiting for the sweep to begin: %v", err))
	}
	sweepBegan := time.Now()

	// The changes run until the sweep is done; their errors end the run.
	sweepDone := make(chan struct{})
	var wg sync.WaitGroup
	var changeErr error
	wg.Go(func() {
		churn := newChurnState(rand.New(rand.NewPCG(3, 4)), f)
		interval := time.Duration(float64(time.Second) / changeDuringRestartRate)
		for k := 0; ; k++ {
			at := sweepBegan.Add(time.Duration(k) * interval)
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Until(at)):
			}
			select {
			case <-sweepDone:
				if time.Since(sweepBegan) >= minChangeWindow {
					return
				}
			default:
			}
			s, ip, st := churn.pick(k, time.Now())
			if err := w.setState(ctx, s, []string{ip}, st); err != nil {
				changeErr = err
				return
			}
		}
	})
	last, err := waitVerified(ctx, e, c, f.groups(), zero, 3*floor+r.scale.SettleTimeout)
	close(sweepDone)
	wg.Wait()
	if err != nil {
		return nil, err
	}
	if changeErr != nil {
		return nil, changeErr
	}
	if err := waitQuiet(ctx, e, 2*time.Second, r.scale.SettleTimeout); err != nil {
		return nil, controllerFailed(c, err)
	}

	calls := measure.Between(e.emu.Calls(), zero, time.Time{})
	writes := w.log()
	outcomes := measure.Match(changesOf(writes, zero), calls)
	verified := last.Sub(zero)
	var during, after []time.Duration
	for _, o := range outcomes {
		if o.State != measure.Applied {
			continue
		}
		if o.At.Before(last) {
			during = append(during, o.Latency)
		} else {
			after = append(after, o.Latency)
		}
	}
	latDuring, latAll := measure.Summarize(during), measure.Summarize(append(append([]time.Duration{}, during...), after...))
	early := writesBeforeRead(calls)
	counts := measure.Count(calls)
	states := measure.CountStates(outcomes)
	res.Figures = map[string]any{
		"verifiedSec":           measure.Seconds(verified),
		"describeFloorSec":      measure.Seconds(floor),
		"changes":               len(outcomes),
		"outcomes":              states,
		"latencyDuringSweep":    latDuring,
		"latency":               latAll,
		"writesBeforeGroupRead": early,
		"throttled":             counts.Throttled,
		"calls":                 counts,
		"controllerStart":       zero,
		"changesDuringSweep":    len(during),
		"changesAfterSweep":     len(after),
		"unappliedOrSuperseded": len(outcomes) - states[measure.Applied] - states[measure.Reverted],
	}
	callsPath := r.evidencePath("restart-with-change.calls.jsonl")
	if err := report.WriteJSONL(callsPath, callRecords(calls, zero)); err != nil {
		return nil, err
	}
	writesPath := r.evidencePath("restart-with-change.writes.jsonl")
	if err := report.WriteJSONL(writesPath, writes); err != nil {
		return nil, err
	}
	res.Evidence = []string{filepath.Base(callsPath), filepath.Base(writesPath)}
	res.Targets = []report.Target{
		report.Check("change landing during restart verification, p99", "< 1 s",
			fmt.Sprintf("%.0f ms over %d changes during the sweep (%.0f ms over all %d)", latDuring.P99Ms, latDuring.N, latAll.P99Ms, latAll.N),
			latDuring.N > 0 && latDuring.P99Ms < 1000 && latAll.P99Ms < 1000),
		report.Check("writes before their group was read", "0", fmt.Sprint(early), early == 0),
		report.Check("throttled", "0", fmt.Sprint(counts.Throttled), counts.Throttled == 0),
	}
	res.Headline = fmt.Sprintf("%d bindings verified in %.2f s (floor %.2f s) while %d changes arrived at 1/s: landed p50/p99/max %.0f/%.0f/%.0f ms during the sweep (%d), %.0f/%.0f ms overall; %d writes before their group was read; %d throttled",
		n, verified.Seconds(), floor.Seconds(), len(outcomes), latDuring.P50Ms, latDuring.P99Ms, latDuring.MaxMs, latDuring.N, latAll.P50Ms, latAll.P99Ms, early, counts.Throttled)
	if latDuring.N == 0 {
		res.Notes = append(res.Notes, "no change landed while the sweep ran (it was over before the first change); the target is not met by absence of evidence")
	}
	return []*report.Result{res}, nil
}

// writesBeforeRead counts Register and Deregister calls that started
// before the first completed DescribeTargetHealth of their group in calls:
// a write planned without reading the group after a restart.
func writesBeforeRead(calls []emulator.Call) int {
	read := map[string]time.Time{}
	for _, c := range calls {
		if c.Action == "DescribeTargetHealth" && c.Result == "OK" {
			if t, ok := read[c.TargetGroupARN]; !ok || c.End().Before(t) {
				read[c.TargetGroupARN] = c.End()
			}
		}
	}
	n := 0
	for _, c := range calls {
		if c.Action != "RegisterTargets" && c.Action != "DeregisterTargets" {
			continue
		}
		if t, ok := read[c.TargetGroupARN]; !ok || c.Time.Before(t) {
			n++
		}
	}
	return n
}
