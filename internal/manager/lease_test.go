package manager

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// seqLock answers reads with records in turn, the last one from then on.
type seqLock struct {
	fakeLock
	records []resourcelock.LeaderElectionRecord
	reads   int
}

func (s *seqLock) Get(context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	r := s.records[min(s.reads, len(s.records)-1)]
	s.reads++
	raw, _ := json.Marshal(r)
	return &r, raw, nil
}

// fakeChanges answers waitChange with changed and counts the waits.
type fakeChanges struct {
	changed bool
	waits   int
	clk     *clocktesting.FakeClock
	d       time.Duration
}

func (f *fakeChanges) waitChange(_ context.Context, _ resourcelock.LeaderElectionRecord, d time.Duration) bool {
	f.waits++
	f.d = d
	if !f.changed {
		f.clk.Step(d)
	}
	return f.changed
}

func TestAStandbyHoldsItsReadOfTheLeaseUntilTheLiveHolderRenewsOrReleases(t *testing.T) {
	const retry = 2 * time.Second
	at := func(s int) metav1.Time {
		return metav1.NewTime(time.Date(2026, 11, 30, 12, 0, s, 0, time.UTC))
	}
	held := resourcelock.LeaderElectionRecord{HolderIdentity: "other", RenewTime: at(0)}
	released := resourcelock.LeaderElectionRecord{HolderIdentity: ""}
	cases := map[string]struct {
		records []resourcelock.LeaderElectionRecord
		changed bool
		// before is how many reads of the same record came before, and
		// how long ago the record first was read.
		before, since int
		wantHolder    string
		wantWaits     int
		wantReads     int
	}{
		"a release while the read is held is returned at once": {
			records: []resourcelock.LeaderElectionRecord{held, released}, changed: true,
			wantHolder: "", wantWaits: 1, wantReads: 2,
		},
		"a hold that sees no change returns the first read": {
			records:    []resourcelock.LeaderElectionRecord{held},
			wantHolder: "other", wantWaits: 1, wantReads: 1,
		},
		"a Lease held by nobody is not held": {
			records:    []resourcelock.LeaderElectionRecord{released},
			wantHolder: "", wantReads: 1,
		},
		"the leader's own read is not held": {
			records:    []resourcelock.LeaderElectionRecord{{HolderIdentity: "me", RenewTime: at(0)}},
			wantHolder: "me", wantReads: 1,
		},
		"a holder that missed its renewals is not waited for": {
			records: []resourcelock.LeaderElectionRecord{held}, before: 1, since: 4,
			wantHolder: "other", wantReads: 1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC))
			inner := &seqLock{records: tc.records}
			ch := &fakeChanges{changed: tc.changed, clk: clk}
			l := &renewalLock{Interface: inner, clock: clk, renewDeadline: 10 * time.Second, retry: retry, changes: noWait{}}
			for range tc.before {
				if _, _, err := l.Get(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			clk.Step(time.Duration(tc.since) * time.Second)
			l.changes = ch
			rec, _, err := l.Get(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if rec.HolderIdentity != tc.wantHolder {
				t.Errorf("holder = %q, want %q", rec.HolderIdentity, tc.wantHolder)
			}
			if ch.waits != tc.wantWaits {
				t.Errorf("held the read %d times, want %d", ch.waits, tc.wantWaits)
			}
			if ch.waits > 0 && ch.d > 2*retry {
				t.Errorf("held for up to %s: longer than the holder's renewals take", ch.d)
			}
			if inner.reads != tc.wantReads+tc.before {
				t.Errorf("read the Lease %d times, want %d", inner.reads-tc.before, tc.wantReads)
			}
		})
	}
}

// noWait never holds: the reads that set up a case.
type noWait struct{}

func (noWait) waitChange(context.Context, resourcelock.LeaderElectionRecord, time.Duration) bool {
	return false
}
