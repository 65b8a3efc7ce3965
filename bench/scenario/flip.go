package scenario

import (
	"context"
	"fmt"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// runFlip: one binding of FlipEndpoints endpoints, in sync and idle; every
// FlipInterval one endpoint turns not ready, and back ready on the next
// flip. Each flip is one EndpointSlice write and should be exactly one AWS
// call, planned from tgc's cached view of the group with no Describe first.
func runFlip(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("flip")
	res.Params = map[string]any{"bindings": 1, "endpoints": r.scale.FlipEndpoints, "flips": r.scale.FlipCount, "intervalSec": r.scale.FlipInterval.Seconds()}
	e, err := r.env(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	f, err := r.setupFleet(ctx, e, 1, r.scale.FlipEndpoints, true)
	if err != nil {
		return nil, err
	}
	res.Buckets = e.measure()
	c, err := r.syncFleet(ctx, "flip", e, f)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	res.ControllerLog = c.LogPath

	s := f.services[0]
	zero := time.Now()
	w := newWriter(e, zero)
	tick := time.NewTicker(r.scale.FlipInterval)
	defer tick.Stop()
	for k := range r.scale.FlipCount {
		eps := s.ips()
		ep := eps[(k/2)%len(eps)]
		st := stateNotReady
		if k%2 == 1 {
			st = stateReady
		}
		if err := w.setState(ctx, s, []string{ep.ip}, st); err != nil {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
	}
	end := time.Now()
	if c.Exited() {
		return nil, controllerFailed(c, fmt.Errorf("the controller exited during the flips"))
	}
	calls := measure.Between(e.emu.Calls(), zero, time.Time{})
	writes := w.log()
	outcomes := measure.Match(changesOf(writes, zero), calls)

	var perFlip []flipCalls
	for k, wr := range writes {
		until := end
		if k+1 < len(writes) {
			until = writes[k+1].At
		}
		perFlip = append(perFlip, countFlip(measure.Between(calls, wr.At, until), outcomes[k]))
	}
	fig := flipFigures(perFlip)
	lat := measure.Summarize(append(measure.Latencies(outcomes, measure.Up), measure.Latencies(outcomes, measure.Down)...))
	counts := measure.Count(calls)
	res.Figures = map[string]any{
		"latency":                  lat,
		"latencyRegister":          measure.Summarize(measure.Latencies(outcomes, measure.Up)),
		"latencyDeregister":        measure.Summarize(measure.Latencies(outcomes, measure.Down)),
		"outcomes":                 measure.CountStates(outcomes),
		"mutatingCallsPerFlip":     fig.MutatingPerFlip,
		"describeCallsPerFlip":     fig.DescribePerFlip,
		"flipsWithOneMutatingCall": fig.OneMutating,
		"describesBeforeMutation":  fig.DescribesBefore,
		"flipsWithDescribeBefore":  fig.FlipsWithDescribeBefore,
		"calls":                    counts,
		"perFlip":                  perFlip,
	}
	n := len(perFlip)
	res.Targets = []report.Target{
		report.Check("p50", "< 50 ms", fmt.Sprintf("%.1f ms", lat.P50Ms), lat.N == n && lat.P50Ms < 50),
		report.Check("p99", "< 100 ms", fmt.Sprintf("%.1f ms", lat.P99Ms), lat.N == n && lat.P99Ms < 100),
		report.Check("one call per flip", "exactly 1 mutating call and no Describe before it, every flip",
			fmt.Sprintf("%d of %d flips with 1 mutating call; %d Describe calls before a mutation", fig.OneMutating, n, fig.DescribesBefore),
			fig.OneMutating == n && fig.DescribesBefore == 0),
		report.Check("throttled", "0", fmt.Sprint(counts.Throttled), counts.Throttled == 0),
	}
	res.Headline = fmt.Sprintf("p50 %.1f ms, p99 %.1f ms (%d flips); %.2f mutating + %.2f Describe calls per flip; %d Describe before a mutation; %d throttled",
		lat.P50Ms, lat.P99Ms, lat.N, fig.MutatingPerFlip, fig.DescribePerFlip, fig.DescribesBefore, counts.Throttled)
	if lat.N != n {
		res.Notes = append(res.Notes, fmt.Sprintf("only %d of %d flips reached AWS; the percentiles cover those", lat.N, n))
	}
	if fig.DescribePerFlip > 0 {
		res.Notes = append(res.Notes, "Describe calls per flip count every Describe in the second after the write, including tgc's periodic health reads of a group whose targets are still changing state (initial, draining); describesBeforeMutation counts only those between a write and its mutating call")
	}
	return []*report.Result{res}, nil
}

// flipCalls is what the AWS API saw in one flip's window (its write until
// the next flip's write).
type flipCalls struct {
	Mutating int     `json:"mutating"`
	Describe int     `json:"describe"`
	Before   int     `json:"describesBeforeMutation"`
	Latency  float64 `json:"latencyMs"`
	State    string  `json:"state"`
}

// countFlip counts a flip's calls: Describes that started after the write
// and completed before the mutating call did are "before the mutation".
func countFlip(window []emulator.Call, o measure.Outcome) flipCalls {
	fc := flipCalls{State: string(o.State), Latency: float64(o.Latency.Microseconds()) / 1000}
	for _, c := range window {
		if measure.IsDescribe(c.Action) {
			fc.Describe++
			if o.State == measure.Applied && !c.End().After(o.CallEnd) {
				fc.Before++
			}
			continue
		}
		fc.Mutating++
	}
	return fc
}

type flipSummary struct {
	MutatingPerFlip, DescribePerFlip                      float64
	OneMutating, DescribesBefore, FlipsWithDescribeBefore int
}

func flipFigures(flips []flipCalls) flipSummary {
	var s flipSummary
	if len(flips) == 0 {
		return s
	}
	var mut, desc int
	for _, f := range flips {
		mut += f.Mutating
		desc += f.Describe
		if f.Mutating == 1 {
			s.OneMutating++
		}
		s.DescribesBefore += f.Before
		if f.Before > 0 {
			s.FlipsWithDescribeBefore++
		}
	}
	s.MutatingPerFlip = float64(mut) / float64(len(flips))
	s.DescribePerFlip = float64(desc) / float64(len(flips))
	return s
}
