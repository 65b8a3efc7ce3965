package integration

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
)

// An endpoint without a Pod behind it, as a hand-written EndpointSlice of a
// selectorless Service may list (here 10.244.1.99 without targetRef), is
// not registered by default: a tenant could otherwise put another team's
// pod or any address in the VPC behind their load balancer. A binding that
// opts in with targetSelection AnyEndpoint registers it.
func TestANonPodEndpointIsNotRegisteredAndAnOptedInBindingRegistersIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.selectorlessService("mixed", 80)
	e.slice("mixed", "mixed-pods", 8080, "10.244.190.1")
	e.bareSlice("mixed", "mixed-by-hand", 8080, "10.244.1.99")
	podsARN, anyARN := e.targetGroup(), e.targetGroup()
	e.binding("pods", "mixed", intstr.FromInt32(80), podsARN)
	ctl := e.startController(e.controllerOptions())

	e.waitMembers(podsARN, func() []string { return []string{"10.244.190.1:8080"} }, 15*time.Second)
	ev := e.waitEvent("pods", corev1.EventTypeWarning, binding.ReasonEndpointSkipped, 10*time.Second)
	t.Logf("event: %s", ev.Note)
	e.eventually(10*time.Second, "status.targets.skipped to count the endpoint", func() (bool, string) {
		got := e.getBinding("pods").Status.Targets.Skipped
		return got == 1, fmt.Sprintf("skipped = %d", got)
	})
	v, err := metricValue(ctl.registry, "tgc_binding_endpoints_skipped", map[string]string{"binding": "pods", "reason": "NoTargetRef"})
	if err != nil || v != 1 {
		t.Errorf("tgc_binding_endpoints_skipped{binding=pods,reason=NoTargetRef} = %v, %v; want 1", v, err)
	}
	e.waitReady("pods", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	if got := e.members(podsARN); len(got) != 1 {
		t.Errorf("members of the default binding's group = %v, want only the Pod's address", got)
	}

	e.binding("any", "mixed", intstr.FromInt32(80), anyARN, func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.TargetSelection = v1alpha1.TargetSelectionAnyEndpoint
	})
	e.waitMembers(anyARN, func() []string { return []string{"10.244.1.99:8080", "10.244.190.1:8080"} }, 15*time.Second)
	if got := e.getBinding("any").Status.Targets.Skipped; got != 0 {
		t.Errorf("status.targets.skipped of the opted-in binding = %d, want 0", got)
	}
}

// A dual-stack Pod lists its IPv6 address first, in status.podIP; its IPv4
// address, the one an IPv4 EndpointSlice carries, is only in
// status.podIPs.
func TestADualStackPodsIPv4AddressIsMatchedThroughStatusPodIPs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.selectorlessService("dual", 80)
	p := e.standInPod("dual-0", "fd00:10:244::5", "10.244.191.5")
	e.writeSlice("dual", "dual-1", 8080, []discoveryv1.Endpoint{{
		Addresses:  []string{"10.244.191.5"},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: e.ns, Name: p.Name, UID: p.UID},
	}})
	arn := e.targetGroup()
	e.binding("dual", "dual", intstr.FromInt32(80), arn)
	e.startController(e.controllerOptions())

	e.waitMembers(arn, func() []string { return []string{"10.244.191.5:8080"} }, 15*time.Second)
	tgb := e.waitReady("dual", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	if tgb.Status.Targets.Skipped != 0 {
		t.Errorf("status.targets.skipped = %d, want 0", tgb.Status.Targets.Skipped)
	}
}

// targetSelection is an enum: the API server refuses any other value.
func TestTheAPIServerRefusesAnUnknownTargetSelection(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tgb := &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "bad", Namespace: e.ns},
		Spec: v1alpha1.TargetGroupBindingSpec{
			TargetGroupARN:  e.targetGroup(),
			ServiceRef:      v1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)},
			TargetSelection: "Anything",
		},
	}
	if err := e.kube.Create(e.ctx, tgb); err == nil {
		t.Fatalf("a binding with targetSelection Anything was accepted")
	} else {
		t.Logf("refused: %v", err)
	}
	ok := tgb.DeepCopy()
	ok.ResourceVersion, ok.Spec.TargetSelection = "", ""
	e.create(ok)
	if got := e.getBinding("bad").Spec.TargetSelection; got != v1alpha1.TargetSelectionPods {
		t.Errorf("targetSelection defaulted to %q, want %q", got, v1alpha1.TargetSelectionPods)
	}
}
