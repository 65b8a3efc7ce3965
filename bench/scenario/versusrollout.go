package scenario

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// versusRollout binds a Service of vs.RolloutEndpoints pod-backed
// endpoints, lets the controller register them, then replaces every
// endpoint by a rolling update (rolloutPlan, as the rollout scenario
// plays it) whose new endpoints name Pods made beforehand. Each endpoint
// change is a sample: its reaction is the first Register or Deregister
// call carrying it, its end to end when the group's target health shows
// it.
func (r *runner) versusRollout(ctx context.Context, c contender, vs VersusScale, e *env) ([]opSample, error) {
	ips := &ipAllocator{}
	s, err := e.podBackedService(ctx, ips, "rollout", vs.RolloutEndpoints, 100, 16)
	if err != nil {
		return nil, err
	}
	// The new Pods exist before their endpoints appear, as a Deployment's
	// Pods do before the EndpointSlice controller lists them: creating them
	// during the rollout would put the driver's API writes in the figures.
	fresh := make([]string, vs.RolloutEndpoints)
	podOf := map[string]string{}
	for i := range fresh {
		fresh[i] = ips.take()
		podOf[fresh[i]] = "rollout-new-" + strconv.Itoa(i)
	}
	err = parallel(ctx, len(fresh), 16, func(ctx context.Context, i int) error {
		return e.runningPod(ctx, podOf[fresh[i]], fresh[i])
	})
	if err != nil {
		return nil, err
	}
	e.measure()
	ctl, err := c.start(filepath.Join(r.tmp, c.name+"-rollout.log"), e)
	if err != nil {
		return nil, err
	}
	defer ctl.stop()
	run := &versusRun{e: e, c: c, ctl: ctl, zero: time.Now()}
	if _, err := run.create(ctx, "warm-up", s); err != nil {
		return nil, err
	}
	if err := waitQuiet(ctx, e, 2*time.Second, versusTimeout); err != nil {
		return nil, controllerFailed(ctl, err)
	}

	steps := rolloutPlan(vs.RolloutEndpoints, rolloutSurge, vs.RolloutDuration, defaultRolloutTiming)
	zero := time.Now()
	w := newWriter(e, zero)
	w.podOf = func(ip string) string { return podOf[ip] }
	next := 0
	nextIP := func() string { next++; return fresh[next-1] }

	// The group's target health is read every 5 ms while the rollout plays
	// and until every change has shown (or versusTimeout after the last
	// write).
	shown := map[int]time.Time{}
	played := make(chan error, 1)
	go func() { played <- playRollout(ctx, w, s, steps, zero, nextIP, 100) }()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var playErr error
	var lastWrite time.Time
	done := false
	for {
		changes := changesOf(w.log(), zero)
		states, err := e.emu.ObserveTargetHealth(s.group)
		if err != nil {
			return nil, err
		}
		markShown(changes, states, time.Now(), shown)
		if done && (len(shown) == len(changes) || time.Since(lastWrite) > versusTimeout || ctl.Exited()) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case playErr = <-played:
			done, lastWrite = true, time.Now()
			if playErr != nil {
				return nil, playErr
			}
		case <-tick.C:
		}
	}
	_ = waitQuiet(ctx, e, time.Second, 20*time.Second)
	window := measure.Between(e.emu.Calls(), zero, time.Now())
	changes := changesOf(w.log(), zero)
	out := rolloutSamples(c.name, changes, window, s.group, shown, zero)
	fmt.Fprintf(r.out, "   rollout: %d endpoints replaced, %d changes, %d shown, %d calls\n", vs.RolloutEndpoints, len(changes), len(shown), len(window))
	if ctl.Exited() {
		return out, controllerFailed(ctl, fmt.Errorf("the controller exited during the rollout"))
	}
	if len(shown) < len(changes) {
		return out, controllerFailed(ctl, fmt.Errorf("%d of %d rollout changes did not show within %s", len(changes)-len(shown), len(changes), versusTimeout))
	}
	return out, nil
}

// markShown records now for every change not yet in shown that the
// group's target health (states) shows done.
func markShown(changes []measure.Change, states map[string]string, now time.Time, shown map[int]time.Time) {
	for i, ch := range changes {
		if _, ok := shown[i]; ok {
			continue
		}
		if measure.Shows(states, []string{ch.Target}, ch.Dir) {
			shown[i] = now
		}
	}
}

// rolloutSamples turns the rollout's changes into one sample each. The
// window's calls are all counted on the first sample, so that a row's
// calls per operation are the rollout's calls per endpoint change.
func rolloutSamples(controller string, changes []measure.Change, window []emulator.Call, group string, shown map[int]time.Time, zero time.Time) []opSample {
	out := make([]opSample, 0, len(changes))
	for i, ch := range changes {
		o := opSample{Controller: controller, Op: opRollout, Dir: string(ch.Dir), StartS: ch.At.Sub(zero).Seconds()}
		if i == 0 {
			o.Calls = measure.Count(window)
		}
		if d, ok := measure.Reaction(window, group, []string{ch.Target}, ch.Dir, ch.At); ok {
			o.reaction, o.ReactionMs = d, msPtr(d)
		}
		if at, ok := shown[i]; ok {
			o.endToEnd = at.Sub(ch.At)
			o.EndToEndMs = msPtr(o.endToEnd)
		}
		out = append(out, o)
	}
	return out
}
