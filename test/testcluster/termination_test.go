package testcluster

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
)

func preStopSleep(seconds int64) *corev1.Lifecycle {
	return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: seconds}}}
}

func preStopExec(cmd ...string) *corev1.Lifecycle {
	return &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: cmd}}}
}

// runReadyPod creates a pod and waits until it is Ready.
func runReadyPod(t *testing.T, c *Cluster, ns string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	created, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got *corev1.Pod
	eventually(t, 30*time.Second, "pod "+created.Name+" to be Ready", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, created.Name, metav1.GetOptions{})
		got = p
		return err == nil && podCondition(p, corev1.PodReady) == corev1.ConditionTrue, err
	})
	return got
}

// serveWindow deletes the pod and reports how long after the delete call
// its app kept answering HTTP, probing every 50ms. Only answers that name the
// pod count: once it is gone, its loopback address may serve another pod.
func serveWindow(t *testing.T, c *Cluster, pod *corev1.Pod, limit time.Duration) time.Duration {
	t.Helper()
	ctx := context.Background()
	deleted := time.Now()
	if err := c.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	var lastOK time.Duration
	for time.Since(deleted) < limit {
		code, body, err := getPod(c, pod.Status.PodIP, appPort)
		if err == nil && code == 200 && strings.Contains(body, "pod="+pod.Namespace+"/"+pod.Name+" ") {
			lastOK = time.Since(deleted)
		} else if lastOK > 0 || time.Since(deleted) > time.Second {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	return lastOK
}

func waitGone(t *testing.T, c *Cluster, pod *corev1.Pod) {
	t.Helper()
	eventually(t, 30*time.Second, "pod "+pod.Name+" to be deleted", func(ctx context.Context) (bool, error) {
		_, err := c.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
}

func TestDeletedPodServesThroughItsPreStopAndThenStops(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	tests := map[string]struct {
		lifecycle   *corev1.Lifecycle
		annotations map[string]string
		grace       int64
		wantAtLeast time.Duration
		wantAtMost  time.Duration
	}{
		"native preStop sleep of 2s": {
			lifecycle: preStopSleep(2), grace: 30,
			wantAtLeast: 1800 * time.Millisecond, wantAtMost: 3 * time.Second,
		},
		"shell preStop sleep of 2s": {
			lifecycle: preStopExec("/bin/sh", "-c", "sleep 2"), grace: 30,
			wantAtLeast: 1800 * time.Millisecond, wantAtMost: 3 * time.Second,
		},
		"preStop then shutdown delay": {
			lifecycle: preStopSleep(1), annotations: map[string]string{kubelet.AnnotationShutdownDelay: "1s"}, grace: 30,
			wantAtLeast: 1800 * time.Millisecond, wantAtMost: 3 * time.Second,
		},
		// The API refuses a sleep action longer than the grace period, so
		// this needs the exec form.
		"grace period cuts a longer preStop short": {
			lifecycle: preStopExec("sleep", "20"), grace: 2,
			wantAtLeast: 1500 * time.Millisecond, wantAtMost: 3 * time.Second,
		},
		"no preStop stops serving at once": {
			grace:      30,
			wantAtMost: 700 * time.Millisecond,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			spec := podSpec()
			spec.Containers[0].Lifecycle = tc.lifecycle
			spec.TerminationGracePeriodSeconds = ptr.To(tc.grace)
			pod := runReadyPod(t, c, ns, &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{GenerateName: "drain-", Annotations: tc.annotations},
				Spec:       spec,
			})
			served := serveWindow(t, c, pod, 10*time.Second)
			t.Logf("served for %s after the delete call", served.Round(time.Millisecond))
			if served < tc.wantAtLeast || served > tc.wantAtMost {
				t.Errorf("served for %s after deletion, want between %s and %s", served, tc.wantAtLeast, tc.wantAtMost)
			}
			waitGone(t, c, pod)
		})
	}
}

func TestTerminatingPodStaysReadyWhileItDrains(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	spec := podSpec()
	spec.Containers[0].Lifecycle = preStopSleep(2)
	pod := runReadyPod(t, c, ns, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "drainer"}, Spec: spec})
	ctx := context.Background()
	if err := c.Client.CoreV1().Pods(ns).Delete(ctx, pod.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	p, err := c.Client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if p.DeletionTimestamp == nil || podCondition(p, corev1.PodReady) != corev1.ConditionTrue {
		t.Errorf("1s into a 2s preStop: deletionTimestamp=%v Ready=%s, want terminating and Ready", p.DeletionTimestamp, podCondition(p, corev1.PodReady))
	}
	waitGone(t, c, pod)
}
