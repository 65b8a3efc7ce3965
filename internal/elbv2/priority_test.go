package elbv2

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestSpareReadsUseOnlySpareTokens(t *testing.T) {
	health := func(tg TargetGroups, p Priority) error {
		_, err := tg.TargetHealth(context.Background(), arnWeb, p)
		return err
	}
	cases := map[string]struct {
		burst       int
		foreground  int // Required calls made first
		wantDefer   bool
		wantReached int
	}{
		"a full bucket serves a spare read":                {burst: 4, foreground: 0, wantDefer: false, wantReached: 1},
		"half a bucket left is kept for required calls":    {burst: 4, foreground: 2, wantDefer: true, wantReached: 2},
		"a spare read never takes the last required token": {burst: 1, foreground: 0, wantDefer: true, wantReached: 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := &recorder{}
			tg := WithRateLimits(next, Limits{Describe: slow(tc.burst)}, nil)
			for range tc.foreground {
				if err := health(tg, Required); err != nil {
					t.Fatal(err)
				}
			}
			err := health(tg, Spare)
			if got := errors.Is(err, ErrDeferred); got != tc.wantDefer {
				t.Errorf("deferred = %v (err %v), want %v", got, err, tc.wantDefer)
			}
			if got := len(next.seen()); got != tc.wantReached {
				t.Errorf("calls that reached AWS = %d, want %d", got, tc.wantReached)
			}
		})
	}
}

func TestDeferredWriteKeepsItsPlaceInLine(t *testing.T) {
	next := &recorder{}
	// 20 tokens a second after a burst of 1: the second and third tokens
	// come due 50ms and 100ms from now.
	tg := WithRateLimits(next, Limits{Register: Bucket{Rate: 20, Burst: 1}}, nil)
	ctx, w := context.Background(), Write{MaxWait: time.Millisecond}
	const arnAPI = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/0123456789abcdef"

	if err := tg.Register(ctx, arnWeb, podTargets(1), w); err != nil {
		t.Fatalf("first register: %v", err)
	}
	var first *DeferredError
	if err := tg.Register(ctx, arnWeb, podTargets(1), w); !errors.As(err, &first) || first.After <= 0 {
		t.Fatalf("second register on a spent bucket = %v, want a *DeferredError with a wait", err)
	}
	var second *DeferredError
	if err := tg.Register(ctx, arnAPI, podTargets(1), w); !errors.As(err, &second) || second.After <= first.After {
		t.Fatalf("a register for another group = %v, want deferred behind the first booking (%s)", err, first.After)
	}
	time.Sleep(first.After)
	// The booked token is due: the call goes through without waiting, even
	// though the other group asked in between.
	if err := tg.Register(ctx, arnWeb, podTargets(1), w); err != nil {
		t.Fatalf("register once its booked token came due: %v", err)
	}
	if got := next.seen(); !slices.Equal(got, []string{"Register", "Register"}) {
		t.Errorf("calls that reached AWS = %v, want two registrations", got)
	}
}

func TestDeferredWriteDoesNotHoldUpTheOtherBucket(t *testing.T) {
	next := &recorder{}
	tg := WithRateLimits(next, Limits{Register: slow(1), Deregister: slow(1)}, nil)
	ctx, w := context.Background(), Write{MaxWait: 10 * time.Millisecond}
	if err := tg.Register(ctx, arnWeb, podTargets(1), w); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := tg.Register(ctx, arnWeb, podTargets(1), w); !errors.Is(err, ErrDeferred) {
		t.Fatalf("register on a spent bucket = %v, want deferred", err)
	}
	if err := tg.Deregister(ctx, arnWeb, podTargets(1), w); err != nil {
		t.Fatalf("deregister with its own token: %v", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("deferring and deregistering took %s; neither should wait", waited)
	}
}
