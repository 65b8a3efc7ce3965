package manager

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestLeaderGaugeIsOneOnlyWhileLeading: the manager starts the runnable
// only on the replica that won the Lease, and its context ends with the
// leadership.
func TestLeaderGaugeIsOneOnlyWhileLeading(t *testing.T) {
	l, err := newLeaderStatus(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if !l.NeedLeaderElection() {
		t.Fatal("the leader gauge runs without leader election: every replica would say it leads")
	}
	if got := testutil.ToFloat64(l.gauge); got != 0 {
		t.Errorf("tgc_leader before the election = %v, want 0", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Start(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(l.gauge) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("tgc_leader never turned 1 once started")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Start returned %v", err)
	}
	if got := testutil.ToFloat64(l.gauge); got != 0 {
		t.Errorf("tgc_leader after leadership ended = %v, want 0", got)
	}
}
