package integration

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// TargetGroupPolicies are cluster-scoped: one existing restricts every
// namespace. So this test does not run in parallel with the others (their
// controllers are not running while it does), and removes its policy when
// it ends.
func TestANamespaceOutsideThePoliciesIsRefusedAtSyncAndAdmittedOnceLabelled(t *testing.T) {
	e := newEnv(t)
	arn := e.targetGroup()
	name := strings.Split(arn, "/")[1]
	team := uniq("team")
	policy := &v1alpha1.TargetGroupPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: uniq("policy")},
		Spec: v1alpha1.TargetGroupPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"team": team}},
			TargetGroups:      []v1alpha1.TargetGroupMatch{{NamePattern: name}},
		},
	}
	if err := e.kube.Create(e.ctx, policy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.kube.Delete(e.ctx, policy) })

	labels := e.app("web", 2, 8080)
	e.binding("web", "web", intstr.FromString("web"), arn)
	e.startController(e.controllerOptions())
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitReady("web", metav1.ConditionFalse, v1alpha1.ReasonNotAllowed, 15*time.Second)
	e.waitEvent("web", corev1.EventTypeWarning, v1alpha1.ReasonNotAllowed, 5*time.Second)
	if got := e.members(arn); len(got) != 0 {
		t.Fatalf("a binding no policy allows registered %v", got)
	}

	// The cluster admin labels the namespace: the binding syncs at once,
	// without waiting for a retry.
	e.labelNamespace("team", team)
	e.waitMembers(arn, func() []string { return e.readyPodTargets(labels, 8080) }, 10*time.Second)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
}
