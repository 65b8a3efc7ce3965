package elbv2

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetricsCountCallsErrorsAndTargets(t *testing.T) {
	cases := map[string]struct {
		err              error
		call             func(tg TargetGroups) error
		wantCalls        string // operation/result label pair that counts 1
		wantErrCode      string // empty when no error is counted
		wantRegistered   float64
		wantDeregistered float64
	}{
		"successful registration counts the call and its targets": {
			call: func(tg TargetGroups) error {
				return tg.Register(context.Background(), arnWeb, podTargets(450), Write{})
			},
			wantCalls: "RegisterTargets/success", wantRegistered: 450,
		},
		"successful deregistration counts the call and its targets": {
			call: func(tg TargetGroups) error {
				return tg.Deregister(context.Background(), arnWeb, podTargets(3), Write{})
			},
			wantCalls: "DeregisterTargets/success", wantDeregistered: 3,
		},
		"AWS error is counted by its code and registers nothing": {
			err:       fmt.Errorf("registering: %w", &APIError{Op: "RegisterTargets", Code: "InvalidTarget", Kind: ErrInvalidTarget}),
			call:      func(tg TargetGroups) error { return tg.Register(context.Background(), arnWeb, podTargets(2), Write{}) },
			wantCalls: "RegisterTargets/error", wantErrCode: "InvalidTarget",
		},
		"partial failure counts the targets of the batches that succeeded": {
			err: &PartialError{Done: podTargets(200), Err: &APIError{Op: "DeregisterTargets", Code: "Throttling", Kind: ErrThrottled}},
			call: func(tg TargetGroups) error {
				return tg.Deregister(context.Background(), arnWeb, podTargets(450), Write{})
			},
			wantCalls: "DeregisterTargets/error", wantErrCode: "Throttling", wantDeregistered: 200,
		},
		"canceled context is its own code": {
			err: fmt.Errorf("waiting: %w", context.Canceled),
			call: func(tg TargetGroups) error {
				_, err := tg.TargetHealth(context.Background(), arnWeb, Required)
				return err
			},
			wantCalls: "DescribeTargetHealth/error", wantErrCode: "Canceled",
		},
		"error without an AWS code is Other": {
			err: errors.New("connection refused"),
			call: func(tg TargetGroups) error {
				_, err := tg.FindTargetGroupByName(context.Background(), "web")
				return err
			},
			wantCalls: "DescribeTargetGroups/error", wantErrCode: "Other",
		},
		"describing a target group counts as DescribeTargetGroups": {
			call: func(tg TargetGroups) error {
				_, err := tg.DescribeTargetGroup(context.Background(), arnWeb)
				return err
			},
			wantCalls: "DescribeTargetGroups/success",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m := NewMetrics(reg)
			tg := m.Decorate(&recorder{err: tc.err})
			if err := tc.call(tg); !errors.Is(err, tc.err) {
				t.Fatalf("decorator changed the error: got %v, want %v", err, tc.err)
			}
			op, result, _ := strings.Cut(tc.wantCalls, "/")
			if got := testutil.ToFloat64(m.calls.WithLabelValues(op, result)); got != 1 {
				t.Errorf("tgc_aws_api_calls_total{%s,%s} = %v, want 1", op, result, got)
			}
			if got := testutil.CollectAndCount(m.calls); got != 1 {
				t.Errorf("tgc_aws_api_calls_total has %d series, want 1", got)
			}
			wantErrSeries := 0
			if tc.wantErrCode != "" {
				wantErrSeries = 1
				if got := testutil.ToFloat64(m.errors.WithLabelValues(op, tc.wantErrCode)); got != 1 {
					t.Errorf("tgc_aws_api_errors_total{%s,%s} = %v, want 1", op, tc.wantErrCode, got)
				}
			}
			if got := testutil.CollectAndCount(m.errors); got != wantErrSeries {
				t.Errorf("tgc_aws_api_errors_total has %d series, want %d", got, wantErrSeries)
			}
			if got := testutil.ToFloat64(m.registered); got != tc.wantRegistered {
				t.Errorf("tgc_targets_registered_total = %v, want %v", got, tc.wantRegistered)
			}
			if got := testutil.ToFloat64(m.deregistered); got != tc.wantDeregistered {
				t.Errorf("tgc_targets_deregistered_total = %v, want %v", got, tc.wantDeregistered)
			}
			if got := testutil.CollectAndCount(m.duration, "tgc_aws_api_call_duration_seconds"); got != 1 {
				t.Errorf("latency histogram has %d series, want 1", got)
			}
		})
	}
}

func TestMetricsCountThrottlesAndRetriesOfTheSDK(t *testing.T) {
	f := newFakeELB(t)
	f.addGroup(arnWeb, "web", 30)
	f.fail("RegisterTargets", 2, 400, "Throttling")
	f.fail("DescribeTargetHealth", 1, 503, "ServiceUnavailable")
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	tg := m.Decorate(NewSDK(f.client(t, Options{MaxAttempts: 3, Observer: m})))

	if err := tg.Register(context.Background(), arnWeb, podTargets(5), Write{}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	if _, err := tg.TargetHealth(context.Background(), arnWeb, Required); err != nil {
		t.Fatalf("TargetHealth: %v", err)
	}

	got := map[string]float64{
		"throttles RegisterTargets":      testutil.ToFloat64(m.throttles.WithLabelValues("RegisterTargets")),
		"retries RegisterTargets":        testutil.ToFloat64(m.retries.WithLabelValues("RegisterTargets")),
		"throttles DescribeTargetHealth": testutil.ToFloat64(m.throttles.WithLabelValues("DescribeTargetHealth")),
		"retries DescribeTargetHealth":   testutil.ToFloat64(m.retries.WithLabelValues("DescribeTargetHealth")),
		"successful RegisterTargets":     testutil.ToFloat64(m.calls.WithLabelValues("RegisterTargets", "success")),
		"targets registered":             testutil.ToFloat64(m.registered),
	}
	want := map[string]float64{
		"throttles RegisterTargets":      2,
		"retries RegisterTargets":        2,
		"throttles DescribeTargetHealth": 0,
		"retries DescribeTargetHealth":   1,
		"successful RegisterTargets":     1,
		"targets registered":             5,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %v, want %v", k, got[k], w)
		}
	}
}

func TestMetricsCountThrottlesThatOutliveTheRetries(t *testing.T) {
	f := newFakeELB(t)
	f.addGroup(arnWeb, "web", 30)
	f.fail("DeregisterTargets", 10, 400, "Throttling")
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	tg := m.Decorate(NewSDK(f.client(t, Options{MaxAttempts: 4, Observer: m})))

	err := tg.Deregister(context.Background(), arnWeb, podTargets(1), Write{})
	if !errors.Is(err, ErrThrottled) {
		t.Fatalf("err = %v, want Throttled", err)
	}
	if got := testutil.ToFloat64(m.throttles.WithLabelValues("DeregisterTargets")); got != 4 {
		t.Errorf("throttles = %v, want 4 (every attempt)", got)
	}
	if got := testutil.ToFloat64(m.errors.WithLabelValues("DeregisterTargets", "Throttling")); got != 1 {
		t.Errorf("errors{Throttling} = %v, want 1 (one failed call)", got)
	}
}

func TestMetricsAreRegisteredUnderTheirDocumentedNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	m.Decorate(&recorder{}).Register(context.Background(), arnWeb, podTargets(1), Write{})
	m.ObserveAttempts("RegisterTargets", []Attempt{{Code: "Throttling", Throttled: true}, {}})
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, f := range families {
		got[f.GetName()] = true
	}
	for _, name := range []string{
		"tgc_aws_api_calls_total", "tgc_aws_api_call_duration_seconds", "tgc_aws_api_throttles_total",
		"tgc_aws_api_retries_total", "tgc_targets_registered_total", "tgc_targets_deregistered_total",
	} {
		if !got[name] {
			t.Errorf("metric %s is not registered (have %v)", name, got)
		}
	}
}
