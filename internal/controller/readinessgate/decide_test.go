package readinessgate

import (
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"

var target = targets.Target{IP: netip.MustParseAddr("10.244.0.7"), Port: 8080}

type podOpt func(*corev1.Pod)

func gatedPod(opts ...podOpt) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web-1", UID: "uid-1"},
		Spec:       corev1.PodSpec{ReadinessGates: []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType("web")}}},
		Status: corev1.PodStatus{Conditions: []corev1.PodCondition{
			{Type: corev1.ContainersReady, Status: corev1.ConditionTrue},
		}},
	}
	for _, o := range opts {
		o(p)
	}
	return p
}

func withCondition(t corev1.PodConditionType, st corev1.ConditionStatus, reason string) podOpt {
	return func(p *corev1.Pod) {
		for i := range p.Status.Conditions {
			if p.Status.Conditions[i].Type == t {
				p.Status.Conditions[i].Status, p.Status.Conditions[i].Reason = st, reason
				return
			}
		}
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: st, Reason: reason})
	}
}

func gateTrue() podOpt {
	return withCondition(podgate.ConditionType("web"), corev1.ConditionTrue, ReasonTargetHealthy)
}

func containersUnready() podOpt {
	return withCondition(corev1.ContainersReady, corev1.ConditionFalse, "ContainersNotReady")
}

func terminating() podOpt {
	return func(p *corev1.Pod) { p.DeletionTimestamp = &metav1.Time{Time: time.Unix(100, 0)} }
}

func otherGate(st corev1.ConditionStatus) podOpt {
	return func(p *corev1.Pod) {
		p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: "example.com/other"})
		withCondition("example.com/other", st, "")(p)
	}
}

func health(state targets.State, reason string) map[targets.Key]targets.Health {
	return map[targets.Key]targets.Health{target.Key(): {Target: target, State: state, Reason: reason}}
}

func TestDecide(t *testing.T) {
	ep := &targets.PodEndpoint{Name: "web-1", Target: target}
	none := map[targets.Key]targets.Health{}
	cases := map[string]struct {
		pod      *corev1.Pod
		arn      string
		endpoint *targets.PodEndpoint
		health   map[targets.Key]targets.Health
		instance bool
		// want is the condition written; "" means nothing is written.
		wantStatus  corev1.ConditionStatus
		wantReason  string
		wantPending bool
		wantReady   bool
	}{
		"healthy target turns the gate True": {
			pod: gatedPod(), arn: arn, endpoint: ep, health: health(targets.StateHealthy, ""),
			wantStatus: corev1.ConditionTrue, wantReason: ReasonTargetHealthy, wantReady: true,
		},
		"initial target waits with the ELB reason": {
			pod: gatedPod(), arn: arn, endpoint: ep, health: health(targets.StateInitial, "Elb.InitialHealthChecking"),
			wantStatus: corev1.ConditionFalse, wantReason: "Elb.InitialHealthChecking", wantPending: true,
		},
		"registration in progress waits with the ELB reason": {
			pod: gatedPod(), arn: arn, endpoint: ep, health: health(targets.StateInitial, "Elb.RegistrationInProgress"),
			wantStatus: corev1.ConditionFalse, wantReason: "Elb.RegistrationInProgress", wantPending: true,
		},
		"unhealthy target keeps a False gate False with the ELB reason": {
			pod: gatedPod(), arn: arn, endpoint: ep, health: health(targets.StateUnhealthy, "Target.FailedHealthChecks"),
			wantStatus: corev1.ConditionFalse, wantReason: "Target.FailedHealthChecks", wantPending: true,
		},
		"target not in the group yet waits as not registered": {
			pod: gatedPod(), arn: arn, endpoint: ep, health: none,
			wantStatus: corev1.ConditionFalse, wantReason: targets.ReasonNotRegistered, wantPending: true,
		},
		"unresolved target group waits with tgc's reason": {
			pod: gatedPod(), endpoint: ep, health: none,
			wantStatus: corev1.ConditionFalse, wantReason: ReasonTargetGroupNotResolved, wantPending: true,
		},
		"pod without an endpoint yet waits with tgc's reason": {
			pod: gatedPod(), arn: arn, health: none,
			wantStatus: corev1.ConditionFalse, wantReason: ReasonEndpointNotFound, wantPending: true,
		},
		"health never read waits with tgc's reason": {
			pod: gatedPod(), arn: arn, endpoint: ep,
			wantStatus: corev1.ConditionFalse, wantReason: ReasonTargetHealthUnknown, wantPending: true,
		},
		"serving pod keeps its True gate when its target turns unhealthy": {
			pod: gatedPod(gateTrue()), arn: arn, endpoint: ep, health: health(targets.StateUnhealthy, "Target.FailedHealthChecks"),
			wantReady: true,
		},
		"serving pod keeps its True gate while health cannot be read": {
			pod: gatedPod(gateTrue()), arn: arn, endpoint: ep,
			wantReady: true,
		},
		"True gate turns False when the target left the group": {
			pod: gatedPod(gateTrue()), arn: arn, endpoint: ep, health: none,
			wantStatus: corev1.ConditionFalse, wantReason: targets.ReasonNotRegistered, wantPending: true,
		},
		"True gate turns False when the target drains": {
			pod: gatedPod(gateTrue()), arn: arn, endpoint: ep, health: health(targets.StateDraining, "Target.DeregistrationInProgress"),
			wantStatus: corev1.ConditionFalse, wantReason: "Target.DeregistrationInProgress", wantPending: true,
		},
		"True gate turns False when the containers stop being ready": {
			pod: gatedPod(gateTrue(), containersUnready()), arn: arn, endpoint: ep, health: health(targets.StateHealthy, ""),
			wantStatus: corev1.ConditionFalse, wantReason: ReasonContainersNotReady,
		},
		"pod whose containers are not ready is left alone": {
			pod: gatedPod(containersUnready()), arn: arn, endpoint: ep, health: health(targets.StateHealthy, ""),
		},
		"terminating pod is left alone even with a True gate": {
			pod: gatedPod(gateTrue(), terminating()), arn: arn, endpoint: ep, health: none,
			wantReady: true,
		},
		"pod held back by another controller's gate is left alone": {
			pod: gatedPod(otherGate(corev1.ConditionFalse)), arn: arn, endpoint: ep, health: health(targets.StateHealthy, ""),
		},
		"pod whose other gates are True is decided": {
			pod: gatedPod(otherGate(corev1.ConditionTrue)), arn: arn, endpoint: ep, health: health(targets.StateHealthy, ""),
			wantStatus: corev1.ConditionTrue, wantReason: ReasonTargetHealthy, wantReady: true,
		},
		"a gate on a pod of an instance binding turns True at once: the pod has no target": {
			pod: gatedPod(), arn: arn, instance: true,
			wantStatus: corev1.ConditionTrue, wantReason: ReasonInstanceTarget, wantReady: true,
		},
		"a gate on a pod of an instance binding turns True before the containers are ready": {
			pod: gatedPod(containersUnready()), instance: true,
			wantStatus: corev1.ConditionTrue, wantReason: ReasonInstanceTarget, wantReady: true,
		},
		"a terminating pod of an instance binding is left alone": {
			pod: gatedPod(terminating()), instance: true,
		},
		"gate already saying the same is not written again": {
			pod: gatedPod(func(p *corev1.Pod) {
				withCondition(podgate.ConditionType("web"), corev1.ConditionTrue, ReasonTargetHealthy)(p)
				podgate.GateCondition(p, "web").Message = "target 10.244.0.7:8080 is healthy in " + arn
			}), arn: arn, endpoint: ep, health: health(targets.StateHealthy, ""),
			wantReady: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := Decide(Observation{Pod: tc.pod, Binding: "web", ARN: tc.arn, Endpoint: tc.endpoint, Health: tc.health, Instance: tc.instance})
			if v.Pending != tc.wantPending || v.Ready != tc.wantReady {
				t.Errorf("pending=%v ready=%v, want pending=%v ready=%v", v.Pending, v.Ready, tc.wantPending, tc.wantReady)
			}
			if tc.wantStatus == "" {
				if v.Set != nil {
					t.Fatalf("writes %+v, want the pod left as it is", *v.Set)
				}
				return
			}
			if v.Set == nil {
				t.Fatalf("writes nothing, want %s/%s", tc.wantStatus, tc.wantReason)
			}
			if v.Set.Type != podgate.ConditionType("web") || v.Set.Status != tc.wantStatus || v.Set.Reason != tc.wantReason || v.Set.Message == "" {
				t.Fatalf("writes %+v, want %s/%s with a message", *v.Set, tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func TestDecideKeepsTheTransitionTimeWhenOnlyTheReasonChanges(t *testing.T) {
	since := metav1.NewTime(time.Unix(1000, 0))
	pod := gatedPod(withCondition(podgate.ConditionType("web"), corev1.ConditionFalse, "Elb.RegistrationInProgress"))
	podgate.GateCondition(pod, "web").LastTransitionTime = since
	v := Decide(Observation{Pod: pod, Binding: "web", ARN: arn, Endpoint: &targets.PodEndpoint{Target: target},
		Health: health(targets.StateInitial, "Elb.InitialHealthChecking")})
	if v.Set == nil || !v.Set.LastTransitionTime.Equal(&since) {
		t.Fatalf("condition = %+v, want the reason updated and lastTransitionTime kept at %s", v.Set, since)
	}
	v = Decide(Observation{Pod: pod, Binding: "web", ARN: arn, Endpoint: &targets.PodEndpoint{Target: target},
		Health: health(targets.StateHealthy, "")})
	if v.Set == nil || !v.Set.LastTransitionTime.IsZero() {
		t.Fatalf("condition = %+v, want a zero lastTransitionTime for the caller to stamp on a status change", v.Set)
	}
}

func TestRegistrable(t *testing.T) {
	cases := map[string]struct {
		pod  *corev1.Pod
		want bool
	}{
		"containers ready and gate waiting":     {pod: gatedPod(), want: true},
		"gate already True stays registrable":   {pod: gatedPod(gateTrue()), want: true},
		"containers not ready":                  {pod: gatedPod(containersUnready())},
		"terminating":                           {pod: gatedPod(terminating())},
		"another controller's gate is False":    {pod: gatedPod(otherGate(corev1.ConditionFalse))},
		"another controller's gate is True":     {pod: gatedPod(otherGate(corev1.ConditionTrue)), want: true},
		"pod without this binding's gate":       {pod: &corev1.Pod{Status: gatedPod().Status}},
		"pod with no ContainersReady condition": {pod: gatedPod(func(p *corev1.Pod) { p.Status.Conditions = nil })},
		"another tgc binding's gate does not bar": {pod: gatedPod(func(p *corev1.Pod) {
			p.Spec.ReadinessGates = append(p.Spec.ReadinessGates, corev1.PodReadinessGate{ConditionType: podgate.ConditionType("api")})
		}), want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := podgate.Registrable(tc.pod, "web"); got != tc.want {
				t.Fatalf("Registrable = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestPodChanged(t *testing.T) {
	base := gatedPod(func(p *corev1.Pod) { p.Status.PodIP = "10.244.0.7" })
	cases := map[string]struct {
		mutate func(*corev1.Pod)
		want   bool
	}{
		"probe time only is not a change": {mutate: func(p *corev1.Pod) { p.Status.Conditions[0].LastProbeTime = metav1.Now() }},
		"containers turning unready":      {mutate: containersUnready(), want: true},
		"deletion starting":               {mutate: terminating(), want: true},
		"gate condition appearing":        {mutate: withCondition(podgate.ConditionType("web"), corev1.ConditionFalse, "x"), want: true},
		"pod IP assigned":                 {mutate: func(p *corev1.Pod) { p.Status.PodIP = "10.244.0.8" }, want: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cur := base.DeepCopy()
			tc.mutate(cur)
			if got := podgate.PodChanged(base, cur); got != tc.want {
				t.Fatalf("podgate.PodChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
