package readinessgate

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

func (w *world) setPolicy(t *testing.T, p *v1alpha1.ReadinessGatePolicy) {
	t.Helper()
	tgb := &v1alpha1.TargetGroupBinding{}
	if err := w.kube.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "web"}, tgb); err != nil {
		t.Fatal(err)
	}
	tgb.Spec.ReadinessGate = p
	if err := w.kube.Update(context.Background(), tgb); err != nil {
		t.Fatal(err)
	}
}

func (w *world) podVersion(t *testing.T) string {
	t.Helper()
	pod := &corev1.Pod{}
	if err := w.kube.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "web-1"}, pod); err != nil {
		t.Fatal(err)
	}
	return pod.ResourceVersion
}

// A target that is not registered makes Decide write False on every poll;
// a released gate must not flap back, nor be announced twice.
func TestReconcileReleasesAGateAfterTheBindingsTimeoutOnceAndWithoutFlapping(t *testing.T) {
	readySince := time.Unix(10_000, 0)
	w := newWorld(t, readySince)
	w.setPolicy(t, &v1alpha1.ReadinessGatePolicy{Timeout: &metav1.Duration{Duration: 2 * time.Second}, OnTimeout: v1alpha1.GateTimeoutReady})
	w.health.health = nil // the target is not in the group at all

	w.reconcile(t)
	if c := w.gate(t); c == nil || c.Status != corev1.ConditionFalse {
		t.Fatalf("gate before the timeout = %+v, want False", c)
	}
	// Past the binding's 2s, long before the controller's 1m default.
	w.clock.SetTime(readySince.Add(3 * time.Second))
	if res := w.reconcile(t); res.RequeueAfter != 0 {
		t.Errorf("RequeueAfter = %s after the release, want none: nothing waits", res.RequeueAfter)
	}
	c := w.gate(t)
	if c == nil || c.Status != corev1.ConditionTrue || c.Reason != ReasonGateTimedOut {
		t.Fatalf("gate after the timeout = %+v, want True/%s", c, ReasonGateTimedOut)
	}
	version := w.podVersion(t)
	// The ELB's reason changes while the gate stays released: still no
	// write, no second Event.
	for _, state := range []targets.State{targets.StateDraining, targets.StateDraining, ""} {
		if state != "" {
			w.setHealth(state, "Target.DeregistrationInProgress")
		}
		w.clock.SetTime(w.clock.Now().Add(time.Second))
		w.reconcile(t)
	}
	if got := w.podVersion(t); got != version {
		t.Errorf("pod written again after the release (resourceVersion %s -> %s): the gate flaps", version, got)
	}
	var got []string
	for len(w.events.Events) > 0 {
		got = append(got, <-w.events.Events)
	}
	if len(got) != 2 || !strings.Contains(got[0], ReasonGateTimedOut) || !strings.Contains(got[1], ReasonGateTimedOut) {
		t.Fatalf("events = %q, want one %s on the pod and one on the binding", got, ReasonGateTimedOut)
	}
	if v := testutil.ToFloat64(w.c.metrics.timeouts.WithLabelValues("ns", "web")); v != 1 {
		t.Errorf("timeouts counter = %v, want 1", v)
	}
	if v := testutil.ToFloat64(w.c.metrics.stuck.WithLabelValues("ns", "web")); v != 0 {
		t.Errorf("stuck gauge = %v, want 0: a released gate does not wait", v)
	}
	if n := w.histogramCount(t, "tgc_readiness_gate_ready_seconds"); n != 0 {
		t.Errorf("tgc_readiness_gate_ready_seconds has %d samples, want 0: a released gate never saw a healthy target", n)
	}
}

// Hold, the default, with the binding's own timeout: the gate stays False
// and the usual warning fires after 2s, not after the controller's 1m.
func TestReconcileHoldsAGateAfterTheBindingsTimeoutAndWarns(t *testing.T) {
	readySince := time.Unix(10_000, 0)
	w := newWorld(t, readySince)
	w.setPolicy(t, &v1alpha1.ReadinessGatePolicy{Timeout: &metav1.Duration{Duration: 2 * time.Second}, OnTimeout: v1alpha1.GateTimeoutHold})
	w.setHealth(targets.StateUnhealthy, "Target.FailedHealthChecks")
	w.reconcile(t)
	w.clock.SetTime(readySince.Add(3 * time.Second))
	w.reconcile(t)
	if c := w.gate(t); c == nil || c.Status != corev1.ConditionFalse {
		t.Fatalf("gate = %+v, want False", c)
	}
	if v := testutil.ToFloat64(w.c.metrics.stuck.WithLabelValues("ns", "web")); v != 1 {
		t.Errorf("stuck gauge = %v, want 1", v)
	}
	if len(w.events.Events) != 2 || !strings.Contains(<-w.events.Events, ReasonGateTimeout) {
		t.Errorf("want the %s warning on the pod and the binding", ReasonGateTimeout)
	}
}
