package manager

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/manager"
)

var _ manager.LeaderElectionRunnable = (*leaderStatus)(nil)

// leaderStatus exports tgc_leader. Of two replicas only the one holding the
// Lease syncs, yet both serve /metrics and the webhook; the gauge tells an
// operator which pod's sync metrics to read, and an alert when none leads.
type leaderStatus struct {
	gauge prometheus.Gauge
}

func newLeaderStatus(reg prometheus.Registerer) (*leaderStatus, error) {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "tgc_leader",
		Help: "1 while this replica holds the leader Lease and runs the controllers (at once with --leader-elect=false), 0 while it waits.",
	})
	if err := reg.Register(g); err != nil {
		return nil, err
	}
	return &leaderStatus{gauge: g}, nil
}

// Start runs once this replica is elected, since NeedLeaderElection is true.
// A replica that loses the Lease exits, and a clean shutdown releases it
// (LeaderElectionReleaseOnCancel): either way, leadership ends with ctx.
func (l *leaderStatus) Start(ctx context.Context) error {
	l.gauge.Set(1)
	<-ctx.Done()
	l.gauge.Set(0)
	return nil
}

func (l *leaderStatus) NeedLeaderElection() bool { return true }
