package readinessgate

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/events"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// fakeHealth is a HealthSource whose answer the test sets; it counts the
// polls that would have called AWS.
type fakeHealth struct {
	mu     sync.Mutex
	health []targets.Health
	polls  int
	group  elbv2.TargetGroup
}

func (f *fakeHealth) Lookup(context.Context, string, string) (elbv2.TargetGroup, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.group, nil
}

func (f *fakeHealth) FreshHealth(context.Context, string, time.Duration) ([]targets.Health, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	return append([]targets.Health(nil), f.health...), time.Time{}, nil
}

func (f *fakeHealth) Health(string) ([]targets.Health, time.Time, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]targets.Health(nil), f.health...), time.Time{}, true
}

type world struct {
	c      *Controller
	kube   client.Client
	health *fakeHealth
	events *events.FakeRecorder
	clock  *clocktesting.FakePassiveClock
	reg    *prometheus.Registry
}

// newWorld is a binding "web" on a resolved target group, its Service, an
// EndpointSlice listing the gated pod web-1 (not ready, as the gate holds
// it back) and the pod, whose containers became ready at readySince.
func newWorld(t *testing.T, readySince time.Time) *world {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	tgb := &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec:       v1alpha1.TargetGroupBindingSpec{TargetGroupARN: arn, ServiceRef: v1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)}},
		Status:     v1alpha1.TargetGroupBindingStatus{TargetGroupARN: arn},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}}},
	}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "ns", Name: "web-abc", Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(8080)), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints: []discoveryv1.Endpoint{{
			Addresses:  []string{"10.244.0.7"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(false), Terminating: ptr.To(false)},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "web-1", UID: "uid-1"},
		}},
	}
	pod := gatedPod(func(p *corev1.Pod) {
		p.CreationTimestamp = metav1.NewTime(readySince.Add(-time.Second))
		p.Status.PodIP = "10.244.0.7"
		p.Status.Conditions[0].LastTransitionTime = metav1.NewTime(readySince)
	})
	kube := fake.NewClientBuilder().WithScheme(scheme).
		WithObjects(tgb, svc, slice, pod).
		WithStatusSubresource(&corev1.Pod{}, &v1alpha1.TargetGroupBinding{}).
		WithIndex(&corev1.Pod{}, podgate.PodGateIndex, podgate.IndexValues).
		Build()
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	w := &world{kube: kube, health: &fakeHealth{}, events: events.NewFakeRecorder(10), clock: clocktesting.NewFakePassiveClock(readySince.Add(time.Second)), reg: reg}
	w.c = New(kube, w.health, w.events, m, w.clock, Config{PollInterval: time.Second, Timeout: time.Minute})
	return w
}

func (w *world) reconcile(t *testing.T) reconcile.Result {
	t.Helper()
	res, err := w.c.Reconcile(context.Background(), reconcile.Request{NamespacedName: types.NamespacedName{Namespace: "ns", Name: "web"}})
	if err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	return res
}

func (w *world) gate(t *testing.T) *corev1.PodCondition {
	t.Helper()
	pod := &corev1.Pod{}
	if err := w.kube.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "web-1"}, pod); err != nil {
		t.Fatal(err)
	}
	return podgate.GateCondition(pod, "web")
}

func (w *world) histogramCount(t *testing.T, name string) uint64 {
	t.Helper()
	mfs, err := w.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetHistogram().GetSampleCount()
		}
	}
	return 0
}

func (w *world) setHealth(state targets.State, reason string) {
	w.health.mu.Lock()
	defer w.health.mu.Unlock()
	w.health.health = []targets.Health{{Target: target, State: state, Reason: reason}}
}

func TestReconcileWaitsWithTheELBReasonAndPollsAtTheInterval(t *testing.T) {
	w := newWorld(t, time.Unix(10_000, 0))
	w.setHealth(targets.StateInitial, "Elb.InitialHealthChecking")
	res := w.reconcile(t)
	if res.RequeueAfter != time.Second {
		t.Errorf("RequeueAfter = %s, want the poll interval (1s), not error backoff", res.RequeueAfter)
	}
	if w.health.polls != 1 {
		t.Errorf("%d polls, want 1", w.health.polls)
	}
	if c := w.gate(t); c == nil || c.Status != corev1.ConditionFalse || c.Reason != "Elb.InitialHealthChecking" || c.LastTransitionTime.IsZero() {
		t.Fatalf("gate = %+v, want False/Elb.InitialHealthChecking with a transition time", c)
	}
	if v := testutil.ToFloat64(w.c.metrics.pending.WithLabelValues("ns", "web")); v != 1 {
		t.Errorf("pending gauge = %v, want 1", v)
	}
}

func TestReconcileTurnsTheGateTrueOnceHealthyAndStopsPolling(t *testing.T) {
	w := newWorld(t, time.Unix(10_000, 0))
	w.setHealth(targets.StateInitial, "Elb.InitialHealthChecking")
	w.reconcile(t)
	w.setHealth(targets.StateHealthy, "")
	w.clock.SetTime(w.clock.Now().Add(time.Second))
	if res := w.reconcile(t); res.RequeueAfter != 0 {
		t.Errorf("RequeueAfter = %s after the gate turned True, want none", res.RequeueAfter)
	}
	if c := w.gate(t); c == nil || c.Status != corev1.ConditionTrue || c.Reason != ReasonTargetHealthy {
		t.Fatalf("gate = %+v, want True/%s", c, ReasonTargetHealthy)
	}
	if n := w.histogramCount(t, "tgc_readiness_gate_ready_seconds"); n != 1 {
		t.Errorf("tgc_readiness_gate_ready_seconds has %d samples, want 1", n)
	}
	// With the gate True and nothing pending, AWS is not polled again.
	polls := w.health.polls
	w.reconcile(t)
	if w.health.polls != polls {
		t.Errorf("reconcile with no pending gate polled AWS")
	}
}

func TestReconcileWarnsOnceWhenAGateWaitsLongerThanTheTimeout(t *testing.T) {
	readySince := time.Unix(10_000, 0)
	w := newWorld(t, readySince)
	w.setHealth(targets.StateUnhealthy, "Target.FailedHealthChecks")
	w.reconcile(t)
	if len(w.events.Events) != 0 {
		t.Fatalf("warned before the timeout: %v", <-w.events.Events)
	}
	w.clock.SetTime(readySince.Add(2 * time.Minute))
	w.reconcile(t)
	w.reconcile(t)
	var got []string
	for len(w.events.Events) > 0 {
		got = append(got, <-w.events.Events)
	}
	if len(got) != 2 || !strings.Contains(got[0], ReasonGateTimeout) || !strings.Contains(got[1], ReasonGateTimeout) {
		t.Fatalf("events = %q, want one %s on the pod and one on the binding", got, ReasonGateTimeout)
	}
	if !strings.Contains(got[0], "Target.FailedHealthChecks") {
		t.Errorf("event %q does not say why the gate waits", got[0])
	}
	if v := testutil.ToFloat64(w.c.metrics.stuck.WithLabelValues("ns", "web")); v != 1 {
		t.Errorf("stuck gauge = %v, want 1", v)
	}
	w.setHealth(targets.StateHealthy, "")
	w.reconcile(t)
	if v := testutil.ToFloat64(w.c.metrics.stuck.WithLabelValues("ns", "web")); v != 0 {
		t.Errorf("stuck gauge = %v after the gate turned True, want 0", v)
	}
}

func TestReconcileTurnsAnInstanceBindingsGateTrueWithItsReasonAndAnEventWithoutReadingAWS(t *testing.T) {
	w := newWorld(t, time.Unix(10_000, 0))
	tgb := &v1alpha1.TargetGroupBinding{}
	if err := w.kube.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "web"}, tgb); err != nil {
		t.Fatal(err)
	}
	tgb.Spec.TargetType = v1alpha1.TargetTypeInstance
	if err := w.kube.Update(context.Background(), tgb); err != nil {
		t.Fatal(err)
	}
	if res := w.reconcile(t); res.RequeueAfter != 0 {
		t.Errorf("RequeueAfter = %s, want none: nothing waits", res.RequeueAfter)
	}
	if c := w.gate(t); c == nil || c.Status != corev1.ConditionTrue || c.Reason != ReasonInstanceTarget {
		t.Fatalf("gate = %+v, want True/%s", c, ReasonInstanceTarget)
	}
	if w.health.polls != 0 {
		t.Errorf("%d polls of target health, want none", w.health.polls)
	}
	select {
	case e := <-w.events.Events:
		if !strings.HasPrefix(e, "Normal "+ReasonInstanceTarget) {
			t.Errorf("Event %q, want Normal %s", e, ReasonInstanceTarget)
		}
	default:
		t.Error("no Event")
	}
	// Once True, it is not written or announced again.
	w.reconcile(t)
	select {
	case e := <-w.events.Events:
		t.Errorf("second Event %q", e)
	default:
	}
}

// The guard: without the paused check, the healthy target turns the gate
// True and the test fails.
func TestReconcileLeavesAPausedBindingsGatesAsTheyAre(t *testing.T) {
	w := newWorld(t, time.Unix(10_000, 0))
	w.setHealth(targets.StateInitial, "Elb.InitialHealthChecking")
	w.reconcile(t)
	tgb := &v1alpha1.TargetGroupBinding{}
	if err := w.kube.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "web"}, tgb); err != nil {
		t.Fatal(err)
	}
	tgb.Spec.Paused = true
	if err := w.kube.Update(context.Background(), tgb); err != nil {
		t.Fatal(err)
	}
	w.setHealth(targets.StateHealthy, "")
	polls := w.health.polls

	if res := w.reconcile(t); res.RequeueAfter != 0 {
		t.Errorf("RequeueAfter = %s for a paused binding, want none: resuming wakes it", res.RequeueAfter)
	}
	if c := w.gate(t); c == nil || c.Status != corev1.ConditionFalse || c.Reason != "Elb.InitialHealthChecking" {
		t.Errorf("gate of a paused binding = %+v, want it left False/Elb.InitialHealthChecking", c)
	}
	if w.health.polls != polls {
		t.Errorf("a paused binding's gates polled AWS")
	}
}
