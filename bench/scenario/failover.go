package scenario

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"syscall"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/bench/sample"
)

// leaseSetting is one set of leader election timings the failover runs
// with: the defaults, and the ones docs/aws-api.md recommends for a fast
// handover.
type leaseSetting struct {
	Name                        string
	Lease, RenewDeadline, Retry time.Duration
}

var leaseSettings = []leaseSetting{
	{Name: "default", Lease: 15 * time.Second, RenewDeadline: 10 * time.Second, Retry: 2 * time.Second},
	{Name: "fast", Lease: 4 * time.Second, RenewDeadline: 3 * time.Second, Retry: 250 * time.Millisecond},
}

func (s leaseSetting) args() []string {
	return []string{"--leader-elect=true", "--leader-election-namespace=" + namespace, "--leader-election-id=tgc-bench-failover",
		"--leader-election-lease-duration=" + s.Lease.String(), "--leader-election-renew-deadline=" + s.RenewDeadline.String(),
		"--leader-election-retry-period=" + s.Retry.String()}
}

// failoverMode is how the leader goes.
type failoverMode string

const (
	// graceful: SIGTERM, as in a rollout or a drained node; the leader
	// releases the Lease on its way out.
	graceful failoverMode = "graceful"
	// crash: SIGKILL, as kill -9 or the OOM killer; the Lease runs out.
	crash failoverMode = "crash"
)

const seriesLeader sample.Series = `tgc_leader`

// failoverRun is one measured failover.
type failoverRun struct {
	Setting string       `json:"setting"`
	Mode    failoverMode `json:"mode"`
	// LandedMs is from the signal to the end of the call that carried the
	// change written right after it.
	LandedMs float64 `json:"landedMs"`
}

// runFailover runs two replicas with leader election over a small fleet
// and, per lease setting and mode, FailoverRuns times: stops the leader
// (SIGTERM or SIGKILL), writes an endpoint change at once, and times the
// change's arrival at AWS through the standby. The stopped replica comes
// back as the next standby.
func runFailover(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("failover")
	res.Params = map[string]any{"bindings": 10, "endpointsPerBinding": 10, "runsPerCase": r.scale.FailoverRuns, "settings": leaseSettings}
	e, err := r.env(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	f, err := r.setupFleet(ctx, e, 10, 10, true)
	if err != nil {
		return nil, err
	}
	res.Buckets = e.measure()
	churn := newChurnState(rand.New(rand.NewPCG(5, 6)), f)
	w := newWriter(e, time.Now())
	var runs []failoverRun
	for _, set := range leaseSettings {
		got, err := r.failoverPair(ctx, e, w, churn, set, len(runs))
		runs = append(runs, got...)
		if err != nil {
			return nil, err
		}
	}
	fig, targets := failoverFigures(runs)
	res.Figures = map[string]any{"cases": fig, "runs": runs,
		"leaseRequestsPerSecond": leaseRequestRates(2)}
	res.Targets = targets
	res.Headline = failoverHeadline(fig)
	res.Notes = append(res.Notes,
		"the change is written right after the signal; landed = the end of the emulator's Register/Deregister call carrying it",
		"Lease traffic with 2 replicas is computed, not measured: the leader renews with one update per retry period and the standby reads about once per retry period (plus a watch while it holds a read); default about 1 request/s, fast about 8")
	return []*report.Result{res}, nil
}

// failoverPair runs one lease setting: two replicas, and FailoverRuns
// failovers per mode. k numbers the changes, so that each setting picks
// new ones. The replicas are stopped on return, whatever happened.
func (r *runner) failoverPair(ctx context.Context, e *env, w *writer, churn *churnState, set leaseSetting, k int) ([]failoverRun, error) {
	pair := [2]*controller{}
	defer func() { stopAll(pair[:]) }()
	var err error
	for i := range pair {
		if pair[i], err = r.startController("failover-"+set.Name, e, set.args()...); err != nil {
			return nil, err
		}
	}
	var runs []failoverRun
	for _, mode := range []failoverMode{graceful, crash} {
		for range r.scale.FailoverRuns {
			leader, err := waitLeader(ctx, pair[:], set.Lease+r.scale.SettleTimeout)
			if err != nil {
				return runs, err
			}
			// Let the standby's caches settle, as in a running Deployment.
			time.Sleep(time.Second)
			if err := waitQuiet(ctx, e, 500*time.Millisecond, r.scale.SettleTimeout); err != nil {
				return runs, err
			}
			killed := time.Now()
			sig := syscall.SIGTERM
			if mode == crash {
				sig = syscall.SIGKILL
			}
			_ = pair[leader].Cmd.Process.Signal(sig)
			s, ip, st := churn.pick(k, time.Now())
			k++
			if err := w.setState(ctx, s, []string{ip}, st); err != nil {
				return runs, err
			}
			landed, err := waitLanded(ctx, e, w, killed, set.Lease+r.scale.SettleTimeout)
			if err != nil {
				return runs, controllerFailed(pair[1-leader], err)
			}
			runs = append(runs, failoverRun{Setting: set.Name, Mode: mode, LandedMs: float64(landed.Sub(killed).Microseconds()) / 1000})
			fmt.Fprintf(r.out, "   %s %s: change landed %.0f ms after the signal\n", set.Name, mode, runs[len(runs)-1].LandedMs)
			pair[leader].Kill() // reap it (a SIGTERMed one may still be shutting down)
			if pair[leader], err = r.startController("failover-"+set.Name, e, set.args()...); err != nil {
				return runs, err
			}
		}
	}
	return runs, nil
}

func stopAll(cs []*controller) {
	for _, c := range cs {
		if c != nil {
			c.stop()
		}
	}
}

// waitLeader returns the index of the replica whose tgc_leader is 1.
func waitLeader(ctx context.Context, cs []*controller, timeout time.Duration) (int, error) {
	leader := -1
	err := waitFor(ctx, timeout, 50*time.Millisecond, "a leader", func() (bool, string) {
		for i, c := range cs {
			if c.Exited() {
				continue
			}
			m, err := c.scrape(ctx, seriesLeader)
			if err == nil && m[seriesLeader] == 1 {
				leader = i
				return true, ""
			}
		}
		return false, "no replica reports tgc_leader 1"
	})
	return leader, err
}

// waitLanded waits for the writer's last change to reach AWS and returns
// when the call carrying it ended.
func waitLanded(ctx context.Context, e *env, w *writer, since time.Time, timeout time.Duration) (time.Time, error) {
	var landed time.Time
	err := waitFor(ctx, timeout, 5*time.Millisecond, "the change to land", func() (bool, string) {
		writes := w.log()
		last := writes[len(writes)-1:]
		outs := measure.Match(changesOf(last, since), measure.Between(e.emu.Calls(), since, time.Time{}))
		if len(outs) == 0 || outs[len(outs)-1].State != measure.Applied {
			return false, "not yet"
		}
		landed = outs[len(outs)-1].CallEnd
		return true, ""
	})
	if err != nil {
		return time.Time{}, errors.Join(errors.New("a change written after the leader stopped never reached AWS"), err)
	}
	return landed, nil
}

// failoverCase is one setting and mode over its runs.
type failoverCase struct {
	Setting string          `json:"setting"`
	Mode    failoverMode    `json:"mode"`
	Landed  measure.Summary `json:"landed"`
	// Bound is the target: retry period + 0.5 s for a graceful handover,
	// lease duration + 1 s for a crash.
	BoundMs float64 `json:"boundMs"`
}

// failoverFigures summarizes the runs per case and judges each against
// its bound, at p99.
func failoverFigures(runs []failoverRun) ([]failoverCase, []report.Target) {
	var cases []failoverCase
	var targets []report.Target
	for _, set := range leaseSettings {
		for _, mode := range []failoverMode{graceful, crash} {
			var ds []time.Duration
			for _, r := range runs {
				if r.Setting == set.Name && r.Mode == mode {
					ds = append(ds, time.Duration(r.LandedMs*float64(time.Millisecond)))
				}
			}
			if len(ds) == 0 {
				continue
			}
			bound, goal := set.Retry+500*time.Millisecond, "retry period + 0.5 s"
			if mode == crash {
				bound, goal = set.Lease+time.Second, "lease duration + 1 s"
			}
			c := failoverCase{Setting: set.Name, Mode: mode, Landed: measure.Summarize(ds), BoundMs: float64(bound.Milliseconds())}
			cases = append(cases, c)
			targets = append(targets, report.Check(fmt.Sprintf("%s %s, p99", set.Name, mode), fmt.Sprintf("<= %s (%.1f s)", goal, bound.Seconds()),
				fmt.Sprintf("%.0f ms (p50 %.0f ms, %d runs)", c.Landed.P99Ms, c.Landed.P50Ms, c.Landed.N), c.Landed.P99Ms <= c.BoundMs))
		}
	}
	return cases, targets
}

func failoverHeadline(cases []failoverCase) string {
	out := ""
	for i, c := range cases {
		if i > 0 {
			out += "; "
		}
		out += fmt.Sprintf("%s %s p50/p99 %.2f/%.2f s (bound %.1f s)", c.Setting, c.Mode, c.Landed.P50Ms/1000, c.Landed.P99Ms/1000, c.BoundMs/1000)
	}
	return out
}

// leaseRequestRates is the API server requests per second that leader
// election costs with replicas replicas, per setting: each replica makes
// one request per retry period (the leader's renewal, each standby's read).
func leaseRequestRates(replicas int) map[string]float64 {
	out := map[string]float64{}
	for _, s := range leaseSettings {
		out[s.Name] = float64(replicas) / s.Retry.Seconds()
	}
	return out
}
