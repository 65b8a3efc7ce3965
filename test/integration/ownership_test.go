package integration

import (
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// A duplicate binding, refused for naming a group another binding holds,
// must not take the holder's targets with it when it is deleted: it never
// held the group, so it never gets the finalizer.
func TestDeletingARefusedBindingLeavesTheOwnersTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("owner", 3, 8080)
	e.binding("owner", "owner", intstr.FromString("web"), arn)
	e.startController(e.controllerOptions())
	ready := func() []string { return e.readyPodTargets(labels, 8080) }
	e.waitReadyPods(labels, 3, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)

	e.app("other", 1, 8080)
	dup := e.binding("dup", "other", intstr.FromString("web"), arn)
	e.waitReady("dup", metav1.ConditionFalse, v1alpha1.ReasonTargetGroupConflict, 10*time.Second)
	if b := e.getBinding("dup"); controllerutil.ContainsFinalizer(b, v1alpha1.Finalizer) {
		t.Fatalf("the refused binding carries the finalizer %s", v1alpha1.Finalizer)
	}
	if err := e.kube.Delete(e.ctx, dup); err != nil {
		t.Fatal(err)
	}
	e.eventually(10*time.Second, "the refused binding to be gone", func() (bool, string) {
		err := e.kube.Get(e.ctx, client.ObjectKeyFromObject(dup), &v1alpha1.TargetGroupBinding{})
		return apierrors.IsNotFound(err), "still there"
	})
	// The owner's targets stay, and not one of them drains.
	for range 4 {
		time.Sleep(250 * time.Millisecond)
		health := e.targetHealth(arn)
		for _, m := range ready() {
			if st := health[m]; st == "" || st == "draining" {
				t.Fatalf("owner's target %s is %q after the refused binding was deleted: %v", m, st, health)
			}
		}
	}
	e.waitReady("owner", metav1.ConditionTrue, v1alpha1.ReasonSynced, 5*time.Second)
}

// Duplicates are found on the resolved group, so a binding by name and a
// binding by ARN of the same group conflict like two ARN bindings do.
func TestAnARNBindingAndANameBindingOnOneGroupConflict(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	name := strings.Split(arn, "/")[1]
	labels := e.app("byarn", 2, 8080)
	e.app("byname", 1, 8080)
	e.binding("byarn", "byarn", intstr.FromString("web"), arn)
	e.startController(e.controllerOptions())
	ready := func() []string { return e.readyPodTargets(labels, 8080) }
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)

	e.binding("byname", "byname", intstr.FromString("web"), "", func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.TargetGroupName = name
	})
	e.waitReady("byname", metav1.ConditionFalse, v1alpha1.ReasonTargetGroupConflict, 10*time.Second)
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		if got, want := e.members(arn), ready(); !slices.Equal(got, want) {
			t.Fatalf("target group holds %v, want only the ARN binding's pods %v", got, want)
		}
	}
}

// A binding cannot be turned onto another group, nor from an ARN to a name:
// the API server refuses the edit, so an old binding never takes a live
// group.
func TestAnEditOfTheTargetGroupIsRefusedByTheAPIServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn, other := e.targetGroup(), e.targetGroup()
	e.selectorlessService("fixed", 80)
	e.binding("fixed", "fixed", intstr.FromInt32(80), arn)

	edits := map[string]func(*v1alpha1.TargetGroupBinding){
		"another ARN": func(b *v1alpha1.TargetGroupBinding) { b.Spec.TargetGroupARN = other },
		"the ARN swapped for a name": func(b *v1alpha1.TargetGroupBinding) {
			b.Spec.TargetGroupARN, b.Spec.TargetGroupName = "", strings.Split(other, "/")[1]
		},
		"a name added to the ARN": func(b *v1alpha1.TargetGroupBinding) { b.Spec.TargetGroupName = strings.Split(other, "/")[1] },
	}
	for what, edit := range edits {
		b := e.getBinding("fixed")
		patch := client.MergeFrom(b.DeepCopy())
		edit(b)
		err := e.kube.Patch(e.ctx, b, patch)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "cannot change") {
			t.Errorf("%s: patch = %v, want the API server to refuse it as invalid", what, err)
		}
	}
	// Other fields stay editable.
	b := e.getBinding("fixed")
	patch := client.MergeFrom(b.DeepCopy())
	b.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	if err := e.kube.Patch(e.ctx, b, patch); err != nil {
		t.Fatalf("editing deletionPolicy: %v", err)
	}
}

// Deleting and recreating an annotated Service garbage-collects the binding
// it owns. Under emptyEndpointsPolicy Retain (the default) that deletion
// must not empty the group: the binding of the recreated Service adopts the
// targets, and no healthy target ever drains.
func TestDeletingAndRecreatingAnAnnotatedServiceKeepsItsTargets(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("annotated", 2, 8080)
	annotate := func(svc *corev1.Service) {
		svc.Annotations = map[string]string{"tgc.dev/target-group-arn": arn, "tgc.dev/target-group-port": "web"}
	}
	key := types.NamespacedName{Namespace: e.ns, Name: "annotated"}
	svc := &corev1.Service{}
	if err := e.kube.Get(e.ctx, key, svc); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(svc.DeepCopy())
	annotate(svc)
	if err := e.kube.Patch(e.ctx, svc, patch); err != nil {
		t.Fatal(err)
	}
	e.startController(e.controllerOptions())
	ready := func() []string { return e.readyPodTargets(labels, 8080) }
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
	e.waitHealthy(arn, 2, 15*time.Second)
	old := e.getBinding("annotated-tgc")

	if err := e.kube.Delete(e.ctx, svc); err != nil {
		t.Fatal(err)
	}
	e.eventually(20*time.Second, "the garbage collector to delete the Service's binding", func() (bool, string) {
		err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "annotated-tgc"}, &v1alpha1.TargetGroupBinding{})
		return apierrors.IsNotFound(err), "still there"
	})
	recreated := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "annotated", Namespace: e.ns}, Spec: svc.Spec}
	recreated.Spec.ClusterIP, recreated.Spec.ClusterIPs = "", nil
	annotate(recreated)
	if err := e.kube.Create(e.ctx, recreated); err != nil {
		t.Fatal(err)
	}
	e.eventually(20*time.Second, "a new binding for the recreated Service", func() (bool, string) {
		b := &v1alpha1.TargetGroupBinding{}
		err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "annotated-tgc"}, b)
		return err == nil && b.UID != old.UID, "not yet"
	})
	b := e.waitReady("annotated-tgc", metav1.ConditionTrue, v1alpha1.ReasonSynced, 15*time.Second)
	if b.Status.TargetGroupARN != arn {
		t.Errorf("new binding's status.targetGroupARN = %q, want %q", b.Status.TargetGroupARN, arn)
	}
	// Every target stayed healthy throughout: none was deregistered.
	health := e.targetHealth(arn)
	for _, m := range ready() {
		if health[m] != "healthy" {
			t.Errorf("target %s is %q after the Service was recreated, want healthy: %v", m, health[m], health)
		}
	}
	if n := len(health); n != 2 {
		t.Errorf("group holds %d targets, want the 2 pods: %v", n, health)
	}
}

// In multi-cluster mode a binding may remove only what it registered. The
// record of that outlives the binding (the ledger), so a binding made again
// for the same Service, after the first was deleted under Retain, owns the
// targets its predecessor registered: when the Service scales down, the
// removed pod's target leaves the group.
func TestANewMultiClusterBindingOfAServiceAdoptsWhatItsPredecessorRegistered(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("shared", 2, 8080)
	multiRetain := func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.MultiClusterTargetGroup = true
		b.Spec.DeletionPolicy = v1alpha1.DeletionPolicyRetain
	}
	first := e.binding("first", "shared", intstr.FromString("web"), arn, multiRetain)
	o := e.controllerOptions()
	// Where POD_NAMESPACE puts it in the shipped Deployment, the only
	// namespace whose ConfigMaps the shipped role lets tgc write.
	o.OwnershipNamespace = e.ControllerNamespace
	e.startController(o)
	ready := func() []string { return e.readyPodTargets(labels, 8080) }
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)

	if err := e.kube.Delete(e.ctx, first); err != nil {
		t.Fatal(err)
	}
	e.eventually(10*time.Second, "the first binding to be gone", func() (bool, string) {
		err := e.kube.Get(e.ctx, client.ObjectKeyFromObject(first), &v1alpha1.TargetGroupBinding{})
		return apierrors.IsNotFound(err), "still there"
	})
	kept := e.members(arn)
	if len(kept) != 2 {
		t.Fatalf("group holds %v after a Retain deletion, want both targets", kept)
	}
	e.binding("second", "shared", intstr.FromString("web"), arn, multiRetain)
	e.waitReady("second", metav1.ConditionTrue, v1alpha1.ReasonSynced, 15*time.Second)
	if got := e.getBinding("second").Status.OwnedTargets; !slices.Equal(got, kept) {
		t.Errorf("second binding owns %v, want its predecessor's %v", got, kept)
	}

	e.scale("shared", 1)
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	e.waitMembers(arn, ready, 15*time.Second)
}
