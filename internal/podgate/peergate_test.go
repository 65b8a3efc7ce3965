package podgate

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestGatesOf(t *testing.T) {
	cases := map[string]struct {
		annotations map[string]string
		want        []string
	}{
		"a binding answers for its own gate":                               {nil, []string{"web"}},
		"a binding migrated from the peer also answers for the peer's one": {map[string]string{v1alpha1.MigratedFromAnnotation: "TargetGroupBinding.elbv2.k8s.aws/old-web"}, []string{"web", "elbv2.k8s.aws/old-web"}},
		"an annotation without a name adds nothing":                        {map[string]string{v1alpha1.MigratedFromAnnotation: "TargetGroupBinding.elbv2.k8s.aws/"}, []string{"web"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tgb := &v1alpha1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Name: "web", Annotations: tc.annotations}}
			if got := GatesOf(tgb); !slices.Equal(got, tc.want) {
				t.Errorf("GatesOf = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPeerGateConditionTypeIsThePeers(t *testing.T) {
	if got := ConditionType(PeerGate("web")); got != "target-health.elbv2.k8s.aws/web" {
		t.Errorf("ConditionType(PeerGate(web)) = %q", got)
	}
	if got := BindingOfGate(PeerGate("web")); got != "web" {
		t.Errorf("BindingOfGate = %q, want web", got)
	}
	pod := &corev1.Pod{Spec: corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{
		{ConditionType: ConditionType("a")}, {ConditionType: "target-health.elbv2.k8s.aws/b"}, {ConditionType: "example.com/other"},
	}}}
	if got, want := Gates(pod), []string{"a", PeerGate("b")}; !slices.Equal(got, want) {
		t.Errorf("Gates = %v, want %v", got, want)
	}
	if got := Bindings(pod); !slices.Equal(got, []string{"a"}) {
		t.Errorf("Bindings = %v; the peer's gate is no tgc binding's", got)
	}
}

func TestRegistrableThroughThePeersGate(t *testing.T) {
	peerGate := corev1.PodConditionType("target-health.elbv2.k8s.aws/web")
	pod := func(gates []corev1.PodConditionType, conds ...corev1.PodCondition) *corev1.Pod {
		p := &corev1.Pod{Status: corev1.PodStatus{Conditions: append([]corev1.PodCondition{{Type: corev1.ContainersReady, Status: corev1.ConditionTrue}}, conds...)}}
		for _, g := range gates {
			p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: g})
		}
		return p
	}
	falseOf := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionFalse}
	}
	cases := map[string]struct {
		pod  *corev1.Pod
		gate string
		want bool
	}{
		"a pod without the gate is not registrable through it":              {pod(nil, falseOf(peerGate)), PeerGate("web"), false},
		"the peer's gate does not hold back the pod it gates":               {pod([]corev1.PodConditionType{peerGate}, falseOf(peerGate)), PeerGate("web"), true},
		"through tgc's own gate, the peer's False gate still holds it back": {pod([]corev1.PodConditionType{ConditionType("web"), peerGate}, falseOf(peerGate)), "web", false},
		"another binding's peer gate holds it back":                         {pod([]corev1.PodConditionType{peerGate, "target-health.elbv2.k8s.aws/api"}, falseOf(peerGate), falseOf("target-health.elbv2.k8s.aws/api")), PeerGate("web"), false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Registrable(tc.pod, tc.gate); got != tc.want {
				t.Errorf("Registrable = %v, want %v", got, tc.want)
			}
		})
	}
}
