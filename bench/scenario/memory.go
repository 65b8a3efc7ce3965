package scenario

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/bench/sample"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

const mib = 1 << 20

// runMemory: MemoryBindings x MemoryEndpoints bound endpoints (in sync),
// plus unrelated pods and Services with their EndpointSlices; the
// controller starts after everything exists. Peak RSS is VmHWM once every
// binding is verified and the controller is quiet; steady RSS is the mean
// VmRSS over the quiet window after that.
func runMemory(ctx context.Context, r *runner, _ map[string]bool) ([]*report.Result, error) {
	res := r.newResult("memory")
	sc := r.scale
	bound := sc.MemoryBindings * sc.MemoryEndpoints
	res.Params = map[string]any{
		"bindings": sc.MemoryBindings, "endpointsPerBinding": sc.MemoryEndpoints, "boundEndpoints": bound,
		"unrelatedPods": sc.UnrelatedPods, "unrelatedServices": sc.UnrelatedSvcs,
		"quietWindowSec": sc.MemoryQuiet.Seconds(), "sampleIntervalMs": 100,
	}
	e, baseline, err := r.envAfterIdle(ctx)
	if err != nil {
		return nil, err
	}
	defer e.close()
	began := time.Now()
	ips := &ipAllocator{}
	f, err := e.newFleet(ctx, ips, sc.MemoryBindings, sc.MemoryEndpoints, sc.MaxSliceEndpoint, sc.CreateWorkers, true)
	if err != nil {
		return nil, err
	}
	if err := e.seed(ctx, f, sc.CreateWorkers); err != nil {
		return nil, err
	}
	if err := e.unrelated(ctx, ips, sc.UnrelatedSvcs, sc.UnrelatedPods, sc.CreateWorkers); err != nil {
		return nil, err
	}
	fmt.Fprintf(r.out, "   created %d bound endpoints in %d bindings, %d unrelated pods and %d Services in %s\n",
		bound, sc.MemoryBindings, sc.UnrelatedPods, sc.UnrelatedSvcs, time.Since(began).Round(100*time.Millisecond))
	time.Sleep(time.Second) // seeded targets pass their initial checks
	res.Buckets = e.measure()

	c, err := r.startController("memory", e)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	res.ControllerLog = c.LogPath
	sampler := sample.Start(c.Pid(), 100*time.Millisecond)
	defer sampler.Stop()
	verified, err := waitVerified(ctx, e, c, f.groups(), c.Started, 3*measure.RestartFloor(3*sc.MemoryBindings, res.Buckets.Describe)+sc.SettleTimeout)
	if err != nil {
		return nil, err
	}
	if err := waitQuiet(ctx, e, 2*time.Second, sc.SettleTimeout); err != nil {
		return nil, controllerFailed(c, err)
	}
	quietFrom := time.Now()
	time.Sleep(sc.MemoryQuiet)
	quietTo := time.Now()
	heap, herr := c.scrape(ctx, seriesHeapInuse, seriesHeapAlloc)
	points, _ := sampler.Stop()
	startup := sample.Summarize(points, c.Started, quietFrom)
	steady := sample.Summarize(points, quietFrom, quietTo)
	if steady.Samples == 0 || startup.Samples == 0 {
		return nil, controllerFailed(c, fmt.Errorf("no RSS samples (startup %d, steady %d)", startup.Samples, steady.Samples))
	}
	peak := startup.HWMAtEnd
	perEndpoint := float64(steady.MeanRSS) / float64(bound)
	ratio := float64(peak) / float64(steady.MeanRSS)
	res.Figures = map[string]any{
		"startupPeakRssBytes":   peak,
		"startupPeakRssMiB":     float64(peak) / mib,
		"steadyRssBytes":        steady.MeanRSS,
		"steadyRssMiB":          float64(steady.MeanRSS) / mib,
		"steadyMaxRssBytes":     steady.MaxRSS,
		"steadyWindow":          steady,
		"startupWindow":         startup,
		"bytesPerBoundEndpoint": perEndpoint,
		"peakOverSteady":        ratio,
		"verifiedSec":           measure.Seconds(verified.Sub(c.Started)),
		"idleBaselineRssBytes":  baseline,
	}
	if herr == nil {
		res.Figures["steadyHeapInuseBytes"] = heap[seriesHeapInuse]
		res.Figures["steadyHeapAllocBytes"] = heap[seriesHeapAlloc]
	} else {
		res.Notes = append(res.Notes, "heap from /metrics: "+herr.Error())
	}
	if baseline > 0 {
		res.Figures["bytesPerBoundEndpointOverIdle"] = float64(steady.MeanRSS-baseline) / float64(bound)
	}
	steadyMiB := float64(steady.MeanRSS) / mib
	res.Targets = []report.Target{
		report.Check("steady RSS", "< 150 MiB at 50k endpoints", fmt.Sprintf("%.1f MiB at %d endpoints", steadyMiB, bound), steadyMiB < 150),
		report.Check("startup peak / steady", "< 1.5", fmt.Sprintf("%.2f", ratio), ratio < 1.5),
	}
	if bound < 50000 {
		res.Notes = append(res.Notes, fmt.Sprintf("at %s scale only %d endpoints are bound; the 150 MiB target is for 50,000", sc.Name, bound))
	}
	res.Headline = fmt.Sprintf("steady RSS %.1f MiB (heap in use %.1f MiB), startup peak %.1f MiB (%.2fx steady); %.0f B per bound endpoint (%.0f B over the idle %.1f MiB) at %d endpoints + %d unrelated pods",
		steadyMiB, heap[seriesHeapInuse]/mib, float64(peak)/mib, ratio, perEndpoint, float64(steady.MeanRSS-baseline)/float64(bound), float64(baseline)/mib, bound, sc.UnrelatedPods)
	return []*report.Result{res}, nil
}

// envAfterIdle starts a scenario's world and measures the idle controller
// over it (idleBaseline) with AWS's buckets on, then turns throttling off
// for the driver's seeding.
func (r *runner) envAfterIdle(ctx context.Context) (*env, int64, error) {
	e, err := r.env(ctx)
	if err != nil {
		return nil, 0, err
	}
	e.measure()
	baseline, err := r.idleBaseline(ctx, e)
	if err != nil {
		e.close()
		return nil, 0, err
	}
	e.emu.SetThrottle(emulator.Throttle{Disabled: true}) // the driver seeds unthrottled
	return e, baseline, nil
}

// idleBaseline is the mean RSS of a controller over the empty cluster
// (CRDs and namespace only), after MemoryBaseline of warm-up.
func (r *runner) idleBaseline(ctx context.Context, e *env) (int64, error) {
	c, err := r.startController("memory-idle", e)
	if err != nil {
		return 0, err
	}
	defer c.stop()
	s := sample.Start(c.Pid(), 100*time.Millisecond)
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(2 * r.scale.MemoryBaseline):
	}
	points, err := s.Stop()
	if err != nil && len(points) == 0 {
		return 0, controllerFailed(c, err)
	}
	w := sample.Summarize(points, c.Started.Add(r.scale.MemoryBaseline), time.Now())
	fmt.Fprintf(r.out, "   idle controller over an empty cluster: %.1f MiB RSS\n", float64(w.MeanRSS)/mib)
	return w.MeanRSS, nil
}

// unrelated creates services Services, each selecting pods/services pods
// of realistic size, and their EndpointSlices; no binding uses them.
func (e *env) unrelated(ctx context.Context, ips *ipAllocator, services, pods, workers int) error {
	per := max(1, pods/max(services, 1))
	return parallel(ctx, services, workers, func(ctx context.Context, k int) error {
		app := unrelatedApp(k)
		var ps []*corev1.Pod
		var addrs []string
		for i := range per {
			p := unrelatedPod(app, i)
			if err := e.kube.Create(ctx, p); err != nil {
				return fmt.Errorf("creating pod %s: %w", p.Name, err)
			}
			addr := ips.take()
			// A running pod's status, as its kubelet writes it: tgc
			// caches every pod's IPs, so a pod without them would
			// understate the cache.
			p.Status = runningStatus(addr)
			if err := e.kube.Status().Update(ctx, p); err != nil {
				return fmt.Errorf("writing the status of pod %s: %w", p.Name, err)
			}
			ps = append(ps, p)
			addrs = append(addrs, addr)
		}
		if err := e.kube.Create(ctx, unrelatedService(app)); err != nil {
			return fmt.Errorf("creating Service %s: %w", app, err)
		}
		if err := e.kube.Create(ctx, unrelatedSlice(app, ps, addrs)); err != nil {
			return fmt.Errorf("creating the EndpointSlice of %s: %w", app, err)
		}
		return nil
	})
}
