package emulator

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics is the emulator's own registry; nothing is registered globally, so
// several emulators can run in one test binary.
type metrics struct {
	registry *prometheus.Registry
	calls    *prometheus.CounterVec
}

func newMetrics(e *Emulator) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "elbv2_emulator_api_calls_total",
			Help: "ELBv2 API calls served, by action and result (error code or OK).",
		}, []string{"action", "result"}),
	}
	m.registry.MustRegister(m.calls, &stateCollector{e: e})
	return m
}

func (m *metrics) observeCall(action, result string) {
	m.calls.WithLabelValues(action, result).Inc()
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// stateCollector reads targets by state and data-plane outcomes at scrape
// time, so keeping them costs nothing between scrapes.
type stateCollector struct{ e *Emulator }

var (
	targetsDesc = prometheus.NewDesc("elbv2_emulator_targets",
		"Registered targets by health state.", []string{"state"}, nil)
	requestsDesc = prometheus.NewDesc("elbv2_emulator_listener_requests_total",
		"Requests (HTTP) or connections (TCP) through emulated listeners, by outcome.", []string{"listener", "outcome"}, nil)
)

func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- targetsDesc
	ch <- requestsDesc
}

func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	e := c.e
	counts := map[string]float64{}
	for _, s := range []string{stateInitial, stateHealthy, stateUnhealthy, stateUnused, stateDraining, stateUnavailable} {
		counts[s] = 0
	}
	e.mu.RLock()
	now := e.now()
	for _, g := range e.groups {
		in := e.healthInputs(g, now)
		for _, t := range g.order {
			if _, ok := present(g, t.key, now); ok {
				counts[targetHealth(t, in).State]++
			}
		}
	}
	e.mu.RUnlock()
	for s, n := range counts {
		ch <- prometheus.MustNewConstMetric(targetsDesc, prometheus.GaugeValue, n, s)
	}
	listeners := e.counter.Snapshot().Listeners
	for arn, n := range listeners {
		for outcome, v := range map[string]uint64{
			"success": n.Success, "refused": n.Refused, "server_error": n.ServerError,
			"timeout": n.Timeout, "failed": n.Failed, "no_target": n.NoTarget,
		} {
			ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(v), arn, outcome)
		}
	}
}
