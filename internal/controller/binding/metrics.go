package binding

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Metrics are the controller-side series. AWS call counts, errors and
// throttles come from the elbv2 decorator, not from here.
type Metrics struct {
	targets          *prometheus.GaugeVec
	ready            *prometheus.GaugeVec
	lastSync         *prometheus.GaugeVec
	registered       *prometheus.CounterVec
	deregistered     *prometheus.CounterVec
	syncLatency      *prometheus.HistogramVec
	driftCorrections *prometheus.CounterVec
	foreignChanges   *prometheus.CounterVec
	foreignWrites    *prometheus.CounterVec
	paused           *prometheus.GaugeVec
	reconcileErrors  *prometheus.CounterVec
	skipped          *prometheus.GaugeVec
	held             *prometheus.GaugeVec

	deletionToDeregistered prometheus.Histogram

	// readyReason is each binding's reason label in ready, so that a new
	// reason replaces exactly one series: DeletePartialMatch scans every
	// series of the vector, which at thousands of bindings cost more CPU
	// than the sync it reported on.
	readyMu     sync.Mutex
	readyReason map[types.NamespacedName]string
}

// NewMetrics creates the metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) (*Metrics, error) {
	binding := []string{"namespace", "binding"}
	m := &Metrics{
		readyReason: map[types.NamespacedName]string{},
		targets: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_binding_targets",
			Help: "Targets of a TargetGroupBinding by state: desired (ready endpoints), registered, and the ELBv2 health states healthy, initial, unhealthy, draining, unavailable.",
		}, append(binding, "state")),
		ready: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_binding_ready",
			Help: "1 when the binding's Ready condition is True, 0 otherwise; the reason label is the condition's reason.",
		}, append(binding, "reason")),
		lastSync: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_binding_last_sync_timestamp_seconds",
			Help: "Unix time when the binding's target group last matched its desired targets.",
		}, binding),
		registered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_binding_targets_registered_total",
			Help: "Targets tgc registered for a binding.",
		}, binding),
		deregistered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_binding_targets_deregistered_total",
			Help: "Targets tgc deregistered for a binding.",
		}, binding),
		syncLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tgc_endpoint_change_to_target_sync_seconds",
			Help: "Time from an endpoint change (the EndpointSlice's endpoints.kubernetes.io/last-change-trigger-time, else when tgc first saw it) to the AWS call that applied it completing.",
			// From 10ms (sub-second sync is the goal) to 5 minutes (throttling storms).
			Buckets: []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300},
		}, []string{"operation"}),
		driftCorrections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_drift_corrections_total",
			Help: "Targets changed outside tgc and corrected by the drift check; kind is unexpected (added by hand, deregistered) or missing (removed by hand, registered again).",
		}, append(binding, "kind")),
		foreignChanges: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_foreign_target_changes_total",
			Help: "Targets that appeared in (kind added) or left (kind removed) the binding's target group without tgc and that tgc leaves as they are: in a multiClusterTargetGroup, targets of other owners; otherwise a change that already matches the endpoints. Changes tgc undoes count in tgc_drift_corrections_total.",
		}, append(binding, "kind")),
		foreignWrites: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_foreign_writes_corrected_total",
			Help: "Times the drift check found that another writer (a person, Terraform, another controller) added or removed targets the binding owns, and tgc undid it; one per change found, however many targets it touched (those count in tgc_drift_corrections_total). Two within an hour set the binding's ForeignWriter condition. Other clusters' targets in a multiClusterTargetGroup, which tgc leaves alone, count in tgc_foreign_target_changes_total instead.",
		}, binding),
		paused: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_binding_paused",
			Help: "1 while the binding's spec.paused is true: tgc makes no AWS writes for it, so terminating pods stay registered and new pods' readiness gates stay False; 0 otherwise.",
		}, binding),
		reconcileErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_binding_sync_errors_total",
			Help: "Syncs of a binding that failed, by the Ready condition reason.",
		}, []string{"reason"}),
		skipped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_binding_endpoints_skipped",
			Help: "Ready endpoints of a binding's Service that are not registered because no Pod of the binding's namespace stands behind their address (targetSelection Pods), by reason: NoTargetRef, TargetRefNotPod, PodInOtherNamespace, PodNotFound, AddressNotPodIP. Only reasons with skipped endpoints have a series.",
		}, append(binding, "reason")),
		held: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_binding_deregistrations_held",
			Help: "Healthy targets of a binding whose deregistration the brake holds: they left the Service's endpoints without evidence that their pods are going, beyond --brake-max-fraction or --brake-max-targets. 0 when nothing is held.",
		}, binding),
		deletionToDeregistered: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tgc_pod_deletion_to_deregistered_seconds",
			Help:    "Time from a pod's deletion request (deletionTimestamp minus the grace period, whole seconds, so up to 1s high) to the DeregisterTargets call that removed its target completing. It must stay well below the pods' preStop sleep.",
			Buckets: []float64{0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 3, 5, 10, 30, 60},
		}),
	}
	for _, c := range []prometheus.Collector{m.targets, m.ready, m.lastSync, m.registered, m.deregistered, m.syncLatency, m.driftCorrections, m.foreignChanges, m.foreignWrites, m.paused, m.reconcileErrors, m.skipped, m.held, m.deletionToDeregistered} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *Metrics) setCounts(ns, name string, c v1alpha1.TargetCounts) {
	for state, v := range map[string]int32{
		"desired": c.Desired, "registered": c.Registered, "healthy": c.Healthy, "initial": c.Initial,
		"unhealthy": c.Unhealthy, "draining": c.Draining, "unavailable": c.Unavailable,
	} {
		m.targets.WithLabelValues(ns, name, state).Set(float64(v))
	}
}

// setSkipped sets the binding's skipped endpoints by reason; reasons with
// none have no series, so that a healthy binding adds none.
func (m *Metrics) setSkipped(ns, name string, byReason map[targets.SkipReason]int) {
	for _, r := range targets.SkipReasons {
		if n := byReason[r]; n > 0 {
			m.skipped.WithLabelValues(ns, name, string(r)).Set(float64(n))
		} else {
			m.skipped.DeleteLabelValues(ns, name, string(r))
		}
	}
}

func (m *Metrics) setReady(ns, name, reason string, ready bool) {
	key := types.NamespacedName{Namespace: ns, Name: name}
	m.readyMu.Lock()
	if old, ok := m.readyReason[key]; ok && old != reason {
		m.ready.DeleteLabelValues(ns, name, old)
	}
	m.readyReason[key] = reason
	m.readyMu.Unlock()
	v := 0.0
	if ready {
		v = 1
	}
	m.ready.WithLabelValues(ns, name, reason).Set(v)
}

// forget removes a deleted binding's series.
func (m *Metrics) forget(ns, name string) {
	l := prometheus.Labels{"namespace": ns, "binding": name}
	m.targets.DeletePartialMatch(l)
	m.ready.DeletePartialMatch(l)
	m.readyMu.Lock()
	delete(m.readyReason, types.NamespacedName{Namespace: ns, Name: name})
	m.readyMu.Unlock()
	m.lastSync.DeletePartialMatch(l)
	m.registered.DeletePartialMatch(l)
	m.deregistered.DeletePartialMatch(l)
	m.driftCorrections.DeletePartialMatch(l)
	m.foreignChanges.DeletePartialMatch(l)
	m.foreignWrites.DeletePartialMatch(l)
	m.paused.DeletePartialMatch(l)
	m.skipped.DeletePartialMatch(l)
	m.held.DeletePartialMatch(l)
}
