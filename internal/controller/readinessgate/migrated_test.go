package readinessgate

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// TestReconcileSatisfiesThePeersGateOfAMigratedBinding: a pod created while
// the AWS Load Balancer Controller's binding existed carries only its gate,
// False; once that binding was migrated, nothing but tgc sets it.
func TestReconcileSatisfiesThePeersGateOfAMigratedBinding(t *testing.T) {
	peerGate := corev1.PodConditionType("target-health.elbv2.k8s.aws/web")
	setup := func(t *testing.T, migrated bool) *world {
		w := newWorld(t, time.Unix(10_000, 0))
		ctx := context.Background()
		pod := &corev1.Pod{}
		if err := w.kube.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "web-1"}, pod); err != nil {
			t.Fatal(err)
		}
		pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: peerGate}}
		if err := w.kube.Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: peerGate, Status: corev1.ConditionFalse, Reason: "Elb.RegistrationInProgress"})
		if err := w.kube.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
		if migrated {
			tgb := &v1alpha1.TargetGroupBinding{}
			if err := w.kube.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "web"}, tgb); err != nil {
				t.Fatal(err)
			}
			tgb.Annotations = map[string]string{v1alpha1.MigratedFromAnnotation: "TargetGroupBinding.elbv2.k8s.aws/web"}
			if err := w.kube.Update(ctx, tgb); err != nil {
				t.Fatal(err)
			}
		}
		return w
	}
	peerCondition := func(t *testing.T, w *world) *corev1.PodCondition {
		pod := &corev1.Pod{}
		if err := w.kube.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "web-1"}, pod); err != nil {
			t.Fatal(err)
		}
		return podgate.GateCondition(pod, podgate.PeerGate("web"))
	}

	t.Run("the peer's gate turns True once the target is healthy", func(t *testing.T) {
		w := setup(t, true)
		w.setHealth(targets.StateInitial, "Elb.InitialHealthChecking")
		if res := w.reconcile(t); res.RequeueAfter != time.Second {
			t.Errorf("RequeueAfter = %s, want the poll interval while the peer's gate waits", res.RequeueAfter)
		}
		if c := peerCondition(t, w); c == nil || c.Status != corev1.ConditionFalse || c.Reason != "Elb.InitialHealthChecking" {
			t.Fatalf("peer's gate = %+v, want False/Elb.InitialHealthChecking", c)
		}
		w.setHealth(targets.StateHealthy, "")
		w.reconcile(t)
		if c := peerCondition(t, w); c == nil || c.Status != corev1.ConditionTrue || c.Reason != ReasonTargetHealthy {
			t.Fatalf("peer's gate = %+v, want True/%s", c, ReasonTargetHealthy)
		}
	})
	t.Run("a binding that was not migrated leaves the peer's gate to the peer", func(t *testing.T) {
		w := setup(t, false)
		w.setHealth(targets.StateHealthy, "")
		w.reconcile(t)
		if c := peerCondition(t, w); c == nil || c.Status != corev1.ConditionFalse || c.Reason != "Elb.RegistrationInProgress" {
			t.Fatalf("peer's gate = %+v, want it untouched (False/Elb.RegistrationInProgress)", c)
		}
	})
}
