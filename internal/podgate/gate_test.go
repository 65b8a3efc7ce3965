package podgate

import (
	"slices"
	"testing"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
)

func TestConditionTypeRoundTrips(t *testing.T) {
	got := ConditionType("web")
	if got != "target-health.elbv2.tgc.dev/web" {
		t.Fatalf("ConditionType(web) = %q", got)
	}
	name, ok := BindingName(got)
	if !ok || name != "web" {
		t.Fatalf("BindingName(%q) = %q, %v; want web, true", got, name, ok)
	}
}

func TestBindingName(t *testing.T) {
	cases := map[string]struct {
		in     corev1.PodConditionType
		want   string
		wantOK bool
	}{
		"tgc gate yields its binding":               {in: "target-health.elbv2.tgc.dev/api", want: "api", wantOK: true},
		"peer controller's gate is not ours":        {in: "target-health.elbv2.k8s.aws/api", wantOK: false},
		"built-in condition is not ours":            {in: corev1.PodReady, wantOK: false},
		"prefix without a binding name is not ours": {in: v1alpha1.ReadinessGateConditionPrefix, wantOK: false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := BindingName(tc.in)
			if got != tc.want || ok != tc.wantOK {
				t.Fatalf("BindingName(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestBindings(t *testing.T) {
	cases := map[string]struct {
		gates []corev1.PodReadinessGate
		want  []string
	}{
		"pod without gates carries none": {},
		"only tgc gates are reported, in spec order": {
			gates: []corev1.PodReadinessGate{
				{ConditionType: ConditionType("b")},
				{ConditionType: "target-health.elbv2.k8s.aws/other"},
				{ConditionType: ConditionType("a")},
			},
			want: []string{"b", "a"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pod := &corev1.Pod{Spec: corev1.PodSpec{ReadinessGates: tc.gates}}
			if got := Bindings(pod); !slices.Equal(got, tc.want) {
				t.Fatalf("Bindings = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHasGate(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{{ConditionType: ConditionType("web")}}}}
	if !HasGate(pod, "web") {
		t.Error("pod with the web gate: HasGate(web) = false")
	}
	if HasGate(pod, "api") {
		t.Error("pod without the api gate: HasGate(api) = true")
	}
}

func TestGateCondition(t *testing.T) {
	pod := &corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{
		{Type: corev1.PodReady, Status: corev1.ConditionFalse},
		{Type: ConditionType("web"), Status: corev1.ConditionFalse, Reason: "Elb.InitialHealthChecking"},
	}}}

	if got := GateCondition(pod, "api"); got != nil {
		t.Fatalf("GateCondition(api) = %+v, want nil for an unset condition", got)
	}
	got := GateCondition(pod, "web")
	if got == nil || got.Reason != "Elb.InitialHealthChecking" {
		t.Fatalf("GateCondition(web) = %+v, want the web condition", got)
	}
	// The pointer aims into the pod so the controller can edit a copy in place.
	got.Status = corev1.ConditionTrue
	if pod.Status.Conditions[1].Status != corev1.ConditionTrue {
		t.Fatal("editing the returned condition did not change the pod")
	}
}
