package readinessgate

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// A binding of a group in another account reads health through the view of
// its own role and external ID: the controller's own view does not know
// the group, and another identity's must not be asked.
func TestAGateOfAnAssumedRoleBindingReadsThroughItsIdentitysView(t *testing.T) {
	w := newWorld(t, time.Unix(10_000, 0))
	want := elbv2.Identity{RoleARN: "arn:aws:iam::111122223333:role/tgc", ExternalID: "tenant-a"}
	tgb := &v1alpha1.TargetGroupBinding{}
	if err := w.kube.Get(context.Background(), types.NamespacedName{Namespace: "ns", Name: "web"}, tgb); err != nil {
		t.Fatal(err)
	}
	tgb.Spec.IAMRoleArnToAssume, tgb.Spec.AssumeRoleExternalID = want.RoleARN, want.ExternalID
	if err := w.kube.Update(context.Background(), tgb); err != nil {
		t.Fatal(err)
	}
	assumed := &fakeHealth{health: []targets.Health{{Target: target, State: targets.StateHealthy}}}
	var asked []elbv2.Identity
	w.c.cfg.HealthFor = func(id elbv2.Identity) (HealthSource, error) {
		asked = append(asked, id)
		if id != want {
			return w.health, nil
		}
		return assumed, nil
	}
	w.setHealth(targets.StateUnhealthy, "Target.FailedHealthChecks") // the own view's answer
	w.reconcile(t)
	if len(asked) == 0 || asked[0] != want {
		t.Fatalf("views asked for %v, want %+v", asked, want)
	}
	if c := w.gate(t); c == nil || c.Status != corev1.ConditionTrue {
		t.Fatalf("gate = %+v, want True from the assumed role's view", c)
	}
	if w.health.polls != 0 {
		t.Errorf("the controller's own view was polled %d times for a group in another account", w.health.polls)
	}
}
