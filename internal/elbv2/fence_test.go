package elbv2

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// closesAfter is a fence that is open for the first n checks.
type closesAfter struct {
	open   int64
	checks atomic.Int64
}

var errLeaseGone = errors.New("lease not renewed for 11s, renew deadline 10s")

func (f *closesAfter) Closed() error {
	if f.checks.Add(1) > f.open {
		return errLeaseGone
	}
	return nil
}

func TestAFencedWriteIsAbandonedNotRetried(t *testing.T) {
	cases := map[string]struct {
		fence *closesAfter
		// throttles answered before success
		throttles    int
		write        func(ctx context.Context, tg *SDK) error
		action       string
		wantRequests int
		wantFenced   bool
	}{
		"an open fence lets a write through": {
			fence:        &closesAfter{open: 100},
			write:        func(ctx context.Context, tg *SDK) error { return tg.Register(ctx, arnWeb, podTargets(2), Write{}) },
			action:       "RegisterTargets",
			wantRequests: 1,
		},
		"a closed fence sends no registration": {
			fence:      &closesAfter{open: 0},
			write:      func(ctx context.Context, tg *SDK) error { return tg.Register(ctx, arnWeb, podTargets(2), Write{}) },
			action:     "RegisterTargets",
			wantFenced: true,
		},
		"a closed fence sends no deregistration": {
			fence:      &closesAfter{open: 0},
			write:      func(ctx context.Context, tg *SDK) error { return tg.Deregister(ctx, arnWeb, podTargets(2), Write{}) },
			action:     "DeregisterTargets",
			wantFenced: true,
		},
		"a fence that closes after a throttled attempt stops the retry": {
			fence:        &closesAfter{open: 1},
			throttles:    2,
			write:        func(ctx context.Context, tg *SDK) error { return tg.Register(ctx, arnWeb, podTargets(2), Write{}) },
			action:       "RegisterTargets",
			wantRequests: 1,
			wantFenced:   true,
		},
		"reads go on behind a closed fence": {
			fence: &closesAfter{open: 0},
			write: func(ctx context.Context, tg *SDK) error {
				_, err := tg.TargetHealth(ctx, arnWeb, Required)
				return err
			},
			action:       "DescribeTargetHealth",
			wantRequests: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFakeELB(t)
			f.addGroup(arnWeb, "web", 30)
			if tc.throttles > 0 {
				f.fail(tc.action, tc.throttles, 400, "Throttling")
			}
			tg := NewSDK(f.client(t, Options{MaxAttempts: 5, Fence: tc.fence}))
			err := tc.write(t.Context(), tg)
			if got := errors.Is(err, ErrFenced); got != tc.wantFenced {
				t.Fatalf("fenced = %v, want %v (err %v)", got, tc.wantFenced, err)
			}
			if tc.wantFenced && !errors.Is(err, errLeaseGone) {
				t.Errorf("the error %q does not carry the fence's reason", err)
			}
			if n := len(f.callsOf(tc.action)); n != tc.wantRequests {
				t.Errorf("%s reached AWS %d times, want %d", tc.action, n, tc.wantRequests)
			}
		})
	}
}
