package integration

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
)

// brakeEvidenceTTL is how long a binding's creation counts as an edit that
// explains removals in these tests; the tests wait it out before the change
// they are about.
const brakeEvidenceTTL = 2 * time.Second

func (e *env) brakeOptions() manager.Options {
	o := e.controllerOptions()
	o.BrakeEvidenceTTL = brakeEvidenceTTL
	return o
}

// noEvent fails the test if the binding has an Event with this reason.
func (e *env) noEvent(name, reason string) {
	e.t.Helper()
	var list corev1.EventList
	if err := e.kube.List(e.ctx, &list, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	for _, ev := range list.Items {
		if ev.InvolvedObject.Name == name && ev.Reason == reason {
			e.t.Fatalf("binding %s has a %s Event: %s", name, reason, ev.Message)
		}
	}
}

// holdsSeen is how many DeregistrationHeld Events the binding has.
func (e *env) holdsSeen(name string) int {
	e.t.Helper()
	var list corev1.EventList
	if err := e.kube.List(e.ctx, &list, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, ev := range list.Items {
		if ev.InvolvedObject.Name == name && ev.Reason == v1alpha1.ReasonDeregistrationHeld {
			n++
		}
	}
	return n
}

func (e *env) serviceSlices(service string) []discoveryv1.EndpointSlice {
	e.t.Helper()
	var list discoveryv1.EndpointSliceList
	if err := e.kube.List(e.ctx, &list, client.InNamespace(e.ns), client.MatchingLabels{discoveryv1.LabelServiceName: service}); err != nil {
		e.t.Fatal(err)
	}
	return list.Items
}

func readyEndpoints(slices []discoveryv1.EndpointSlice) int {
	n := 0
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				n++
			}
		}
	}
	return n
}

// A Service with 150 endpoints has two EndpointSlices (the EndpointSlice
// controller puts up to 100 endpoints in one). Deleting one by hand takes
// 100 healthy targets out of the desired set for as long as the controller
// takes to recreate it; tgc holds them instead of deregistering them.
func TestALostEndpointSliceIsHeldUntilTheEndpointSliceControllerRecreatesItAndNothingIsRemoved(t *testing.T) {
	const replicas = 150
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("web", replicas, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	ctl := e.startController(e.brakeOptions())

	start := time.Now()
	e.waitReadyPods(labels, replicas, 8080, 3*time.Minute)
	t.Logf("%d pods ready in %s", replicas, time.Since(start).Round(time.Millisecond))
	e.waitHealthy(arn, replicas, time.Minute)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	time.Sleep(brakeEvidenceTTL) // the binding's creation no longer explains removals

	var lost discoveryv1.EndpointSlice
	e.eventually(30*time.Second, "two slices listing every endpoint", func() (bool, string) {
		s := e.serviceSlices("web")
		if len(s) != 2 || readyEndpoints(s) != replicas {
			return false, fmt.Sprintf("%d slices with %d ready endpoints", len(s), readyEndpoints(s))
		}
		lost = s[0]
		if len(s[1].Endpoints) > len(lost.Endpoints) {
			lost = s[1]
		}
		return true, ""
	})
	deleted := time.Now()
	if err := e.kube.Delete(e.ctx, &lost); err != nil {
		t.Fatal(err)
	}
	t.Logf("deleted EndpointSlice %s with %d endpoints", lost.Name, len(lost.Endpoints))
	e.eventually(30*time.Second, "the EndpointSlice controller to list every endpoint again", func() (bool, string) {
		s := e.serviceSlices("web")
		return readyEndpoints(s) == replicas, fmt.Sprintf("%d ready endpoints in %d slices", readyEndpoints(s), len(s))
	})
	t.Logf("slice recreated %s after the deletion", time.Since(deleted).Round(time.Millisecond))
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	// A sync that would remove the targets has had time to run.
	time.Sleep(time.Second)

	if n := countCalls(calls(arn, deleted), "DeregisterTargets"); n != 0 {
		t.Fatalf("%d DeregisterTargets calls after the slice was deleted, want 0", n)
	}
	if got := len(e.members(arn)); got != replicas {
		t.Fatalf("%d members after the slice came back, want %d", got, replicas)
	}
	// The EndpointSlice controller takes about a second to recreate the
	// slice (its queue's rate limiter), far longer than a sync.
	if n := e.holdsSeen("web"); n != 1 {
		t.Errorf("%d DeregistrationHeld Events, want 1: tgc should have held the targets while the slice was gone", n)
	}
	if v, err := metricValue(ctl.registry, "tgc_binding_deregistrations_held", map[string]string{"binding": "web"}); err != nil || v != 0 {
		t.Errorf("tgc_binding_deregistrations_held = %v (%v) after the hold ended, want 0", v, err)
	}
}

// Argo Rollouts' blue/green promotion switches the active Service's
// selector while the old pods still run: a deliberate edit, which moves
// every target at once without a hold.
func TestABlueGreenSelectorSwitchMovesTheTargetsWithNoHold(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	blue := e.app("blue", 3, 8080)
	green := e.app("green", 3, 8080)
	e.create(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "active"},
		Spec: corev1.ServiceSpec{Selector: blue,
			Ports: []corev1.ServicePort{{Name: "web", Port: 80, TargetPort: intstr.FromString("http")}}},
	})
	e.binding("active", "active", intstr.FromInt32(80), arn)
	e.startController(e.brakeOptions())

	e.waitReadyPods(blue, 3, 8080, time.Minute)
	e.waitReadyPods(green, 3, 8080, time.Minute)
	e.waitMembers(arn, func() []string { return e.readyPodTargets(blue, 8080) }, 30*time.Second)
	e.waitHealthy(arn, 3, 30*time.Second)
	time.Sleep(brakeEvidenceTTL)

	svc := &corev1.Service{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "active"}, svc); err != nil {
		t.Fatal(err)
	}
	orig := svc.DeepCopy()
	svc.Spec.Selector = green
	if err := e.kube.Patch(e.ctx, svc, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}

	e.waitMembers(arn, func() []string { return e.readyPodTargets(green, 8080) }, 30*time.Second)
	e.waitReady("active", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.noEvent("active", v1alpha1.ReasonDeregistrationHeld)
	if got := len(e.readyPodTargets(blue, 8080)); got != 3 {
		t.Fatalf("%d blue pods ready after the switch, want 3: the switch must move targets between running pods", got)
	}
}

// A scale-down from 6 to 2 removes two thirds of the group, but every
// removed target's pod is terminating: evidence, so no hold.
func TestAScaleDownFromSixToTwoDoesNotTriggerTheBrake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("web", 6, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	ctl := e.startController(e.brakeOptions())
	ready := func() []string { return e.readyPodTargets(labels, 8080) }

	e.waitReadyPods(labels, 6, 8080, time.Minute)
	e.waitMembers(arn, ready, 30*time.Second)
	e.waitHealthy(arn, 6, 30*time.Second)
	time.Sleep(brakeEvidenceTTL)

	e.scale("web", 2)
	e.waitReadyPods(labels, 2, 8080, time.Minute)
	e.waitMembers(arn, ready, 15*time.Second)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.noEvent("web", v1alpha1.ReasonDeregistrationHeld)
	if v, err := metricValue(ctl.registry, "tgc_binding_deregistrations_held", map[string]string{"binding": "web"}); err != nil || v != 0 {
		t.Errorf("tgc_binding_deregistrations_held = %v (%v), want 0", v, err)
	}
}

// serveHealthy answers HTTP 200 on the loopback address the emulator dials
// for pod IP ip, so that a stand-in Pod's target turns healthy.
func (e *env) serveHealthy(ip string, port int) {
	e.t.Helper()
	a := netip.MustParseAddr(ip).As4()
	loop := netip.AddrFrom4([4]byte{127, a[1], a[2], a[3]})
	ln, err := net.Listen("tcp", netip.AddrPortFrom(loop, uint16(port)).String())
	if err != nil {
		e.t.Fatalf("serving %s: %v", ip, err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}), ReadHeaderTimeout: time.Second}
	go func() { _ = srv.Serve(ln) }()
	e.t.Cleanup(func() { _ = srv.Shutdown(context.Background()) })
}

// A hand-written slice that drops three of four healthy endpoints whose
// Pods still run and are Ready is held; the user confirms the count the
// condition names, and the three go, and the annotation with them.
func TestAConfirmedHoldReleases(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	ips := []string{"10.244.241.1", "10.244.241.2", "10.244.241.3", "10.244.241.4"}
	for _, ip := range ips {
		e.serveHealthy(ip, 8080)
	}
	e.selectorlessService("web", 80)
	e.slice("web", "web-1", 8080, ips...)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	e.startController(e.brakeOptions())
	e.waitHealthy(arn, 4, 30*time.Second)
	time.Sleep(brakeEvidenceTTL)

	e.slice("web", "web-1", 8080, ips[0])
	tgb := e.waitReady("web", metav1.ConditionFalse, v1alpha1.ReasonDeregistrationHeld, 10*time.Second)
	msg := meta.FindStatusCondition(tgb.Status.Conditions, v1alpha1.ConditionReady).Message
	if !strings.Contains(msg, "holding the deregistration of 3 healthy targets") || !strings.Contains(msg, v1alpha1.ConfirmDeregistrationAnnotation+`="3"`) {
		t.Fatalf("Ready message %q does not name the 3 held targets and the confirmation", msg)
	}
	e.waitEvent("web", corev1.EventTypeWarning, v1alpha1.ReasonDeregistrationHeld, 5*time.Second)
	if got := len(e.members(arn)); got != 4 {
		t.Fatalf("%d members during the hold, want 4", got)
	}

	orig := tgb.DeepCopy()
	if tgb.Annotations == nil {
		tgb.Annotations = map[string]string{}
	}
	tgb.Annotations[v1alpha1.ConfirmDeregistrationAnnotation] = "3"
	if err := e.kube.Patch(e.ctx, tgb, client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
	e.waitMembers(arn, func() []string { return []string{ips[0] + ":8080"} }, 10*time.Second)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.waitEvent("web", corev1.EventTypeNormal, "DeregistrationConfirmed", 5*time.Second)
	e.eventually(5*time.Second, "the confirmation annotation to be removed", func() (bool, string) {
		_, ok := e.getBinding("web").Annotations[v1alpha1.ConfirmDeregistrationAnnotation]
		return !ok, ""
	})
}
