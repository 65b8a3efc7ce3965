package manager

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/gateaudit"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// metrics are tgc's own collectors (controller-runtime adds its workqueue,
// client and leader-election series to the same registry). They are
// registered here and nowhere else, so that the tests of the dashboard and
// the alert rules read exactly what the binary serves.
type metrics struct {
	aws     *elbv2.Metrics
	binding *binding.Metrics
	leader  *leaderStatus
	// gates and audit are nil without --readiness-gates.
	gates *readinessgate.Metrics
	audit *gateaudit.Metrics
}

func registerMetrics(reg prometheus.Registerer, o Options) (metrics, error) {
	var m metrics
	var err error
	m.aws = elbv2.NewMetrics(reg)
	if m.binding, err = binding.NewMetrics(reg); err != nil {
		return m, fmt.Errorf("registering binding metrics: %w", err)
	}
	if m.leader, err = newLeaderStatus(reg); err != nil {
		return m, fmt.Errorf("registering the leader metric: %w", err)
	}
	if !o.ReadinessGates {
		return m, nil
	}
	if m.gates, err = readinessgate.NewMetrics(reg); err != nil {
		return m, fmt.Errorf("registering readiness gate metrics: %w", err)
	}
	if m.audit, err = gateaudit.NewMetrics(reg); err != nil {
		return m, fmt.Errorf("registering readiness gate audit metrics: %w", err)
	}
	return m, nil
}
