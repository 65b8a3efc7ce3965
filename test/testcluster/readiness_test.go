package testcluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
)

const testGate = corev1.PodConditionType("tgc.dev/test-gate")

// setGate writes the readiness gate condition as a controller such as tgc
// does: a strategic merge patch of status.conditions, merged by type.
func setGate(t *testing.T, c *Cluster, ns, name string, status corev1.ConditionStatus) {
	t.Helper()
	patch := fmt.Sprintf(`{"status":{"conditions":[{"type":%q,"status":%q,"reason":"Test","lastTransitionTime":%q}]}}`,
		testGate, status, time.Now().UTC().Format(time.RFC3339))
	if _, err := c.Client.CoreV1().Pods(ns).Patch(context.Background(), name, types.StrategicMergePatchType, []byte(patch), metav1.PatchOptions{}, "status"); err != nil {
		t.Fatalf("setting %s=%s on pod %s: %v", testGate, status, name, err)
	}
}

func TestPodWithReadinessGateBecomesReadyOnlyOnceTheGateIsTrue(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	ctx := context.Background()
	spec := podSpec()
	spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: testGate}}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "gated"}, Spec: spec}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	getPod := func() *corev1.Pod {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "gated", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	eventually(t, 30*time.Second, "containers to be ready", func(ctx context.Context) (bool, error) {
		return podCondition(getPod(), corev1.ContainersReady) == corev1.ConditionTrue, nil
	})
	// Several probe periods pass; the gate alone must hold Ready back.
	for range 5 {
		if p := getPod(); podCondition(p, corev1.PodReady) != corev1.ConditionFalse {
			t.Fatalf("Ready = %q before the gate is set, want False", podCondition(p, corev1.PodReady))
		}
		time.Sleep(200 * time.Millisecond)
	}

	setGate(t, c, ns, "gated", corev1.ConditionTrue)
	eventually(t, 10*time.Second, "Ready after the gate is True", func(ctx context.Context) (bool, error) {
		return podCondition(getPod(), corev1.PodReady) == corev1.ConditionTrue, nil
	})
	if p := getPod(); podCondition(p, testGate) != corev1.ConditionTrue {
		t.Errorf("the kubelet lost the gate condition: %+v", p.Status.Conditions)
	}

	setGate(t, c, ns, "gated", corev1.ConditionFalse)
	eventually(t, 10*time.Second, "not Ready after the gate turns False", func(ctx context.Context) (bool, error) {
		return podCondition(getPod(), corev1.PodReady) == corev1.ConditionFalse, nil
	})
}

func TestFailingHealthAnnotationMakesAPodUnreadyAndBackAgain(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	ctx := context.Background()
	pod := runReadyPod(t, c, ns, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "flaky"}, Spec: podSpec()})
	setAnnotation := func(v string) {
		patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:%q}}}`, kubelet.AnnotationFailHealth, v)
		if _, err := c.Client.CoreV1().Pods(ns).Patch(ctx, pod.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	readyIs := func(want corev1.ConditionStatus) func(context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			p, err := c.Client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
			return err == nil && podCondition(p, corev1.PodReady) == want, err
		}
	}
	setAnnotation("true")
	eventually(t, 10*time.Second, "Ready=False with failing health", readyIs(corev1.ConditionFalse))
	setAnnotation("false")
	eventually(t, 10*time.Second, "Ready=True once health passes again", readyIs(corev1.ConditionTrue))
}

func TestStartDelayHoldsReadinessBack(t *testing.T) {
	c := sharedCluster(t)
	ns := newNamespace(t, c)
	ctx := context.Background()
	created := time.Now()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "slow", Annotations: map[string]string{kubelet.AnnotationStartDelay: "2s"}},
		Spec:       podSpec(),
	}
	if _, err := c.Client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 30*time.Second, "the slow pod to be Ready", func(ctx context.Context) (bool, error) {
		p, err := c.Client.CoreV1().Pods(ns).Get(ctx, "slow", metav1.GetOptions{})
		return err == nil && podCondition(p, corev1.PodReady) == corev1.ConditionTrue, err
	})
	if took := time.Since(created); took < 2*time.Second {
		t.Errorf("pod with a 2s start delay was Ready after %s", took)
	}
}
