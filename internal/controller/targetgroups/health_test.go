package targetgroups

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// countingGroups answers TargetHealth with a fixed list and counts calls.
type countingGroups struct {
	elbv2.TargetGroups
	mu     sync.Mutex
	calls  int
	health []targets.Health
}

func (f *countingGroups) TargetHealth(context.Context, string, elbv2.Priority) ([]targets.Health, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return append([]targets.Health(nil), f.health...), nil
}

func (f *countingGroups) set(hs ...targets.Health) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.health = hs
}

func TestFreshHealthReadsAWSOncePerIntervalWhoeverAsks(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	tgt := targets.Target{IP: netip.MustParseAddr("10.244.0.1"), Port: 8080}
	aws := &countingGroups{health: []targets.Health{{Target: tgt, State: targets.StateInitial, Reason: "Elb.InitialHealthChecking"}}}
	clk := clocktesting.NewFakePassiveClock(time.Unix(1000, 0))
	v := New(aws, clk, Config{})
	maxAge := 900 * time.Millisecond

	// Two bindings of one group polling in the same interval share a call.
	for range 2 {
		if _, _, err := v.FreshHealth(context.Background(), arn, maxAge); err != nil {
			t.Fatal(err)
		}
	}
	if aws.calls != 1 {
		t.Fatalf("%d DescribeTargetHealth calls for two polls within the interval, want 1", aws.calls)
	}

	// Once the view is older than maxAge, the next poll reads AWS again and
	// sees the target healthy; the cached view follows.
	aws.set(targets.Health{Target: tgt, State: targets.StateHealthy})
	clk.SetTime(clk.Now().Add(maxAge))
	hs, at, err := v.FreshHealth(context.Background(), arn, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	if aws.calls != 2 || len(hs) != 1 || hs[0].State != targets.StateHealthy || !at.Equal(clk.Now()) {
		t.Fatalf("after the interval: calls=%d health=%+v at=%s, want a second call reading healthy now", aws.calls, hs, at)
	}
	cached, _, ok := v.Health(arn)
	if !ok || cached[0].State != targets.StateHealthy {
		t.Fatalf("binding's cached view = %+v, want it to share the poll's read", cached)
	}
}

func TestFreshHealthKeepsDriftForTheNextSyncAndAnnouncesTheChange(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	a := targets.Target{IP: netip.MustParseAddr("10.244.0.1"), Port: 8080}
	b := targets.Target{IP: netip.MustParseAddr("10.244.0.2"), Port: 8080}
	aws := &countingGroups{health: []targets.Health{{Target: a, State: targets.StateHealthy}, {Target: b, State: targets.StateHealthy}}}
	clk := clocktesting.NewFakePassiveClock(time.Unix(1000, 0))
	v := New(aws, clk, Config{})
	if _, _, err := v.FreshHealth(context.Background(), arn, time.Second); err != nil {
		t.Fatal(err)
	}
	if len(v.Changes()) != 0 {
		t.Fatalf("first read of a group announced %d changes, want none", len(v.Changes()))
	}
	// Someone deregisters b by hand; a gate poll sees it first.
	aws.set(targets.Health{Target: a, State: targets.StateHealthy})
	clk.SetTime(clk.Now().Add(time.Second))
	if _, _, err := v.FreshHealth(context.Background(), arn, time.Second); err != nil {
		t.Fatal(err)
	}
	if len(v.Changes()) != 1 {
		t.Fatalf("%d changes announced, want one", len(v.Changes()))
	}
	if got := (<-v.Changes()).Object; got != arn {
		t.Fatalf("announced %s, want %s", got, arn)
	}
	// The next sync's refresh is not due (the poll just read the group),
	// yet it gets the membership from before the change to report drift.
	g := v.Lock(arn)
	before, refreshed, err := g.Refresh(context.Background())
	g.Unlock()
	if err != nil || refreshed {
		t.Fatalf("refresh = %v, %v; want no AWS call", refreshed, err)
	}
	if _, ok := before[b.Key()]; !ok || len(before) != 2 {
		t.Fatalf("membership handed to the sync = %v, want both targets from before the hand change", before)
	}
	if aws.calls != 2 {
		t.Fatalf("%d DescribeTargetHealth calls, want 2", aws.calls)
	}
}
