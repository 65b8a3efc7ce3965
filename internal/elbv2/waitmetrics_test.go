package elbv2

import (
	"context"
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// TestMetricsObserveRateLimitWaitsByOperation: the wait for a token is
// measured where it happens, in the rate limiter, under the operation label
// of the call counts, so that a dashboard can put the two side by side.
func TestMetricsObserveRateLimitWaitsByOperation(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	// 20 register tokens a second after a burst of 1: the second
	// registration waits about 50ms. One describe token, so a spare read
	// after a required one is deferred.
	tg := WithRateLimits(m.Decorate(&recorder{}), Limits{Register: Bucket{Rate: 20, Burst: 1}, Describe: slow(1)}, m)
	ctx := context.Background()
	for range 2 {
		if err := tg.Register(ctx, arnWeb, podTargets(1), Write{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tg.TargetHealth(ctx, arnWeb, Required); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.TargetHealth(ctx, arnWeb, Spare); !errors.Is(err, ErrDeferred) {
		t.Fatalf("spare read on a spent bucket: err = %v, want ErrDeferred", err)
	}

	waits := waitHistograms(t, reg)
	if got := waits["RegisterTargets"].GetSampleCount(); got != 2 {
		t.Errorf("RegisterTargets waits observed = %d, want 2", got)
	}
	// The rate promises 50ms; a loaded machine only adds to it.
	if got := waits["RegisterTargets"].GetSampleSum(); got < 0.04 {
		t.Errorf("RegisterTargets waited %.3fs in all, want at least the 0.04s a token at 20/s takes", got)
	}
	// The deferred read never reached AWS, so it waited for nothing.
	if got := waits["DescribeTargetHealth"].GetSampleCount(); got != 1 {
		t.Errorf("DescribeTargetHealth waits observed = %d, want 1 (the deferred spare read is not a wait)", got)
	}
}

// waitHistograms reads tgc_aws_rate_limit_wait_seconds by operation.
func waitHistograms(t *testing.T, reg *prometheus.Registry) map[string]*dto.Histogram {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.Histogram{}
	for _, f := range families {
		if f.GetName() != "tgc_aws_rate_limit_wait_seconds" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "operation" {
					out[l.GetValue()] = m.GetHistogram()
				}
			}
		}
	}
	return out
}
