package scenario

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/bench/sample"
)

// cpuRate is the churn rate whose window gives the cpu figure.
const cpuRate = 3

// churnWindow is what one rate's window measured.
type churnWindow struct {
	Rate    float64 `json:"ratePerSec"`
	Changes int     `json:"changes"`
	// Register/Deregister: write -> first call carrying the change.
	Register   measure.Summary       `json:"register"`
	Deregister measure.Summary       `json:"deregister"`
	Outcomes   map[measure.State]int `json:"outcomes"`
	// Calls are those started from the window's start until the backlog
	// was applied (or the settle timeout).
	Calls                  measure.CallCounts `json:"calls"`
	MutatingCallsPerChange float64            `json:"mutatingCallsPerChange"`
	CallsPerChange         float64            `json:"callsPerChange"`
	Throttled              int                `json:"throttled"`
	// QueueDepth is workqueue_depth{name="targetgroupbinding"}, sampled
	// every queueScrapeInterval during the window and the settle.
	QueueDepthMax  float64 `json:"queueDepthMax"`
	QueueDepthLast float64 `json:"queueDepthLastInWindow"`
	QueueSamples   []int   `json:"queueDepthEvery15s"`
	// QueueScrapeErrors counts scrapes that failed or lacked the
	// series.
	QueueScrapeErrors int `json:"queueScrapeErrors"`
	// UnappliedAtWindowEnd counts changes that had not reached AWS when
	// the window closed; LastLandedAfterWindowSec is how long after the
	// window the last one did.
	UnappliedAtWindowEnd     int     `json:"unappliedAtWindowEnd"`
	LastLandedAfterWindowSec float64 `json:"lastLandedAfterWindowSec"`
	NeverApplied             int     `json:"neverApplied"`
	// WorkPerChange is the controller's own count of syncs, API writes
	// and AWS calls per change, over the window and its settle.
	WorkPerChange        map[string]float64 `json:"workPerChange,omitempty"`
	CPUSeconds           float64            `json:"cpuSecondsInWindow"`
	CPUSecondsWithSettle float64            `json:"cpuSecondsWithSettle"`
	WindowSec            float64            `json:"windowSec"`
	// SettleSec is how long after the window the driver waited for the
	// backlog (plus 2 s) before the next rate.
	SettleSec float64 `json:"settleSec"`
}

// runChurn: Bindings x Endpoints in sync; for each rate, one random
// endpoint's ready condition flips at a steady rate for ChurnWindow (one
// slice write per change), then the backlog settles. The 3/s window also
// gives the cpu scenario.
func runChurn(ctx context.Context, r *runner, want map[string]bool) ([]*report.Result, error) {
	rates := r.scale.ChurnRates
	if !want["churn"] {
		rates = []float64{cpuRate}
	}
	res := r.newResult("churn")
	n, per := r.scale.Bindings, r.scale.Endpoints
	res.Params = map[string]any{"bindings": n, "endpointsPerBinding": per, "rates": rates, "windowSec": r.scale.ChurnWindow.Seconds(), "seed": 1}
	e, err := r.env(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	f, err := r.setupFleet(ctx, e, n, per, true)
	if err != nil {
		return nil, err
	}
	time.Sleep(time.Second) // seeded targets pass their initial checks
	res.Buckets = e.measure()
	c, err := r.syncFleet(ctx, "churn", e, f)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	res.ControllerLog = c.LogPath

	idle, err := idleCPU(ctx, c, idleWindow)
	if err != nil {
		return nil, err
	}
	churn := newChurnState(rand.New(rand.NewPCG(1, 2)), f)
	var windows []churnWindow
	for _, rate := range rates {
		win, err := r.churnAt(ctx, e, c, churn, rate)
		if err != nil {
			return nil, err
		}
		windows = append(windows, win)
		fmt.Fprintf(r.out, "   churn %.0f/s: %d changes, register p50/p99 %.1f/%.1f ms, deregister %.1f/%.1f ms, %d unapplied at window end, queue max %.0f, %d throttled\n",
			rate, win.Changes, win.Register.P50Ms, win.Register.P99Ms, win.Deregister.P50Ms, win.Deregister.P99Ms, win.UnappliedAtWindowEnd, win.QueueDepthMax, win.Throttled)
	}
	var out []*report.Result
	if want["churn"] {
		res.Figures = map[string]any{"windows": windows}
		var head []string
		throttled := 0
		for _, w := range windows {
			throttled += w.Throttled
			part := fmt.Sprintf("%.0f/s: reg p50/p99 %.0f/%.0f ms, dereg %.0f/%.0f ms, %.2f calls/change, queue max %.0f, %d late at window end (last +%.1f s)",
				w.Rate, w.Register.P50Ms, w.Register.P99Ms, w.Deregister.P50Ms, w.Deregister.P99Ms, w.CallsPerChange, w.QueueDepthMax, w.UnappliedAtWindowEnd, w.LastLandedAfterWindowSec)
			if n := w.Outcomes[measure.Superseded]; n > 0 {
				part += fmt.Sprintf(", %d of %d changes taken back before tgc's call (not in the percentiles)", n, w.Changes)
			}
			head = append(head, part)
		}
		res.Headline = fmt.Sprintf("%s; %d throttled", joinSemi(head), throttled)
		res.Targets = append(res.Targets, report.Check("throttled", "0", fmt.Sprint(throttled), throttled == 0))
		for _, w := range windows {
			if w.NeverApplied > 0 {
				res.Notes = append(res.Notes, fmt.Sprintf("at %.0f/s, %d changes had not reached AWS %s after the window", w.Rate, w.NeverApplied, r.scale.SettleTimeout))
			}
		}
		for _, w := range windows {
			if n := w.Outcomes[measure.Superseded]; n > 0 {
				res.Notes = append(res.Notes, fmt.Sprintf("at %.0f/s, %d changes were taken back (the endpoint flipped again, at least %s later) before any call carried them, and %d changes only undid such a change and needed no call; tgc rightly made no call for either, but those changes waited at least until they were taken back, so the percentiles, which cover applied changes only, understate the wait", w.Rate, n, minDown, w.Outcomes[measure.Reverted]))
			}
		}
		res.Notes = append(res.Notes, "workqueue_depth counts only items ready for a worker: a binding whose write waits for a client-side token may sit in the queue's delayed set (RequeueAfter), which this gauge does not count")
		res.Notes = append(res.Notes, "the issue sets no latency target for churn; where the buckets cannot keep up (more groups changing per second than the Register/Deregister rate), the figures show how far behind tgc fell and whether the queue stayed bounded")
		out = append(out, res)
	}
	if want["cpu"] {
		out = append(out, r.cpuResult(res, windows, idle))
	}
	return out, nil
}

func joinSemi(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += "; "
		}
		s += p
	}
	return s
}

// churnAt runs one rate's window and its settle.
func (r *runner) churnAt(ctx context.Context, e *env, c *controller, churn *churnState, rate float64) (churnWindow, error) {
	win := churnWindow{Rate: rate, WindowSec: r.scale.ChurnWindow.Seconds()}
	work0 := workCounts(ctx, c)
	cpu0, err := sample.ReadProc(c.Pid())
	if err != nil {
		return win, controllerFailed(c, err)
	}
	start := time.Now()
	w := newWriter(e, start)
	var profWG sync.WaitGroup
	if c.PprofURL != "" && rate == cpuRate {
		profWG.Go(func() {
			if err := profileCPU(ctx, c.PprofURL, r.scale.ChurnWindow, r.opts.CPUProfile); err != nil {
				fmt.Fprintf(r.out, "   warning: %v\n", err)
				return
			}
			fmt.Fprintf(r.out, "   CPU profile of the %.0f/s window: %s\n", rate, r.opts.CPUProfile)
		})
	}
	defer profWG.Wait()

	var qmu sync.Mutex
	var depths []int
	qctx, stopQueue := context.WithCancel(ctx)
	var qwg sync.WaitGroup
	qwg.Go(func() {
		t := time.NewTicker(queueScrapeInterval)
		defer t.Stop()
		for {
			m, err := c.scrape(qctx, seriesQueueDepth)
			v, ok := m[seriesQueueDepth]
			qmu.Lock()
			if err == nil && ok {
				depths = append(depths, int(v))
			} else if qctx.Err() == nil {
				win.QueueScrapeErrors++
			}
			qmu.Unlock()
			select {
			case <-qctx.Done():
				return
			case <-t.C:
			}
		}
	})
	defer func() { stopQueue(); qwg.Wait() }()

	total := int(rate * r.scale.ChurnWindow.Seconds())
	interval := time.Duration(float64(time.Second) / rate)
	for k := range total {
		if d := time.Until(start.Add(time.Duration(k) * interval)); d > 0 {
			select {
			case <-ctx.Done():
				return win, ctx.Err()
			case <-time.After(d):
			}
		}
		s, ip, st := churn.pick(k, time.Now())
		if err := w.setState(ctx, s, []string{ip}, st); err != nil {
			return win, err
		}
	}
	if d := time.Until(start.Add(r.scale.ChurnWindow)); d > 0 {
		time.Sleep(d)
	}
	end := time.Now()
	cpu1, err := sample.ReadProc(c.Pid())
	if err != nil {
		return win, controllerFailed(c, err)
	}
	qmu.Lock()
	inWindow := len(depths)
	qmu.Unlock()

	changes := changesOf(w.log(), start)
	var outcomes []measure.Outcome
	settleErr := waitFor(ctx, r.scale.SettleTimeout, 250*time.Millisecond, "the churn backlog to reach AWS", func() (bool, string) {
		outcomes = measure.Match(changes, measure.Between(e.emu.Calls(), start, time.Time{}))
		n := measure.CountStates(outcomes)[measure.Unapplied]
		return n == 0, fmt.Sprintf("%d changes not applied", n)
	})
	// A short pause lets the last calls and status writes finish; waiting
	// for silence would wait out tgc's periodic health reads of groups
	// whose targets are still draining.
	time.Sleep(2 * time.Second)
	settled := time.Now()
	win.SettleSec = measure.Seconds(settled.Sub(end))
	cpu2, err := sample.ReadProc(c.Pid())
	if err != nil {
		return win, controllerFailed(c, err)
	}
	work := workCounts(ctx, c)
	stopQueue()
	qwg.Wait()

	calls := measure.Between(e.emu.Calls(), start, settled)
	outcomes = measure.Match(changes, calls)
	win.Changes = len(changes)
	win.Register = measure.Summarize(measure.Latencies(outcomes, measure.Up))
	win.Deregister = measure.Summarize(measure.Latencies(outcomes, measure.Down))
	win.Outcomes = measure.CountStates(outcomes)
	win.Calls = measure.Count(calls)
	win.Throttled = win.Calls.Throttled
	if win.Changes > 0 {
		win.MutatingCallsPerChange = float64(win.Calls.Mutating) / float64(win.Changes)
		win.CallsPerChange = float64(win.Calls.Total) / float64(win.Changes)
	}
	for _, o := range outcomes {
		switch {
		case o.State == measure.Unapplied:
			win.UnappliedAtWindowEnd++
			win.NeverApplied++
		case o.State == measure.Applied && o.CallEnd.After(end):
			win.UnappliedAtWindowEnd++
			win.LastLandedAfterWindowSec = max(win.LastLandedAfterWindowSec, measure.Seconds(o.CallEnd.Sub(end)))
		}
	}
	win.QueueSamples = depths
	for i, d := range depths {
		win.QueueDepthMax = max(win.QueueDepthMax, float64(d))
		if i < inWindow {
			win.QueueDepthLast = float64(d)
		}
	}
	win.WorkPerChange = perChange(work0, work, win.Changes)
	win.CPUSeconds = sample.CPUSeconds(cpu1.CPUTicks - cpu0.CPUTicks)
	win.CPUSecondsWithSettle = sample.CPUSeconds(cpu2.CPUTicks - cpu0.CPUTicks)
	if settleErr != nil && c.Exited() {
		return win, controllerFailed(c, settleErr)
	}
	return win, nil
}

// cpuResult is the cpu scenario: controller CPU seconds per 1,000 changes
// in the 3/s window.
func (r *runner) cpuResult(churn *report.Result, windows []churnWindow, idle float64) *report.Result {
	res := r.newResult("cpu")
	res.Started = churn.Started
	res.Buckets = churn.Buckets
	res.ControllerLog = churn.ControllerLog
	res.Params = map[string]any{"bindings": r.scale.Bindings, "endpointsPerBinding": r.scale.Endpoints, "ratePerSec": cpuRate, "windowSec": r.scale.ChurnWindow.Seconds(), "clockTicksPerSec": sample.ClockTicks}
	for _, w := range windows {
		if w.Rate != cpuRate || w.Changes == 0 {
			continue
		}
		per := w.CPUSeconds / (float64(w.Changes) / 1000)
		perSettled := w.CPUSecondsWithSettle / (float64(w.Changes) / 1000)
		net := (w.CPUSeconds - idle*w.WindowSec) / (float64(w.Changes) / 1000)
		res.Figures = map[string]any{
			"idleCpuSecondsPerSec":            idle,
			"cpuSecondsPer1000ChangesNetIdle": net,
			"changes":                         w.Changes,
			"cpuSecondsInWindow":              w.CPUSeconds,
			"cpuSecondsPer1000Changes":        per,
			"cpuSecondsWithSettle":            w.CPUSecondsWithSettle,
			"cpuSecondsPer1000ChangesSettled": perSettled,
		}
		if w.WorkPerChange != nil {
			res.Figures["workPerChange"] = w.WorkPerChange
		}
		// The target is per change: what the controller spends anyway over
		// the same time, idle (scrapes, drift checks), is not the changes'.
		res.Targets = []report.Target{report.Check("CPU per 1,000 changes, net of idle", "< 1 CPU-second", fmt.Sprintf("%.2f s (%.2f s gross)", net, per), net < 1)}
		res.Headline = fmt.Sprintf("%.2f CPU-s per 1,000 changes (%.2f s over %d changes in %.0f s at 3/s; %.2f net of the idle %.3f CPU-s/s; %.2f with the settle)", per, w.CPUSeconds, w.Changes, w.WindowSec, net, idle, perSettled)
		if p := w.WorkPerChange; p != nil {
			res.Headline += fmt.Sprintf("; per change %.2f syncs, %.2f API patches, %.2f API creates, %.2f DescribeTargetHealth, %.2f Register/Deregister",
				p["reconciles"], p["apiPatches"], p["apiCreates"], p["describeTargetHealth"], p["registerTargets"]+p["deregisterTargets"])
		}
		res.Notes = append(res.Notes, "CPU is utime+stime of the controller process from /proc/<pid>/stat (clock ticks of 10 ms), over the window; the target is judged net of the idle controller's CPU per second (read over two scrape intervals with /metrics scraped as during the window) times the window")
		return res
	}
	res.Headline = "no 3/s churn window ran"
	return res
}

// minDown is how long a churned endpoint stays not ready before a change
// may turn it ready again: a pod failing its readiness probe stays out for
// a few periods. Without it, at high rates the change that readies an
// endpoint would mostly undo the one that took it out 1/rate earlier, a
// flap the controller may rightly coalesce into no call at all.
const minDown = 5 * time.Second

// queueScrapeInterval is how often the queue depth is read from /metrics:
// Prometheus's usual interval. Scraping every second cost the controller
// more CPU than the changes did (a CPU profile of the 3/s window spent a
// quarter of its samples encoding and gzipping 1,000 bindings' series),
// which the cpu figure would have charged to the changes.
const queueScrapeInterval = 15 * time.Second

// churnState is which endpoints the churn has taken out, and since when.
type churnState struct {
	rng  *rand.Rand
	f    *fleet
	down map[string]downEntry
}

type downEntry struct {
	s     *service
	since time.Time
}

func newChurnState(rng *rand.Rand, f *fleet) *churnState {
	return &churnState{rng: rng, f: f, down: map[string]downEntry{}}
}

// pick chooses change k at now: odd changes turn ready again a random
// endpoint that has been not ready for minDown, even changes (and odd ones
// when none qualifies) turn a random ready endpoint not ready, so that
// registrations and deregistrations arrive at about the same rate. (A flip
// of a uniformly random endpoint of an all-ready fleet would almost always
// be a deregistration.)
func (c *churnState) pick(k int, now time.Time) (*service, string, endpointState) {
	if k%2 == 1 {
		var eligible []string
		for ip, d := range c.down {
			if now.Sub(d.since) >= minDown {
				eligible = append(eligible, ip)
			}
		}
		if len(eligible) > 0 {
			slices.Sort(eligible) // map order is random; the seed decides
			ip := eligible[c.rng.IntN(len(eligible))]
			s := c.down[ip].s
			delete(c.down, ip)
			return s, ip, stateReady
		}
	}
	for range 1000 {
		s := c.f.services[c.rng.IntN(len(c.f.services))]
		eps := s.ips()
		ep := eps[c.rng.IntN(len(eps))]
		if _, out := c.down[ep.ip]; out {
			continue
		}
		c.down[ep.ip] = downEntry{s: s, since: now}
		return s, ep.ip, stateNotReady
	}
	// (Nearly) everything is out: ready one again whatever its age.
	for ip, d := range c.down {
		delete(c.down, ip)
		return d.s, ip, stateReady
	}
	panic("churn over a fleet without endpoints")
}

// idleWindow is how long the idle controller's CPU is read before the
// first churn window: two scrape intervals, so that the idle figure pays
// for /metrics scrapes at the cadence the windows do. A scrape of 1,000
// bindings' series costs about 50 ms of CPU, which a shorter idle window
// without scrapes charged to the changes.
const idleWindow = 2 * queueScrapeInterval

// idleCPU is the controller's CPU seconds per second while nothing
// changes: informer resyncs, drift checks, housekeeping, and /metrics
// scraped every queueScrapeInterval, as during a window.
func idleCPU(ctx context.Context, c *controller, d time.Duration) (float64, error) {
	a, err := sample.ReadProc(c.Pid())
	if err != nil {
		return 0, controllerFailed(c, err)
	}
	began := time.Now()
	for began.Add(d).After(time.Now()) {
		if _, err := c.scrape(ctx, seriesQueueDepth); err != nil && ctx.Err() != nil {
			return 0, ctx.Err()
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(min(queueScrapeInterval, time.Until(began.Add(d)))):
		}
	}
	b, err := sample.ReadProc(c.Pid())
	if err != nil {
		return 0, controllerFailed(c, err)
	}
	return sample.CPUSeconds(b.CPUTicks-a.CPUTicks) / time.Since(began).Seconds(), nil
}
