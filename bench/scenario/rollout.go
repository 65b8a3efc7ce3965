package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
)

// rolloutSurge is the Deployment's maxSurge (25%, Kubernetes' default).
const rolloutSurge = 0.25

// runRollout: one binding of RolloutEndpoints ready endpoints in sync,
// then every endpoint replaced over RolloutDuration by a rolling update
// (see rolloutPlan). Register latency: the write that made an endpoint
// ready -> the first RegisterTargets carrying it; deregister latency: the
// write that made it terminating -> the first DeregisterTargets.
func runRollout(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("rollout")
	total := r.scale.RolloutEndpoints
	steps := rolloutPlan(total, rolloutSurge, r.scale.RolloutDuration, defaultRolloutTiming)
	res.Params = map[string]any{
		"bindings": 1, "endpoints": total, "durationSec": r.scale.RolloutDuration.Seconds(),
		"maxSurge": "25%", "maxUnavailable": 0, "readyBatch": defaultRolloutTiming.Batch,
		"readyAfterSec": defaultRolloutTiming.ReadyAfter.Seconds(), "removeAfterSec": defaultRolloutTiming.RemoveAfter.Seconds(),
		"steps": len(steps),
	}
	e, err := r.env(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	ips := &ipAllocator{}
	f, err := e.newFleet(ctx, ips, 1, total, r.scale.MaxSliceEndpoint, r.scale.CreateWorkers, true)
	if err != nil {
		return nil, err
	}
	if err := e.seed(ctx, f, 1); err != nil {
		return nil, err
	}
	res.Buckets = e.measure()
	c, err := r.syncFleet(ctx, "rollout", e, f)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	res.ControllerLog = c.LogPath

	zero := time.Now()
	w := newWriter(e, zero)
	if err := playRollout(ctx, w, f.services[0], steps, zero, ips.take, r.scale.MaxSliceEndpoint); err != nil {
		return nil, err
	}
	lastWrite := time.Now()
	changes := changesOf(w.log(), zero)
	var outcomes []measure.Outcome
	err = waitFor(ctx, r.scale.SettleTimeout, 200*time.Millisecond, "every change to reach AWS", func() (bool, string) {
		outcomes = measure.Match(changes, measure.Between(e.emu.Calls(), zero, time.Time{}))
		n := measure.CountStates(outcomes)[measure.Unapplied]
		return n == 0, fmt.Sprintf("%d changes not applied", n)
	})
	if err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	if err := waitQuiet(ctx, e, 2*time.Second, r.scale.SettleTimeout); err != nil {
		res.Notes = append(res.Notes, err.Error())
	}
	calls := measure.Between(e.emu.Calls(), zero, time.Time{})
	outcomes = measure.Match(changes, calls)
	reg := measure.Summarize(measure.Latencies(outcomes, measure.Up))
	dereg := measure.Summarize(measure.Latencies(outcomes, measure.Down))
	counts := measure.Count(calls)
	states := measure.CountStates(outcomes)
	res.Figures = map[string]any{
		"register":        reg,
		"deregister":      dereg,
		"outcomes":        states,
		"calls":           counts,
		"throttled":       counts.Throttled,
		"writes":          len(w.log()),
		"rolloutSec":      measure.Seconds(lastWrite.Sub(zero)),
		"timeZero":        zero,
		"changes":         len(changes),
		"registerTargets": counts.ByAction["RegisterTargets"],
	}
	callsPath, writesPath := r.evidencePath("rollout.calls.jsonl"), r.evidencePath("rollout.writes.jsonl")
	if err := report.WriteJSONL(callsPath, callRecords(calls, zero)); err != nil {
		return nil, err
	}
	if err := report.WriteJSONL(writesPath, w.log()); err != nil {
		return nil, err
	}
	res.Evidence = []string{filepath.Base(callsPath), filepath.Base(writesPath)}
	complete := states[measure.Applied] == len(changes)
	res.Targets = []report.Target{
		report.Check("register p99", "< 1 s", fmt.Sprintf("%.1f ms", reg.P99Ms), complete && reg.P99Ms < 1000),
		report.Check("deregister p99", "< 1 s", fmt.Sprintf("%.1f ms", dereg.P99Ms), complete && dereg.P99Ms < 1000),
		report.Check("throttled", "0", fmt.Sprint(counts.Throttled), counts.Throttled == 0),
	}
	if !complete {
		res.Notes = append(res.Notes, fmt.Sprintf("only %d of %d endpoint changes reached AWS (%v)", states[measure.Applied], len(changes), states))
	}
	res.Headline = fmt.Sprintf("%d endpoints replaced in %.0f s: register p50/p99/max %.1f/%.1f/%.1f ms, deregister %.1f/%.1f/%.1f ms; %d Register + %d Deregister + %d Describe calls; %d throttled",
		total, lastWrite.Sub(zero).Seconds(), reg.P50Ms, reg.P99Ms, reg.MaxMs, dereg.P50Ms, dereg.P99Ms, dereg.MaxMs,
		counts.ByAction["RegisterTargets"], counts.ByAction["DeregisterTargets"], counts.Describe, counts.Throttled)
	return []*report.Result{res}, nil
}

// playRollout makes the EndpointSlice writes of steps on s, each at zero
// plus its time: new endpoints get the addresses next hands out, and the
// old ones are s's endpoints as they are when it starts.
func playRollout(ctx context.Context, w *writer, s *service, steps []rolloutStep, zero time.Time, next func() string, maxPerSlice int) error {
	var old []string
	for _, ep := range s.ips() {
		old = append(old, ep.ip)
	}
	var pending []string
	terminating := map[int][]string{}
	for _, st := range steps {
		if d := time.Until(zero.Add(st.At)); d > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		var err error
		switch st.Kind {
		case stepAdd:
			var fresh []string
			for range st.Count {
				fresh = append(fresh, next())
			}
			pending = append(pending, fresh...)
			err = w.add(ctx, s, fresh, maxPerSlice)
		case stepReady:
			batch := pending[:st.Count]
			pending = pending[st.Count:]
			err = w.setState(ctx, s, batch, stateReady)
		case stepTerminate:
			batch := old[:st.Count]
			old = old[st.Count:]
			terminating[st.Wave] = append(terminating[st.Wave], batch...)
			err = w.setState(ctx, s, batch, stateTerminating)
		case stepRemove:
			err = w.remove(ctx, s, terminating[st.Wave])
		}
		if err != nil {
			return err
		}
	}
	return nil
}
