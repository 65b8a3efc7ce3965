package elbv2

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
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

// byARN records the group of each TargetHealth that reached AWS, in order.
type byARN struct {
	*recorder
}

func (r byARN) TargetHealth(ctx context.Context, arn string, _ Priority) ([]targets.Health, error) {
	return nil, r.record(arn)
}

func TestRequiredReadGoesAheadOfWaitingBackgroundReads(t *testing.T) {
	cases := map[string]struct {
		waiting   Priority // the priority of the reads already waiting
		wantFirst bool     // the late Required read reaches AWS first
	}{
		"background reads let a later required read take the next token": {waiting: Background, wantFirst: true},
		// The control: Required reads queue in arrival order, which is the
		// wait a change had behind the verification of every group.
		"required reads keep their place in line": {waiting: Required, wantFirst: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := byARN{&recorder{}}
			// A token every 40ms after a burst of 1.
			tg := WithRateLimits(next, Limits{Describe: Bucket{Rate: 25, Burst: 1}}, nil)
			ctx := context.Background()
			if _, err := tg.TargetHealth(ctx, "first", Required); err != nil {
				t.Fatal(err)
			}
			const waiting = 3
			var wg sync.WaitGroup
			for range waiting {
				wg.Go(func() {
					if _, err := tg.TargetHealth(ctx, "waiting", tc.waiting); err != nil {
						t.Error(err)
					}
				})
			}
			time.Sleep(10 * time.Millisecond) // the waiting reads are waiting
			if _, err := tg.TargetHealth(ctx, "late", Required); err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			got := next.seen()
			if len(got) != waiting+2 {
				t.Fatalf("reads that reached AWS = %v, want %d", got, waiting+2)
			}
			if first := got[1] == "late"; first != tc.wantFirst {
				t.Errorf("reads in order %v: late required read first = %v, want %v", got, first, tc.wantFirst)
			}
		})
	}
}

func TestBackgroundReadGivesUpWithItsContext(t *testing.T) {
	tg := WithRateLimits(&recorder{}, Limits{Describe: slow(1)}, nil)
	if _, err := tg.TargetHealth(context.Background(), arnWeb, Required); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := tg.TargetHealth(ctx, arnWeb, Background); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("background read on a spent bucket = %v, want the context's deadline", err)
	}
}

func TestBackgroundReadsLeaveATokenForRequiredReads(t *testing.T) {
	cases := map[string]struct {
		burst          int
		wantBackground int // background reads that get through a full bucket
	}{
		"the last token of a bucket is kept for a required read": {burst: 3, wantBackground: 2},
		"a bucket of one token has none to keep":                 {burst: 1, wantBackground: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			next := &recorder{}
			tg := WithRateLimits(next, Limits{Describe: slow(tc.burst)}, nil)
			got := 0
			for range tc.burst {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				_, err := tg.TargetHealth(ctx, arnWeb, Background)
				cancel()
				if err != nil {
					break
				}
				got++
			}
			if got != tc.wantBackground {
				t.Errorf("background reads through a full bucket of %d = %d, want %d", tc.burst, got, tc.wantBackground)
			}
			if tc.burst > tc.wantBackground {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				defer cancel()
				if _, err := tg.TargetHealth(ctx, arnWeb, Required); err != nil {
					t.Errorf("required read after the background reads: %v, want the token they left", err)
				}
			}
		})
	}
}
