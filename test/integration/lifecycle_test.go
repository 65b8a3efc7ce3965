package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestDeletingABindingDeregistersItsTargetsUnlessRetained(t *testing.T) {
	t.Parallel()
	cases := map[string]struct {
		policy v1alpha1.DeletionPolicy
		after  []string
	}{
		"Delete deregisters every target": {policy: v1alpha1.DeletionPolicyDelete, after: nil},
		"Retain leaves the targets":       {policy: v1alpha1.DeletionPolicyRetain, after: []string{"10.244.220.1:8080", "10.244.220.2:8080"}},
	}
	e := newEnv(t)
	e.startController(e.controllerOptions())
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			svc := uniq("svc")
			arn := e.targetGroup()
			e.selectorlessService(svc, 80)
			e.slice(svc, svc+"-1", 8080, "10.244.220.1", "10.244.220.2")
			tgb := e.binding(svc, svc, intstr.FromInt32(80), arn, func(b *v1alpha1.TargetGroupBinding) { b.Spec.DeletionPolicy = tc.policy })
			e.waitMembers(arn, func() []string { return []string{"10.244.220.1:8080", "10.244.220.2:8080"} }, 10*time.Second)

			if err := e.kube.Delete(e.ctx, tgb); err != nil {
				t.Fatal(err)
			}
			e.eventually(10*time.Second, "the binding to be gone", func() (bool, string) {
				err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: svc}, &v1alpha1.TargetGroupBinding{})
				return err != nil && client.IgnoreNotFound(err) == nil, fmt.Sprint(err)
			})
			e.waitMembers(arn, func() []string { return tc.after }, 10*time.Second)
		})
	}
}

func TestEmptyEndpointsKeepTargetsUnderRetainAndRemoveThemUnderDeregister(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.startController(e.controllerOptions())
	cases := map[string]struct {
		policy v1alpha1.EmptyEndpointsPolicy
		after  []string
		ready  metav1.ConditionStatus
		reason string
	}{
		"Retain keeps the last targets": {policy: v1alpha1.EmptyEndpointsPolicyRetain, after: []string{"10.244.221.1:8080"}, ready: metav1.ConditionFalse, reason: v1alpha1.ReasonNoEndpoints},
		"Deregister empties the group":  {policy: v1alpha1.EmptyEndpointsPolicyDeregister, after: nil, ready: metav1.ConditionTrue, reason: v1alpha1.ReasonSynced},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			svc := uniq("svc")
			arn := e.targetGroup()
			e.selectorlessService(svc, 80)
			e.slice(svc, svc+"-1", 8080, "10.244.221.1")
			e.binding(svc, svc, intstr.FromInt32(80), arn, func(b *v1alpha1.TargetGroupBinding) { b.Spec.EmptyEndpointsPolicy = tc.policy })
			e.waitMembers(arn, func() []string { return []string{"10.244.221.1:8080"} }, 10*time.Second)

			e.slice(svc, svc+"-1", 8080)
			e.waitReady(svc, tc.ready, tc.reason, 10*time.Second)
			e.waitMembers(arn, func() []string { return tc.after }, 10*time.Second)
			// Never silent: either way a Warning says why.
			e.waitEvent(svc, corev1.EventTypeWarning, v1alpha1.ReasonNoEndpoints, 10*time.Second)
		})
	}
}

func TestTwoServicesShareOneTargetGroupInMultiClusterModeWithoutTouchingOthersTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	// Another cluster's target, registered before tgc starts.
	foreign := "10.244.232.9:8080"
	if _, err := e.aws.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{
		TargetGroupArn: aws.String(arn),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String("10.244.232.9"), Port: aws.Int32(8080)}},
	}); err != nil {
		t.Fatal(err)
	}
	multi := func(b *v1alpha1.TargetGroupBinding) { b.Spec.MultiClusterTargetGroup = true }
	e.selectorlessService("blue", 80)
	e.slice("blue", "blue-1", 8080, "10.244.230.1", "10.244.230.2")
	e.selectorlessService("green", 80)
	e.slice("green", "green-1", 8080, "10.244.231.1")
	e.binding("blue", "blue", intstr.FromInt32(80), arn, multi)
	e.binding("green", "green", intstr.FromInt32(80), arn, multi)
	e.startController(e.controllerOptions())

	e.waitMembers(arn, func() []string {
		return []string{"10.244.230.1:8080", "10.244.230.2:8080", "10.244.231.1:8080", foreign}
	}, 10*time.Second)
	e.eventually(10*time.Second, "blue to record what it owns", func() (bool, string) {
		owned := e.getBinding("blue").Status.OwnedTargets
		return fmt.Sprint(owned) == "[10.244.230.1:8080 10.244.230.2:8080]", fmt.Sprint(owned)
	})

	// Blue scales down: only its own target leaves.
	e.slice("blue", "blue-1", 8080, "10.244.230.1")
	e.waitMembers(arn, func() []string { return []string{"10.244.230.1:8080", "10.244.231.1:8080", foreign} }, 10*time.Second)

	// Deleting green deregisters green's target only.
	if err := e.kube.Delete(e.ctx, e.getBinding("green")); err != nil {
		t.Fatal(err)
	}
	e.waitMembers(arn, func() []string { return []string{"10.244.230.1:8080", foreign} }, 10*time.Second)
	e.waitReady("blue", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	// The foreign target is still there a moment later, too.
	time.Sleep(time.Second)
	if got := e.targetHealth(arn)[foreign]; got == "" || got == "draining" {
		t.Fatalf("foreign target state = %q, want it left registered", got)
	}
}

func TestTargetsChangedByHandAreCorrectedByTheDriftCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	e.selectorlessService("drift", 80)
	e.slice("drift", "drift-1", 8080, "10.244.240.1", "10.244.240.2")
	e.binding("drift", "drift", intstr.FromInt32(80), arn)
	o := e.controllerOptions()
	o.DriftInterval = 2 * time.Second
	ctl := e.startController(o)
	want := func() []string { return []string{"10.244.240.1:8080", "10.244.240.2:8080"} }
	e.waitMembers(arn, want, 10*time.Second)

	// By hand: one stray target added, one real target removed.
	if _, err := e.aws.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{
		TargetGroupArn: aws.String(arn),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String("10.244.240.99"), Port: aws.Int32(8080)}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.aws.DeregisterTargets(e.ctx, &elb.DeregisterTargetsInput{
		TargetGroupArn: aws.String(arn),
		Targets:        []elbtypes.TargetDescription{{Id: aws.String("10.244.240.2"), Port: aws.Int32(8080)}},
	}); err != nil {
		t.Fatal(err)
	}
	e.waitMembers(arn, want, 15*time.Second)
	e.waitEvent("drift", corev1.EventTypeWarning, "DriftDetected", 5*time.Second)
	for kind, n := range map[string]float64{"unexpected": 1, "missing": 1} {
		if v, err := metricValue(ctl.registry, "tgc_drift_corrections_total", map[string]string{"binding": "drift", "kind": kind}); err != nil || v != n {
			t.Errorf("tgc_drift_corrections_total{kind=%s} = %v (%v), want %v", kind, v, err, n)
		}
	}
}

func TestARestartedControllerMakesOneDescribeTargetHealthPerGroupAndNoOtherCallForIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	labels := e.app("restart", 3, 8080)
	arnA, arnB := e.targetGroup(), e.targetGroup()
	e.binding("restart-a", "restart", intstr.FromInt32(80), arnA)
	e.binding("restart-b", "restart", intstr.FromInt32(80), arnB)
	first := e.startController(e.controllerOptions())
	ready := e.waitReadyPods(labels, 3, 8080, 30*time.Second)
	for _, arn := range []string{arnA, arnB} {
		e.waitMembers(arn, func() []string { return ready }, 10*time.Second)
		e.waitHealthy(arn, 3, 15*time.Second)
	}
	// Status has caught up with health, so the first controller is idle.
	e.eventually(10*time.Second, "status to show 3 healthy", func() (bool, string) {
		a, b := e.getBinding("restart-a").Status.Targets, e.getBinding("restart-b").Status.Targets
		return a.Healthy == 3 && b.Healthy == 3, fmt.Sprintf("%+v %+v", a, b)
	})
	first.stop()

	restart := time.Now()
	e.startController(e.controllerOptions())
	// Give the new controller time to sync both bindings and to settle.
	time.Sleep(4 * time.Second)
	e.waitReady("restart-a", metav1.ConditionTrue, v1alpha1.ReasonSynced, 5*time.Second)
	e.waitReady("restart-b", metav1.ConditionTrue, v1alpha1.ReasonSynced, 5*time.Second)
	for _, arn := range []string{arnA, arnB} {
		cs := calls(arn, restart)
		if n := countCalls(cs, "DescribeTargetHealth"); n != 1 {
			t.Errorf("%s: %d DescribeTargetHealth calls after the restart, want 1: %+v", arn, n, cs)
		}
		if n := countCalls(cs, "RegisterTargets") + countCalls(cs, "DeregisterTargets"); n != 0 {
			t.Errorf("%s: %d Register/Deregister calls after the restart, want 0: %+v", arn, n, cs)
		}
		// The group's type comes from the account-wide DescribeTargetGroups
		// sweep, which names no group, not from a call per group.
		if n := countCalls(cs, "DescribeTargetGroups"); n != 0 {
			t.Errorf("%s: %d DescribeTargetGroups calls for this group after the restart, want 0: %+v", arn, n, cs)
		}
		t.Logf("%s: calls after restart: %+v", arn, cs)
	}
}
