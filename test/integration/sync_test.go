package integration

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestTargetsFollowReadyPodsThroughScaleUpScaleDownAndUnreadiness(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("web", 2, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	ctl := e.startController(e.controllerOptions())
	ready := func() []string { return e.readyPodTargets(labels, 8080) }

	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	e.waitHealthy(arn, 2, 15*time.Second)
	tgb := e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.eventually(10*time.Second, "status counts to show 2 healthy", func() (bool, string) {
		c := e.getBinding("web").Status.Targets
		return c.Desired == 2 && c.Registered == 2 && c.Healthy == 2, ""
	})
	if tgb.Status.TargetGroupARN != arn || tgb.Status.LastSyncTime == nil {
		t.Errorf("status = %+v, want targetGroupARN %s and a lastSyncTime", tgb.Status, arn)
	}
	e.waitEvent("web", corev1.EventTypeNormal, "Registered", 5*time.Second)

	e.scale("web", 4)
	e.waitReadyPods(labels, 4, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)

	e.scale("web", 1)
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	e.waitEvent("web", corev1.EventTypeNormal, "Deregistered", 5*time.Second)

	// A pod failing its readiness probe leaves the target group while it
	// still exists; with emptyEndpointsPolicy Retain (the default) the last
	// target stays, with a Warning saying why.
	e.scale("web", 2)
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	var pods corev1.PodList
	if err := e.kube.List(e.ctx, &pods, client.InNamespace(e.ns), client.MatchingLabels(labels)); err != nil {
		t.Fatal(err)
	}
	sick := pods.Items[0]
	before := ready()
	patch := client.MergeFrom(sick.DeepCopy())
	if sick.Annotations == nil {
		sick.Annotations = map[string]string{}
	}
	sick.Annotations["kubelet.tgc.dev/fail-health"] = "true"
	if err := e.kube.Patch(e.ctx, &sick, patch); err != nil {
		t.Fatal(err)
	}
	e.eventually(20*time.Second, "the sick pod to turn unready", func() (bool, string) { return len(ready()) == 1, "" })
	e.waitMembers(arn, ready, 15*time.Second)
	if got := e.members(arn); len(got) != 1 || len(before) != 2 {
		t.Fatalf("members after one pod turned unready = %v (before %v)", got, before)
	}

	if v, err := metricValue(ctl.registry, "tgc_endpoint_change_to_target_sync_seconds", nil); err != nil || v == 0 {
		t.Errorf("sync latency histogram has %v samples (%v), want some", v, err)
	}
	// Every call that reached the emulator went through the rate limiter.
	if v, err := metricValue(ctl.registry, "tgc_aws_rate_limit_wait_seconds", map[string]string{"operation": "RegisterTargets"}); err != nil || v == 0 {
		t.Errorf("rate-limit wait histogram has %v RegisterTargets samples (%v), want some", v, err)
	}
	// Without leader election, the one replica leads from the start.
	if v, err := metricValue(ctl.registry, "tgc_leader", nil); err != nil || v != 1 {
		t.Errorf("tgc_leader = %v (%v), want 1", v, err)
	}
	// The gauge follows the sync that made the call, which finishes (a
	// status health read, the status patch) after AWS already shows it.
	e.eventually(5*time.Second, "tgc_binding_targets{state=registered} to be 1", func() (bool, string) {
		v, err := metricValue(ctl.registry, "tgc_binding_targets", map[string]string{"binding": "web", "state": "registered"})
		return err == nil && v == 1, fmt.Sprintf("%v (%v)", v, err)
	})
}

func TestNamedServicePortAndNamedTargetPortResolveToTheContainerPort(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	// The Service port is named "web" and targets the container port named
	// "http" (9090): the binding names the Service port, and the target port
	// comes from the EndpointSlices.
	labels := e.app("named", 2, 9090)
	e.binding("named", "named", intstr.FromString("web"), arn)
	e.startController(e.controllerOptions())

	ready := func() []string { return e.readyPodTargets(labels, 9090) }
	e.waitReadyPods(labels, 2, 9090, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	e.waitHealthy(arn, 2, 15*time.Second)
}

func TestTargetGroupNameIsResolvedToItsARN(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	// arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID
	name := strings.Split(arn, "/")[1]
	labels := e.app("byname", 2, 8080)
	e.binding("byname", "byname", intstr.FromString("web"), "", func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.TargetGroupName = name
	})
	e.startController(e.controllerOptions())

	ready := func() []string { return e.readyPodTargets(labels, 8080) }
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	if got := e.waitReady("byname", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second).Status.TargetGroupARN; got != arn {
		t.Fatalf("status.targetGroupARN = %q, want %q resolved from name %q", got, arn, name)
	}
}

func TestASecondBindingOnATargetGroupIsRefusedUnlessBothAreMultiCluster(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	first := e.app("first", 2, 8080)
	e.app("second", 1, 8080)
	// Created in this order, and named so that a tie on the creation second
	// is decided the same way: a-first is the older binding.
	e.binding("a-first", "first", intstr.FromString("web"), arn)
	e.binding("b-second", "second", intstr.FromString("web"), arn)
	e.startController(e.controllerOptions())

	ready := func() []string { return e.readyPodTargets(first, 8080) }
	e.waitReadyPods(first, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	e.waitReady("a-first", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.waitReady("b-second", metav1.ConditionFalse, v1alpha1.ReasonTargetGroupConflict, 10*time.Second)
	e.waitEvent("b-second", corev1.EventTypeWarning, v1alpha1.ReasonTargetGroupConflict, 10*time.Second)
	// The group stays with the first binding's pods: nothing flaps.
	for range 3 {
		time.Sleep(500 * time.Millisecond)
		if got, want := e.members(arn), ready(); !slices.Equal(got, want) {
			t.Fatalf("target group holds %v, want only the first Service's pods %v", got, want)
		}
	}
}

func TestTwoBindingsOnOneServiceFillTwoTargetGroups(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arnA, arnB := e.targetGroup(), e.targetGroup()
	labels := e.app("shared", 3, 8080)
	e.binding("shared-a", "shared", intstr.FromInt32(80), arnA)
	e.binding("shared-b", "shared", intstr.FromString("web"), arnB)
	e.startController(e.controllerOptions())

	ready := func() []string { return e.readyPodTargets(labels, 8080) }
	e.waitReadyPods(labels, 3, 8080, 30*time.Second)
	e.waitMembers(arnA, ready, 15*time.Second)
	e.waitMembers(arnB, ready, 15*time.Second)
	e.scale("shared", 1)
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	e.waitMembers(arnA, ready, 15*time.Second)
	e.waitMembers(arnB, ready, 15*time.Second)
	e.waitReady("shared-a", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.waitReady("shared-b", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
}

func TestServiceAnnotationCreatesAnOwnedBindingAndRemovingItDeregisters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	e.selectorlessService("annotated", 80)
	e.slice("annotated", "annotated-1", 8080, "10.244.201.1", "10.244.201.2")
	e.startController(e.controllerOptions())

	svc := &corev1.Service{}
	key := types.NamespacedName{Namespace: e.ns, Name: "annotated"}
	if err := e.kube.Get(e.ctx, key, svc); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(svc.DeepCopy())
	svc.Annotations = map[string]string{"tgc.dev/target-group-arn": arn}
	if err := e.kube.Patch(e.ctx, svc, patch); err != nil {
		t.Fatal(err)
	}
	e.waitMembers(arn, func() []string { return []string{"10.244.201.1:8080", "10.244.201.2:8080"} }, 15*time.Second)
	tgb := e.getBinding("annotated-tgc")
	if len(tgb.OwnerReferences) != 1 || tgb.OwnerReferences[0].UID != svc.UID {
		t.Fatalf("binding owners = %+v, want the Service %s", tgb.OwnerReferences, svc.UID)
	}

	if err := e.kube.Get(e.ctx, key, svc); err != nil {
		t.Fatal(err)
	}
	patch = client.MergeFrom(svc.DeepCopy())
	delete(svc.Annotations, "tgc.dev/target-group-arn")
	if err := e.kube.Patch(e.ctx, svc, patch); err != nil {
		t.Fatal(err)
	}
	e.waitMembers(arn, func() []string { return nil }, 15*time.Second)
	e.eventually(10*time.Second, "the binding to be deleted", func() (bool, string) {
		err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "annotated-tgc"}, &v1alpha1.TargetGroupBinding{})
		return client.IgnoreNotFound(err) == nil && err != nil, "still there"
	})
}
