package elbv2

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

// slow is a bucket that refills far too slowly to matter within a test, so
// a call blocks exactly when the burst is spent.
func slow(burst int) Bucket { return Bucket{Rate: 0.001, Burst: burst} }

func TestRateLimitsBlockOnceTheBurstIsSpent(t *testing.T) {
	type call struct {
		name string
		do   func(ctx context.Context, tg TargetGroups) error
	}
	register := func(n int) call {
		return call{"Register", func(ctx context.Context, tg TargetGroups) error {
			return tg.Register(ctx, arnWeb, podTargets(n), Write{})
		}}
	}
	deregister := call{"Deregister", func(ctx context.Context, tg TargetGroups) error {
		return tg.Deregister(ctx, arnWeb, podTargets(1), Write{})
	}}
	health := call{"TargetHealth", func(ctx context.Context, tg TargetGroups) error {
		_, err := tg.TargetHealth(ctx, arnWeb, Required)
		return err
	}}
	attributes := call{"DeregistrationDelay", func(ctx context.Context, tg TargetGroups) error {
		_, err := tg.DeregistrationDelay(ctx, arnWeb, Required)
		return err
	}}
	page := call{"TargetGroupPage", func(ctx context.Context, tg TargetGroups) error {
		_, _, err := tg.TargetGroupPage(ctx, "")
		return err
	}}
	describe := call{"DescribeTargetGroup", func(ctx context.Context, tg TargetGroups) error {
		_, err := tg.DescribeTargetGroup(ctx, arnWeb)
		return err
	}}

	cases := map[string]struct {
		limits      Limits
		calls       []call
		wantBlocked []bool
	}{
		"register waits when its burst is spent": {
			limits:      Limits{Register: slow(2)},
			calls:       []call{register(1), register(1), register(1)},
			wantBlocked: []bool{false, false, true},
		},
		"450 targets take three register tokens": {
			limits:      Limits{Register: slow(3)},
			calls:       []call{register(450), register(1)},
			wantBlocked: []bool{false, true},
		},
		"450 targets wait when only two tokens are left": {
			limits:      Limits{Register: slow(2)},
			calls:       []call{register(450)},
			wantBlocked: []bool{true},
		},
		"a spent register bucket does not block deregistration": {
			limits:      Limits{Register: slow(1), Deregister: slow(1)},
			calls:       []call{register(1), deregister, register(1), deregister},
			wantBlocked: []bool{false, false, true, true},
		},
		"a spent register bucket does not block describe calls": {
			limits:      Limits{Register: slow(1), Describe: slow(1)},
			calls:       []call{register(1), health, register(1)},
			wantBlocked: []bool{false, false, true},
		},
		"describing a target group takes one describe token": {
			limits:      Limits{Describe: slow(2)},
			calls:       []call{describe, health, health},
			wantBlocked: []bool{false, false, true},
		},
		"every describe call shares the describe bucket": {
			limits:      Limits{Describe: slow(2)},
			calls:       []call{page, attributes, describe},
			wantBlocked: []bool{false, false, true},
		},
		"zero rate means no limit": {
			limits:      Limits{},
			calls:       []call{register(450), register(450), deregister, deregister, describe, describe},
			wantBlocked: []bool{false, false, false, false, false, false},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := &recorder{}
			tg := WithRateLimits(next, tc.limits, nil)
			var wantSeen []string
			for i, c := range tc.calls {
				// A call that must wait for a token fails at once instead:
				// the limiter sees that the wait would outlast the deadline.
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				err := c.do(ctx, tg)
				cancel()
				blocked := err != nil
				if blocked != tc.wantBlocked[i] {
					t.Errorf("call %d (%s): blocked = %v (err %v), want %v", i, c.name, blocked, err, tc.wantBlocked[i])
				}
				if !blocked {
					wantSeen = append(wantSeen, c.name)
				}
			}
			if got := next.seen(); !slices.Equal(got, wantSeen) {
				t.Errorf("calls that reached the wrapped TargetGroups = %v, want %v", got, wantSeen)
			}
		})
	}
}

func TestRateLimitedCallWaitsForItsTokenAndThenProceeds(t *testing.T) {
	next := &recorder{}
	// 50 tokens a second: the second call needs about 20ms of waiting.
	tg := WithRateLimits(next, Limits{Register: Bucket{Rate: 50, Burst: 1}}, nil)
	ctx := context.Background()
	if err := tg.Register(ctx, arnWeb, podTargets(1), Write{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- tg.Register(ctx, arnWeb, podTargets(1), Write{}) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("second call failed instead of waiting: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second call never got its token")
	}
	if got := next.seen(); !slices.Equal(got, []string{"Register", "Register"}) {
		t.Errorf("wrapped calls = %v, want both registrations", got)
	}
}

func TestRateLimitedCallGivesUpWhenItsContextIsCanceled(t *testing.T) {
	next := &recorder{}
	tg := WithRateLimits(next, Limits{Deregister: slow(1)}, nil)
	if err := tg.Deregister(context.Background(), arnWeb, podTargets(1), Write{}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tg.Deregister(ctx, arnWeb, podTargets(1), Write{}) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("canceled call kept waiting for a token")
	}
	if got := next.seen(); len(got) != 1 {
		t.Errorf("wrapped calls = %v, want only the first", got)
	}
}

func TestDefaultLimitsAreTheELBv2RatesWithATenthOfTheBurstToSpareAndAdapt(t *testing.T) {
	want := Limits{Register: Bucket{4, 18}, Deregister: Bucket{4, 18}, Describe: Bucket{50, 180}, Adaptive: true}
	if got := DefaultLimits(); got != want {
		t.Errorf("DefaultLimits() = %+v, want %+v", got, want)
	}
}
