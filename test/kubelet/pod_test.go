package kubelet

import (
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

// runnerUnderTest starts a pod runner on a fake clock, serving on a loopback
// address of its own.
func runnerUnderTest(t *testing.T, loopback string, preStop int64, annotations map[string]string) (*podRunner, *clocktesting.FakeClock, *corev1.Pod) {
	t.Helper()
	clk := clocktesting.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u", Annotations: annotations},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{
			Name:      "app",
			Ports:     []corev1.ContainerPort{{ContainerPort: 18081}},
			Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"sleep", strconv.FormatInt(preStop, 10)}}}},
		}}},
	}
	var notified atomic.Int32
	cfg, _ := Config{Clock: clk}.Defaulted()
	ip := netip.MustParseAddr("10.244.9.9")
	r := newPodRunner(pod, ip, netip.MustParseAddr(loopback), netip.MustParseAddr("127.0.0.1"), cfg, func() { notified.Add(1) })
	r.start(t.Context())
	t.Cleanup(r.stop)
	// The start delay is a timer on the fake clock too.
	waitFor(t, "the runner to wait for its start delay", clk.HasWaiters)
	clk.Step(0)
	waitFor(t, "the app to listen", r.app.serving)
	return r, clk, pod
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// stepTo moves the fake clock to offset after start once the runner waits.
func stepTo(t *testing.T, clk *clocktesting.FakeClock, start time.Time, offset time.Duration) {
	t.Helper()
	waitFor(t, "the runner to wait on the clock", clk.HasWaiters)
	clk.SetTime(start.Add(offset))
}

func TestPodRunnerTerminationSequence(t *testing.T) {
	tests := map[string]struct {
		loopback      string
		preStop       int64
		shutdownDelay string
		grace         int64
		// The app must serve just before stopAt and not at stopAt.
		stopAt time.Duration
	}{
		"serves through preStop then stops":          {"127.244.9.1", 3, "", 30, 3 * time.Second},
		"serves through preStop and shutdown delay":  {"127.244.9.2", 3, "2s", 30, 5 * time.Second},
		"grace period cuts preStop short":            {"127.244.9.3", 10, "", 4, 4 * time.Second},
		"grace period cuts the shutdown delay short": {"127.244.9.4", 2, "10s", 5, 5 * time.Second},
		"no preStop and no delay stops at once":      {"127.244.9.5", 0, "", 30, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			ann := map[string]string{}
			if tc.shutdownDelay != "" {
				ann[AnnotationShutdownDelay] = tc.shutdownDelay
			}
			r, clk, pod := runnerUnderTest(t, tc.loopback, tc.preStop, ann)
			start := clk.Now()
			deleting := pod.DeepCopy()
			deleting.DeletionTimestamp = ptr.To(metav1.NewTime(start))
			deleting.DeletionGracePeriodSeconds = ptr.To(tc.grace)
			r.observe(deleting)

			if tc.stopAt > 0 {
				// Walk the clock through the end of preStop (when it comes
				// before the stop) to just before the stop, then to it.
				preStopEnd := time.Duration(tc.preStop) * time.Second
				if preStopEnd > 0 && preStopEnd < tc.stopAt {
					stepTo(t, clk, start, preStopEnd)
				}
				stepTo(t, clk, start, tc.stopAt-time.Millisecond)
				time.Sleep(20 * time.Millisecond) // a wrongly fired timer would act now
				if !r.app.serving() || r.snapshot().terminated() {
					t.Fatalf("stopped before %s", tc.stopAt)
				}
				stepTo(t, clk, start, tc.stopAt)
			}
			waitFor(t, "the app to stop", func() bool { return r.snapshot().terminated() })
			if r.app.serving() {
				t.Error("app still serving after the pod terminated")
			}
			if got := r.snapshot().FinishedAt.Sub(start); got != tc.stopAt {
				t.Errorf("pod finished %s after deletion, want %s", got, tc.stopAt)
			}
		})
	}
}
