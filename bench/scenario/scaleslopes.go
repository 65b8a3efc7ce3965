package scenario

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/bench/sample"
)

// scaleSize is the size of the scale scenario: one replica over many more
// bindings than the other scenarios, so that the slopes docs/scale.md
// projects from (time per verified group, bytes per bound endpoint, CPU and
// calls per change) are measured where they would bend, not guessed.
type scaleSize struct {
	Bindings  int
	Endpoints int
	// Quiet is how long RSS is sampled once the controller is in sync.
	Quiet time.Duration
	// ChurnWindow is the short churn at cpuRate that gives CPU and calls
	// per change. It must end before the first drift checks (after
	// --drift-check-interval, 5 min less 10% jitter, from each group's
	// verification), which would otherwise be charged to the changes.
	ChurnWindow time.Duration
}

// scaleSizeOf is 3,000 x 20 = 60,000 endpoints at full scale and a tenth
// of that at quick scale. 60,000 addresses fit the pod CIDR podIP draws
// from (65,024), so no unrelated pods are added here: the memory scenario
// measures what unrelated objects cost.
func scaleSizeOf(s Scale) scaleSize {
	if s.Name == "quick" {
		return scaleSize{Bindings: 300, Endpoints: 20, Quiet: 5 * time.Second, ChurnWindow: 15 * time.Second}
	}
	return scaleSize{Bindings: 3000, Endpoints: 20, Quiet: 10 * time.Second, ChurnWindow: 60 * time.Second}
}

// runScale: Bindings x Endpoints in sync before one controller starts.
// In one world and one process it measures, in order: restart (every group
// verified, against the Describe floor), memory (steady RSS per bound
// endpoint, net of the idle controller), then a churn window at cpuRate
// (CPU seconds and AWS calls per change, net of the idle CPU).
func runScale(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("scale")
	size := scaleSizeOf(r.scale)
	n, per := size.Bindings, size.Endpoints
	bound := n * per
	res.Params = map[string]any{
		"bindings": n, "endpointsPerBinding": per, "boundEndpoints": bound, "replicas": 1,
		"quietWindowSec": size.Quiet.Seconds(), "churnRatePerSec": cpuRate, "churnWindowSec": size.ChurnWindow.Seconds(),
		"idleCpuWindowSec": idleWindow.Seconds(), "sampleIntervalMs": 100,
	}
	e, baseline, err := r.envAfterIdle(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	f, c, floor, err := r.restartOver(ctx, e, res, n, per)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	sampler := sample.Start(c.Pid(), 100*time.Millisecond)
	defer sampler.Stop()
	read0, rerr0 := bytesRead(c.Pid())
	zero := c.Started
	last, err := waitVerified(ctx, e, c, f.groups(), zero, 3*floor+r.scale.SettleTimeout)
	if err != nil {
		return nil, err
	}
	if err := waitQuiet(ctx, e, 2*time.Second, r.scale.SettleTimeout); err != nil {
		return nil, controllerFailed(c, err)
	}
	restartCalls := measure.Count(measure.Between(e.emu.Calls(), zero, time.Time{}))
	verified := last.Sub(zero)
	ratio := measure.Ratio(verified, floor)
	fmt.Fprintf(r.out, "   %d groups verified in %.1f s (floor %.1f s)\n", n, verified.Seconds(), floor.Seconds())

	quietFrom := time.Now()
	readSynced, rerr1 := bytesRead(c.Pid())
	time.Sleep(size.Quiet)
	heap, herr := c.scrape(ctx, seriesHeapInuse)
	points := sampler.Points()
	startup := sample.Summarize(points, zero, quietFrom)
	steady := sample.Summarize(points, quietFrom, time.Now())
	if steady.Samples == 0 || startup.Samples == 0 {
		return nil, controllerFailed(c, fmt.Errorf("no RSS samples (startup %d, steady %d)", startup.Samples, steady.Samples))
	}
	perEndpoint := float64(steady.MeanRSS-baseline) / float64(bound)
	fmt.Fprintf(r.out, "   steady RSS %.1f MiB (idle %.1f MiB): %.0f B per bound endpoint over idle\n", float64(steady.MeanRSS)/mib, float64(baseline)/mib, perEndpoint)

	idle, err := idleCPU(ctx, c, idleWindow)
	if err != nil {
		return nil, err
	}
	// churnAt reads its window from the runner's scale; this scenario's
	// window is its own, shorter one.
	short := *r
	short.scale.ChurnWindow = size.ChurnWindow
	readChurn0, rerr2 := bytesRead(c.Pid())
	win, err := short.churnAt(ctx, e, c, newChurnState(rand.New(rand.NewPCG(1, 2)), f), cpuRate)
	if err != nil {
		return nil, err
	}
	readChurn1, rerr3 := bytesRead(c.Pid())
	cpuPer1000, cpuNetPer1000 := 0.0, 0.0
	if win.Changes > 0 {
		cpuPer1000 = win.CPUSeconds / (float64(win.Changes) / 1000)
		cpuNetPer1000 = (win.CPUSeconds - idle*win.WindowSec) / (float64(win.Changes) / 1000)
	}
	throttled := restartCalls.Throttled + win.Throttled

	res.Figures = map[string]any{
		"verifiedSec":                   measure.Seconds(verified),
		"describeFloorSec":              measure.Seconds(floor),
		"ratioToFloor":                  ratio,
		"restartCalls":                  restartCalls,
		"msPerVerifiedGroup":            verified.Seconds() * 1000 / float64(n),
		"idleBaselineRssBytes":          baseline,
		"startupPeakRssBytes":           startup.HWMAtEnd,
		"steadyRssBytes":                steady.MeanRSS,
		"steadyRssMiB":                  float64(steady.MeanRSS) / mib,
		"bytesPerBoundEndpoint":         float64(steady.MeanRSS) / float64(bound),
		"bytesPerBoundEndpointOverIdle": perEndpoint,
		"idleCpuSecondsPerSec":          idle,
		"cpuSecondsPer1000Changes":      cpuPer1000,
		"cpuSecondsPer1000ChangesNet":   cpuNetPer1000,
		"callsPerChange":                win.CallsPerChange,
		"mutatingCallsPerChange":        win.MutatingCallsPerChange,
		"churn":                         win,
		"throttled":                     throttled,
	}
	restartCPU := sample.CPUSeconds(startup.CPUTicks)
	res.Figures["restartCpuSeconds"] = restartCPU
	res.Figures["cpuMsPerVerifiedGroup"] = restartCPU * 1000 / float64(n)
	if err := errors.Join(rerr0, rerr1, rerr2, rerr3); err != nil {
		res.Notes = append(res.Notes, "bytes read from /proc/<pid>/io: "+err.Error())
	} else {
		res.Figures["bytesReadUntilSynced"] = readSynced - read0
		res.Figures["bytesReadUntilSyncedPerBoundEndpoint"] = float64(readSynced-read0) / float64(bound)
		res.Figures["bytesReadInChurn"] = readChurn1 - readChurn0
		if win.Changes > 0 {
			res.Figures["bytesReadPerChange"] = float64(readChurn1-readChurn0) / float64(win.Changes)
		}
		res.Notes = append(res.Notes, "bytes read is rchar of /proc/<pid>/io: every byte the controller read from a socket or file, so the API server's lists and watch events (TLS) and AWS's answers together; until synced runs from just after the process started to the quiet window, in churn from the window's start to the end of its settle")
	}
	if herr == nil {
		res.Figures["steadyHeapInuseBytes"] = heap[seriesHeapInuse]
	} else {
		res.Notes = append(res.Notes, "heap from /metrics: "+herr.Error())
	}
	res.Targets = []report.Target{
		ratioTarget("restart, ratio to the Describe floor", "<= 1.2x", verified, floor, ratio, 1.2),
		report.Check("throttled", "0", fmt.Sprint(throttled), throttled == 0),
		report.Check("changes not applied after the settle", "0", fmt.Sprint(win.NeverApplied), win.NeverApplied == 0),
	}
	res.Headline = fmt.Sprintf("%d bindings x %d = %d endpoints, one replica: verified in %.1f s (floor %.1f s, %s); steady RSS %.1f MiB, %.0f B per bound endpoint over the idle %.1f MiB; %.2f CPU-s per 1,000 changes net of idle (%.3f CPU-s/s idle); %.2f calls per change (%.2f mutating) at %d/s; register p99 %.0f ms, deregister p99 %.0f ms; %d throttled",
		n, per, bound, verified.Seconds(), floor.Seconds(), ratioText(ratio), float64(steady.MeanRSS)/mib, perEndpoint, float64(baseline)/mib,
		cpuNetPer1000, idle, win.CallsPerChange, win.MutatingCallsPerChange, cpuRate, win.Register.P99Ms, win.Deregister.P99Ms, throttled)
	res.Notes = append(res.Notes,
		"one world and one controller process: restart first, then RSS over the quiet window, the idle CPU over two scrape intervals, then a churn window at 3 changes/s; docs/scale.md projects these slopes to one million endpoints",
		"bytes per bound endpoint over idle is (steady mean VmRSS - the idle controller's mean VmRSS over an empty cluster) / bound endpoints; the memory scenario adds unrelated pods and Services, which this one leaves out")
	if ratio == nil {
		res.Notes = append(res.Notes, fmt.Sprintf("the Describe burst (%d) covers one read per group (%d groups): no floor, no ratio", res.Buckets.Describe.Burst, n))
	}
	return []*report.Result{res}, nil
}

// bytesRead is rchar of /proc/<pid>/io (proc(5)): the bytes the process
// has read with read(2) and its kin, sockets included. For the controller
// that is the API server's lists and watch events and AWS's answers.
func bytesRead(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		return 0, fmt.Errorf("reading io of pid %d: %w", pid, err)
	}
	return parseRchar(b)
}

func parseRchar(b []byte) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "rchar:"); ok {
			return strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, errors.New("no rchar line in /proc/<pid>/io")
}
