package readinessgate

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the readiness gate series.
type Metrics struct {
	readySeconds prometheus.Histogram
	pending      *prometheus.GaugeVec
	stuck        *prometheus.GaugeVec
	timeouts     *prometheus.CounterVec
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	binding := []string{"namespace", "binding"}
	m := &Metrics{
		readySeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tgc_readiness_gate_ready_seconds",
			Help: "Time from a pod's creation to tgc setting its readiness gate True (its target healthy in the target group); gates set True by onTimeout Ready are left out.",
			// Registration plus the first healthy checks take seconds to
			// minutes on real ELBv2 (an ALB's defaults need 5 checks 30s
			// apart); the emulator's fast profile takes under a second.
			Buckets: []float64{0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 180, 300, 600},
		}),
		pending: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_readiness_gates_pending",
			Help: "Pods of a binding whose containers are ready and whose tgc readiness gate waits for their target to be healthy.",
		}, binding),
		stuck: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_readiness_gate_stuck",
			Help: "Pods of a binding whose readiness gate has waited longer than its timeout (the binding's readinessGate.timeout, else --gate-timeout) and is held (onTimeout Hold); each also gets a Warning Event.",
		}, binding),
		timeouts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_readiness_gate_timeouts_total",
			Help: "Pods whose readiness gate waited longer than its timeout (the binding's readinessGate.timeout, else --gate-timeout), held or set True by onTimeout Ready, counted once per pod.",
		}, binding),
	}
	for _, c := range []prometheus.Collector{m.readySeconds, m.pending, m.stuck, m.timeouts} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) forget(ns, name string) {
	l := prometheus.Labels{"namespace": ns, "binding": name}
	m.pending.DeletePartialMatch(l)
	m.stuck.DeletePartialMatch(l)
	m.timeouts.DeletePartialMatch(l)
}
