package dataplane

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"testing"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
)

func TestCounterKeepsListenerGroupAndTargetCountsApart(t *testing.T) {
	c := NewCounter()
	c.Record("l1", "blue", "10.0.0.1:80", Success)
	c.Record("l1", "blue", "10.0.0.1:80", ServerError)
	c.Record("l1", "green", "", NoTarget)
	c.Record("l1", "", "", NoTarget)
	c.Record("l2", "green", "10.0.0.1:80", Refused)
	snap := c.Snapshot()
	listeners, groups, targets := snap.Listeners, snap.TargetGroups, snap.Targets
	if got := listeners["l1"]; got.Success != 1 || got.ServerError != 1 || got.NoTarget != 2 || got.Total() != 4 {
		t.Fatalf("l1 = %+v", got)
	}
	if blue, green := groups["blue"], groups["green"]; blue.Total() != 2 || green.NoTarget != 1 || green.Refused != 1 || len(groups) != 2 {
		t.Fatalf("groups = %+v, want blue's two requests and green's empty pick and refusal", groups)
	}
	if got := targets["10.0.0.1:80"]; got.Total() != 3 || got.Refused != 1 {
		t.Fatalf("target = %+v, want the three target-bound outcomes of both listeners", got)
	}
	c.Reset()
	if s := c.Snapshot(); len(s.Listeners) != 0 || len(s.TargetGroups) != 0 || len(s.Targets) != 0 {
		t.Fatalf("after Reset: %+v", s)
	}
}

func TestClassify(t *testing.T) {
	cases := map[string]struct {
		err  error
		want Outcome
	}{
		"connection refused":   {fmt.Errorf("dialing: %w", syscall.ECONNREFUSED), Refused},
		"non-loopback refused": {fmt.Errorf("dialing: %w", dial.ErrNotLoopback), Refused},
		"deadline is timeout":  {fmt.Errorf("waiting: %w", context.DeadlineExceeded), Timeout},
		"anything else failed": {errors.New("connection reset by peer"), Failed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := classify(tc.err); got != tc.want {
				t.Fatalf("classify(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
