package kubelet

import (
	"context"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// prober runs one container's HTTP readiness probe with the kubelet's
// semantics: not ready until the probe first passes; ready after
// successThreshold consecutive successes, unready after failureThreshold
// consecutive failures; a status in [200, 400) is a success.
type prober struct {
	url              string
	initialDelay     time.Duration
	period           time.Duration
	timeout          time.Duration
	successThreshold int
	failureThreshold int
	client           *http.Client
	clock            clock.WithTicker
}

func newProber(p *corev1.Probe, url string, maxPeriod time.Duration, clk clock.WithTicker) *prober {
	seconds := func(v int32, def int32) time.Duration {
		if v <= 0 {
			v = def
		}
		return time.Duration(v) * time.Second
	}
	// Defaults from the Probe API: periodSeconds 10, timeoutSeconds 1,
	// thresholds 1 and 3. Periods are capped so tests stay fast.
	period := min(seconds(p.PeriodSeconds, 10), maxPeriod)
	pr := &prober{
		url:              url,
		initialDelay:     min(time.Duration(p.InitialDelaySeconds)*time.Second, maxPeriod),
		period:           period,
		timeout:          min(seconds(p.TimeoutSeconds, 1), period),
		successThreshold: int(max(p.SuccessThreshold, 1)),
		failureThreshold: int(max(p.FailureThreshold, 1)),
		clock:            clk,
	}
	if p.FailureThreshold == 0 {
		pr.failureThreshold = 3
	}
	pr.client = &http.Client{
		Timeout: pr.timeout,
		// The kubelet probes without keep-alives and never through a proxy:
		// a proxy from the environment must not see loopback probes.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		// The kubelet follows redirects only to the same host; pods here
		// never redirect, so do not follow at all.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return pr
}

// run probes until ctx is done and calls report whenever readiness flips.
func (p *prober) run(ctx context.Context, report func(ready bool)) {
	if p.initialDelay > 0 {
		select {
		case <-ctx.Done():
			return
		case <-p.clock.After(p.initialDelay):
		}
	}
	ticker := p.clock.NewTicker(p.period)
	defer ticker.Stop()
	ready := false
	successes, failures := 0, 0
	for {
		if p.probe(ctx) {
			successes, failures = successes+1, 0
			if !ready && successes >= p.successThreshold {
				ready = true
				report(true)
			}
		} else {
			successes, failures = 0, failures+1
			if ready && failures >= p.failureThreshold {
				ready = false
				report(false)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C():
		}
	}
}

func (p *prober) probe(ctx context.Context) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "kube-probe/loopback")
	resp, err := p.client.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 400
}
