package manager

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/client-go/tools/leaderelection/resourcelock"
	clocktesting "k8s.io/utils/clock/testing"
)

// fakeLock answers writes with err and holds nothing.
type fakeLock struct{ err error }

func (f *fakeLock) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	return nil, nil, errors.New("not used")
}
func (f *fakeLock) Create(context.Context, resourcelock.LeaderElectionRecord) error { return f.err }
func (f *fakeLock) Update(context.Context, resourcelock.LeaderElectionRecord) error { return f.err }
func (f *fakeLock) RecordEvent(string)                                              {}
func (f *fakeLock) Identity() string                                                { return "me" }
func (f *fakeLock) Describe() string                                                { return "tgc/leader" }

func TestTheFenceClosesWhenTheLeaseIsNotRenewedWithinTheRenewDeadline(t *testing.T) {
	const deadline = 10 * time.Second
	type step struct {
		// after this long, the elector writes a record naming holder;
		// failing says the API server refused it.
		after   time.Duration
		holder  string
		create  bool
		failing bool
	}
	cases := map[string]struct {
		steps []step
		// wait after the last step
		wait     time.Duration
		wantOpen bool
	}{
		"a replica that never acquired the Lease may not write": {},
		"acquiring the Lease by creating it opens the fence": {
			steps: []step{{holder: "me", create: true}}, wantOpen: true,
		},
		"a renewal within the deadline keeps it open": {
			steps: []step{{holder: "me"}, {after: 2 * time.Second, holder: "me"}}, wait: 9 * time.Second, wantOpen: true,
		},
		"a last renewal older than the deadline closes it": {
			steps: []step{{holder: "me"}}, wait: deadline + time.Millisecond,
		},
		"failed renewals do not count as renewals": {
			steps: []step{{holder: "me"}, {after: 5 * time.Second, holder: "me", failing: true}, {after: 5 * time.Second, holder: "me", failing: true}},
			wait:  time.Millisecond,
		},
		"releasing the Lease on shutdown closes it at once": {
			steps: []step{{holder: "me"}, {after: time.Second, holder: ""}},
		},
		"a record naming another replica does not open it": {
			steps: []step{{holder: "other"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
			inner := &fakeLock{}
			l := &renewalLock{Interface: inner, clock: clk, renewDeadline: deadline}
			for _, s := range tc.steps {
				clk.Step(s.after)
				inner.err = nil
				if s.failing {
					inner.err = errors.New("the API server refused the renewal")
				}
				r := resourcelock.LeaderElectionRecord{HolderIdentity: s.holder}
				if s.create {
					_ = l.Create(t.Context(), r)
				} else {
					_ = l.Update(t.Context(), r)
				}
			}
			clk.Step(tc.wait)
			err := l.Closed()
			if open := err == nil; open != tc.wantOpen {
				t.Errorf("open = %v, want %v (Closed: %v)", open, tc.wantOpen, err)
			}
		})
	}
}
