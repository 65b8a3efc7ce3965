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

// versusRestart: vs.RestartBindings bindings of vs.RestartEndpoints
// pod-backed endpoints, every target registered; the controller runs once
// over them until it has read every group and gone quiet (so that it has
// taken them over: its finalizers, the peer's checkpoints), is stopped
// and started again with AWS's throttling on: the restart. One endpoint
// of a binding in the middle of the fleet turns not ready right after the
// process starts. The sample's reaction is the restart to the Deregister
// call carrying it, its end to end the restart to the group's target
// health showing it, and Verified the restart to the last group's first
// DescribeTargetHealth.
func (r *runner) versusRestart(ctx context.Context, c contender, vs VersusScale, e *env) ([]opSample, error) {
	began := time.Now()
	ips := &ipAllocator{}
	n := vs.RestartBindings
	f := &fleet{services: make([]*service, n)}
	err := parallel(ctx, n, 16, func(ctx context.Context, i int) error {
		s, err := e.podBackedService(ctx, ips, "restart-"+strconv.Itoa(i), vs.RestartEndpoints, 100, 1)
		if err != nil {
			return err
		}
		s.binding = s.name
		f.services[i] = s
		if err := e.kube.Create(ctx, c.binding(s.binding, s.name, s.group)); err != nil {
			return fmt.Errorf("creating the %s binding %s: %w", c.name, s.binding, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := e.seed(ctx, f, 16); err != nil {
		return nil, err
	}
	fmt.Fprintf(r.out, "   restart: %d bindings x %d endpoints in sync after %s\n", n, vs.RestartEndpoints, time.Since(began).Round(100*time.Millisecond))

	first, err := c.start(filepath.Join(r.tmp, c.name+"-restart-first.log"), e)
	if err != nil {
		return nil, err
	}
	if _, err := waitVerified(ctx, e, first, f.groups(), first.Started, 3*versusTimeout); err != nil {
		first.stop()
		return nil, err
	}
	if err := waitQuiet(ctx, e, 2*time.Second, versusTimeout); err != nil {
		first.stop()
		return nil, controllerFailed(first, err)
	}
	first.stop()

	var out []opSample
	for k := range vs.RestartCycles {
		got, err := r.restartOnce(ctx, c, e, f, k)
		out = append(out, got...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// restartOnce starts the controller over the in-sync fleet and measures
// the two changes of restart k (each restart changes other bindings), then
// turns their endpoints ready again and waits until the controller has
// registered them and gone quiet, so that the fleet is in sync for the
// next restart, and stops it.
func (r *runner) restartOnce(ctx context.Context, c contender, e *env, f *fleet, k int) ([]opSample, error) {
	n := len(f.services)
	e.measure()
	ctl, err := c.start(filepath.Join(r.tmp, c.name+"-restart-"+strconv.Itoa(k)+".log"), e)
	if err != nil {
		return nil, err
	}
	defer ctl.stop()
	restart := ctl.Started
	step := max(1, n/7)
	s := f.services[(n/2+k*step)%n]
	ep := s.ips()[0]
	target := []string{targetID(ep.ip)}
	w := newWriter(e, restart)
	if err := w.setState(ctx, s, []string{ep.ip}, stateNotReady); err != nil {
		return nil, err
	}
	o := opSample{Controller: c.name, Op: opRestart, Dir: string(measure.Down)}
	o.WrittenMs = msPtr(w.log()[0].At.Sub(restart))
	run := &versusRun{e: e, c: c, ctl: ctl, zero: restart}
	later := make(chan laterChange, 1)
	go func() { later <- run.changeLater(ctx, w, f.services[(n-1-k*step+n)%n], restart.Add(laterChangeAfter)) }()
	shown, err := run.watch(ctx, s.group, target, measure.Down, restart)
	if err != nil {
		return nil, err
	}
	// Taken before waiting for the second change, which may show later.
	if shown {
		o.endToEnd = time.Since(restart)
		o.EndToEndMs = msPtr(o.endToEnd)
	}
	lc := <-later
	if lc.err != nil {
		return nil, lc.err
	}
	// A controller that skips groups it knows in sync never reads them
	// all: the wait ends when every group is read or the emulator has seen
	// no call for 3 s.
	groups := f.groups()
	_ = waitFor(ctx, 3*versusTimeout, 100*time.Millisecond, "every group read after the restart", func() (bool, string) {
		calls := e.emu.Calls()
		read := measure.FirstHealthRead(calls, restart, groups)
		quiet := len(calls) > 0 && time.Since(calls[len(calls)-1].End()) >= 3*time.Second
		return len(read) == len(groups) || quiet || ctl.Exited(), fmt.Sprintf("%d of %d groups read", len(read), len(groups))
	})
	_ = waitQuiet(ctx, e, time.Second, 20*time.Second)
	window := measure.Between(e.emu.Calls(), restart, time.Now())
	o.Calls = measure.Count(window)
	o.DescribeBefore = describeBeforeWrite(window)
	if d, ok := measure.Reaction(window, s.group, target, measure.Down, restart); ok {
		o.reaction, o.ReactionMs = d, msPtr(d)
	}
	l := opSample{Controller: c.name, Op: opRestartLater, Dir: string(measure.Down), StartS: lc.at.Sub(restart).Seconds(), WrittenMs: msPtr(lc.at.Sub(restart))}
	var own []emulator.Call
	for _, call := range measure.Between(window, lc.at, time.Time{}) {
		if call.TargetGroupARN == lc.group {
			own = append(own, call)
		}
	}
	l.Calls = measure.Count(own)
	l.DescribeBefore = describeBeforeWrite(own)
	if d, ok := measure.Reaction(own, lc.group, lc.targets, measure.Down, lc.at); ok {
		l.reaction, l.ReactionMs = d, msPtr(d)
	}
	if lc.shown {
		l.endToEnd, l.EndToEndMs = lc.endToEnd, msPtr(lc.endToEnd)
	}
	read := measure.FirstHealthRead(window, restart, groups)
	o.GroupsRead, o.Groups = len(read), len(groups)
	if last, ok := measure.Latest(read); ok && len(read) == len(groups) {
		o.verified = last.Sub(restart)
		o.VerifiedMs = msPtr(o.verified)
	}
	fmt.Fprintf(r.out, "   restart: change landed %v ms, shown %v ms, %d of %d groups read, %d calls; the change %s in landed %v ms after its write\n",
		deref(o.ReactionMs), deref(o.EndToEndMs), o.GroupsRead, n, o.Calls.Total, laterChangeAfter, deref(l.ReactionMs))
	out := []opSample{o, l}
	if ctl.Exited() {
		return out, controllerFailed(ctl, fmt.Errorf("the controller exited after the restart"))
	}
	if !shown || !lc.shown {
		return out, controllerFailed(ctl, fmt.Errorf("a change after the restart did not show within %s", versusTimeout))
	}
	// Back in sync for the next restart.
	back := time.Now()
	if err := w.setState(ctx, s, []string{ep.ip}, stateReady); err != nil {
		return out, err
	}
	ls := f.services[(n-1-k*step+n)%n]
	if err := w.setState(ctx, ls, []string{ls.ips()[0].ip}, stateReady); err != nil {
		return out, err
	}
	for _, g := range []struct {
		s       *service
		targets []string
	}{{s, target}, {ls, lc.targets}} {
		ok, err := run.watch(ctx, g.s.group, g.targets, measure.Up, back)
		if err != nil {
			return out, err
		}
		if !ok {
			return out, controllerFailed(ctl, fmt.Errorf("the changed endpoints were not registered again within %s", versusTimeout))
		}
	}
	if err := waitQuiet(ctx, e, 2*time.Second, versusTimeout); err != nil {
		return out, controllerFailed(ctl, err)
	}
	return out, nil
}

// laterChangeAfter is when, after the process start, the second change
// of the restart is written: past both controllers' startup (the peer's
// first change lands about 3 s in) and, at full scale, well inside tgc's
// sweep of every group (about 16 s of Describe calls at AWS's rate).
const laterChangeAfter = 5 * time.Second

// laterChange is the restart's second change: written at a time, to a
// group, and when its group's target health showed it.
type laterChange struct {
	at       time.Time
	group    string
	targets  []string
	shown    bool
	endToEnd time.Duration
	err      error
}

// changeLater turns s's first endpoint not ready at at and watches its
// group until that shows.
func (v *versusRun) changeLater(ctx context.Context, w *writer, s *service, at time.Time) laterChange {
	select {
	case <-ctx.Done():
		return laterChange{err: ctx.Err()}
	case <-time.After(time.Until(at)):
	}
	ep := s.ips()[0]
	lc := laterChange{at: time.Now(), group: s.group, targets: []string{targetID(ep.ip)}}
	if lc.err = w.setState(ctx, s, []string{ep.ip}, stateNotReady); lc.err != nil {
		return lc
	}
	lc.shown, lc.err = v.watch(ctx, s.group, lc.targets, measure.Down, lc.at)
	lc.endToEnd = time.Since(lc.at)
	return lc
}

func deref(f *float64) any {
	if f == nil {
		return "n/a"
	}
	return *f
}
