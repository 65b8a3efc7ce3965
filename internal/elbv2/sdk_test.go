package elbv2

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

const (
	arnWeb  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	arnGone = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/0123456789abcdef"
)

func podTargets(n int) []targets.Target {
	out := make([]targets.Target, n)
	for i := range out {
		out[i] = targets.Target{IP: netip.AddrFrom4([4]byte{10, 244, byte(i / 250), byte(1 + i%250)}), Port: 8080}
	}
	return out
}

func keys(ts []targets.Target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.String())
	}
	slices.Sort(out)
	return out
}

func TestSDKBatchesRegistrationAndDeregistration(t *testing.T) {
	f := newFakeELB(t)
	f.addGroup(arnWeb, "web", 30)
	tg := NewSDK(f.client(t, Options{}))
	ctx := context.Background()
	ts := podTargets(450)

	if err := tg.Register(ctx, arnWeb, ts, Write{}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	var sizes []int
	for _, c := range f.callsOf("RegisterTargets") {
		sizes = append(sizes, c.Targets)
	}
	if !slices.Equal(sizes, []int{200, 200, 50}) {
		t.Errorf("RegisterTargets calls carried %v targets, want [200 200 50]", sizes)
	}
	if got := f.members(arnWeb); !slices.Equal(got, keys(ts)) {
		t.Errorf("group holds %d targets, want the 450 registered", len(got))
	}

	hs, err := tg.TargetHealth(ctx, arnWeb, Required)
	if err != nil {
		t.Fatalf("TargetHealth: %v", err)
	}
	var listed []targets.Target
	for _, h := range hs {
		if h.State != targets.StateHealthy {
			t.Errorf("target %s is %s, want healthy", h.Target, h.State)
		}
		listed = append(listed, h.Target)
	}
	if !slices.Equal(keys(listed), keys(ts)) {
		t.Errorf("TargetHealth without targets listed %d, want all 450", len(listed))
	}

	if err := tg.Deregister(ctx, arnWeb, ts[:201], Write{}); err != nil {
		t.Fatalf("Deregister: %v", err)
	}
	sizes = nil
	for _, c := range f.callsOf("DeregisterTargets") {
		sizes = append(sizes, c.Targets)
	}
	if !slices.Equal(sizes, []int{200, 1}) {
		t.Errorf("DeregisterTargets calls carried %v targets, want [200 1]", sizes)
	}
	if got := f.members(arnWeb); !slices.Equal(got, keys(ts[201:])) {
		t.Errorf("group holds %d targets after deregistering 201 of 450, want 249", len(got))
	}
}

func TestSDKRegisteringNothingMakesNoCall(t *testing.T) {
	f := newFakeELB(t)
	f.addGroup(arnWeb, "web", 30)
	tg := NewSDK(f.client(t, Options{}))
	if err := tg.Register(context.Background(), arnWeb, nil, Write{}); err != nil {
		t.Fatal(err)
	}
	if err := tg.Deregister(context.Background(), arnWeb, nil, Write{}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.callsOf("RegisterTargets")) + len(f.callsOf("DeregisterTargets")); n != 0 {
		t.Errorf("made %d calls for no targets", n)
	}
}

func TestSDKDescribesTargetGroupAndItsDeregistrationDelay(t *testing.T) {
	f := newFakeELB(t)
	f.addGroup(arnWeb, "web", 45)
	tg := NewSDK(f.client(t, Options{}))
	ctx := context.Background()

	byARN, err := tg.DescribeTargetGroup(ctx, arnWeb)
	if err != nil {
		t.Fatalf("DescribeTargetGroup: %v", err)
	}
	byName, err := tg.FindTargetGroupByName(ctx, "web")
	if err != nil {
		t.Fatalf("FindTargetGroupByName: %v", err)
	}
	for what, got := range map[string]TargetGroup{"by ARN": byARN, "by name": byName} {
		if got.ARN != arnWeb || got.Name != "web" || got.TargetType != "ip" || got.IPAddressType != "ipv4" ||
			got.Port != 80 || got.Protocol != "HTTP" || got.VPCID != "vpc-0" || len(got.LoadBalancerARNs) != 1 {
			t.Errorf("%s: got %+v", what, got)
		}
	}
	delay, err := tg.DeregistrationDelay(ctx, arnWeb, Required)
	if err != nil || delay != 45*time.Second {
		t.Errorf("DeregistrationDelay = %s, %v; want 45s", delay, err)
	}
}

func TestSDKMapsAWSErrorCodes(t *testing.T) {
	cases := map[string]struct {
		inject   *fakeFailure // nil: the fake answers on its own
		call     func(ctx context.Context, tg *SDK) error
		wantKind error
		wantCode string
		// wantAttempts is how many requests reached the fake.
		wantAttempts int
	}{
		"unknown target group ARN is TargetGroupNotFound": {
			call:     func(ctx context.Context, tg *SDK) error { return tg.Register(ctx, arnGone, podTargets(1), Write{}) },
			wantKind: ErrTargetGroupNotFound, wantCode: "TargetGroupNotFound", wantAttempts: 1,
		},
		"unknown target group name is TargetGroupNotFound": {
			call: func(ctx context.Context, tg *SDK) error {
				_, err := tg.FindTargetGroupByName(ctx, "nope")
				return err
			},
			wantKind: ErrTargetGroupNotFound, wantCode: "TargetGroupNotFound", wantAttempts: 1,
		},
		"missing IAM permission is AccessDenied and not retried": {
			inject:   &fakeFailure{Status: 403, Code: "AccessDenied"},
			call:     func(ctx context.Context, tg *SDK) error { return tg.Register(ctx, arnWeb, podTargets(1), Write{}) },
			wantKind: ErrAccessDenied, wantCode: "AccessDenied", wantAttempts: 1,
		},
		"rejected target is InvalidTarget": {
			inject:   &fakeFailure{Status: 400, Code: "InvalidTarget"},
			call:     func(ctx context.Context, tg *SDK) error { return tg.Register(ctx, arnWeb, podTargets(1), Write{}) },
			wantKind: ErrInvalidTarget, wantCode: "InvalidTarget", wantAttempts: 1,
		},
		"malformed ARN is ValidationError": {
			inject: &fakeFailure{Status: 400, Code: "ValidationError"},
			call: func(ctx context.Context, tg *SDK) error {
				_, err := tg.DescribeTargetGroup(ctx, "arn:nonsense")
				return err
			},
			wantKind: ErrValidation, wantCode: "ValidationError", wantAttempts: 1,
		},
		"full target group is TooManyTargets": {
			inject:   &fakeFailure{Status: 400, Code: "TooManyTargets"},
			call:     func(ctx context.Context, tg *SDK) error { return tg.Register(ctx, arnWeb, podTargets(1), Write{}) },
			wantKind: ErrTooManyTargets, wantCode: "TooManyTargets", wantAttempts: 1,
		},
		"throttling that outlives the retries is Throttled": {
			inject:   &fakeFailure{Status: 400, Code: "Throttling"},
			call:     func(ctx context.Context, tg *SDK) error { return tg.Deregister(ctx, arnWeb, podTargets(1), Write{}) },
			wantKind: ErrThrottled, wantCode: "Throttling", wantAttempts: 3,
		},
		"server errors are retried and their code kept": {
			inject:   &fakeFailure{Status: 503, Code: "ServiceUnavailable"},
			call:     func(ctx context.Context, tg *SDK) error { _, err := tg.TargetHealth(ctx, arnWeb, Required); return err },
			wantKind: nil, wantCode: "ServiceUnavailable", wantAttempts: 3,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeELB(t)
			f.addGroup(arnWeb, "web", 30)
			if tc.inject != nil {
				f.fail("", 10, tc.inject.Status, tc.inject.Code)
			}
			tg := NewSDK(f.client(t, Options{MaxAttempts: 3}))
			err := tc.call(context.Background(), tg)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if ae.Code != tc.wantCode {
				t.Errorf("code = %q, want %q", ae.Code, tc.wantCode)
			}
			if tc.wantKind != nil && !errors.Is(err, tc.wantKind) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.wantKind)
			}
			if tc.wantKind == nil && ae.Kind != nil {
				t.Errorf("code %s mapped to %v, want no kind", ae.Code, ae.Kind)
			}
			f.mu.Lock()
			attempts := len(f.calls)
			f.mu.Unlock()
			if attempts != tc.wantAttempts {
				t.Errorf("fake saw %d requests, want %d", attempts, tc.wantAttempts)
			}
		})
	}
}

func TestSDKThrottlingIsRetriedUntilItSucceeds(t *testing.T) {
	f := newFakeELB(t)
	f.addGroup(arnWeb, "web", 30)
	f.fail("RegisterTargets", 2, 400, "Throttling")
	tg := NewSDK(f.client(t, Options{MaxAttempts: 3}))
	if err := tg.Register(context.Background(), arnWeb, podTargets(3), Write{}); err != nil {
		t.Fatalf("Register after two throttles: %v", err)
	}
	if n := len(f.callsOf("RegisterTargets")); n != 3 {
		t.Errorf("RegisterTargets reached the fake %d times, want 3", n)
	}
	if n := len(f.members(arnWeb)); n != 3 {
		t.Errorf("group holds %d targets, want 3", n)
	}
}

func TestSDKFailureInALaterBatchReportsWhatWasDone(t *testing.T) {
	cases := map[string]struct {
		skip     int // batches that succeed before the failing one
		wantDone int
	}{
		"failure in the second batch reports the first batch as done": {skip: 1, wantDone: 200},
		"failure in the third batch reports two batches as done":      {skip: 2, wantDone: 400},
		"failure in the first batch is not partial":                   {skip: 0, wantDone: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeELB(t)
			f.addGroup(arnWeb, "web", 30)
			f.mu.Lock()
			f.failures = append(f.failures, fakeFailure{Action: "RegisterTargets", Status: 400, Code: "InvalidTarget", Skip: tc.skip})
			f.mu.Unlock()
			tg := NewSDK(f.client(t, Options{}))
			ts := podTargets(450)

			err := tg.Register(context.Background(), arnWeb, ts, Write{})
			if !errors.Is(err, ErrInvalidTarget) {
				t.Fatalf("err = %v, want InvalidTarget", err)
			}
			var pe *PartialError
			gotPartial := errors.As(err, &pe)
			if gotPartial != (tc.wantDone > 0) {
				t.Fatalf("partial = %v for %v, want %v", gotPartial, err, tc.wantDone > 0)
			}
			if gotPartial && !slices.Equal(pe.Done, ts[:tc.wantDone]) {
				t.Errorf("Done has %d targets, want the first %d", len(pe.Done), tc.wantDone)
			}
			if n := len(f.members(arnWeb)); n != tc.wantDone {
				t.Errorf("group holds %d targets, want %d", n, tc.wantDone)
			}
			if n := len(f.callsOf("RegisterTargets")); n != tc.skip+1 {
				t.Errorf("made %d RegisterTargets calls, want %d: batching must stop at the first failure", n, tc.skip+1)
			}
		})
	}
}

func TestSDKRoundTripsIPv6Targets(t *testing.T) {
	f := newFakeELB(t)
	f.addGroup(arnWeb, "web", 30)
	tg := NewSDK(f.client(t, Options{}))
	ctx := context.Background()
	want := targets.Target{IP: netip.MustParseAddr("fd00:10:244::5"), Port: 8080}
	if err := tg.Register(ctx, arnWeb, []targets.Target{want}, Write{}); err != nil {
		t.Fatal(err)
	}
	hs, err := tg.TargetHealth(ctx, arnWeb, Required)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].Target != want {
		t.Errorf("TargetHealth = %+v, want exactly %s", hs, want)
	}
}
