package readinessgate

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

func TestPolicyOf(t *testing.T) {
	const def = 5 * time.Minute
	cases := map[string]struct {
		policy *v1alpha1.ReadinessGatePolicy
		want   Policy
	}{
		"no policy holds after --gate-timeout": {
			want: Policy{Timeout: def},
		},
		"the binding's timeout replaces --gate-timeout": {
			policy: &v1alpha1.ReadinessGatePolicy{Timeout: &metav1.Duration{Duration: 2 * time.Second}},
			want:   Policy{Timeout: 2 * time.Second},
		},
		"onTimeout Ready releases the gate": {
			policy: &v1alpha1.ReadinessGatePolicy{OnTimeout: v1alpha1.GateTimeoutReady},
			want:   Policy{Timeout: def, ReadyOnTimeout: true},
		},
		"onTimeout Hold holds": {
			policy: &v1alpha1.ReadinessGatePolicy{OnTimeout: v1alpha1.GateTimeoutHold},
			want:   Policy{Timeout: def},
		},
		"a zero timeout from an older CRD falls back to --gate-timeout, never releasing at once": {
			policy: &v1alpha1.ReadinessGatePolicy{Timeout: &metav1.Duration{}, OnTimeout: v1alpha1.GateTimeoutReady},
			want:   Policy{Timeout: def, ReadyOnTimeout: true},
		},
		"a negative timeout from an older CRD falls back to --gate-timeout": {
			policy: &v1alpha1.ReadinessGatePolicy{Timeout: &metav1.Duration{Duration: -time.Second}, OnTimeout: v1alpha1.GateTimeoutReady},
			want:   Policy{Timeout: def, ReadyOnTimeout: true},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			tgb := &v1alpha1.TargetGroupBinding{Spec: v1alpha1.TargetGroupBindingSpec{ReadinessGate: tc.policy}}
			if got := PolicyOf(tgb, def); got != tc.want {
				t.Fatalf("PolicyOf = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestApplyTimeout(t *testing.T) {
	hold := Policy{Timeout: 2 * time.Second}
	release := Policy{Timeout: 2 * time.Second, ReadyOnTimeout: true}
	failing := Verdict{Pending: true, Set: &corev1.PodCondition{Type: podgate.ConditionType("web"), Status: corev1.ConditionFalse, Reason: "Target.FailedHealthChecks"}}
	timedOut := withCondition(podgate.ConditionType("web"), corev1.ConditionTrue, ReasonGateTimedOut)

	cases := map[string]struct {
		pod       *corev1.Pod
		verdict   Verdict
		policy    Policy
		waited    time.Duration
		wantReady bool
		// wantReason is the reason written; "" when nothing is written.
		wantReason string
	}{
		"Hold keeps an overdue gate False": {
			pod: gatedPod(), verdict: failing, policy: hold, waited: time.Minute,
			wantReason: "Target.FailedHealthChecks",
		},
		"Ready leaves a gate alone before its timeout": {
			pod: gatedPod(), verdict: failing, policy: release, waited: time.Second,
			wantReason: "Target.FailedHealthChecks",
		},
		"Ready sets an overdue gate True with GateTimedOut": {
			pod: gatedPod(), verdict: failing, policy: release, waited: 2 * time.Second,
			wantReady: true, wantReason: ReasonGateTimedOut,
		},
		"Ready releases an overdue gate whose verdict writes nothing": {
			pod: gatedPod(), verdict: Verdict{Pending: true}, policy: release, waited: time.Minute,
			wantReady: true, wantReason: ReasonGateTimedOut,
		},
		"a released gate is not turned False again by the next poll": {
			pod: gatedPod(timedOut), verdict: failing, policy: release, waited: time.Minute,
			wantReady: true,
		},
		"a gate that is not pending is never released": {
			pod: gatedPod(containersUnready()), verdict: Verdict{}, policy: release, waited: time.Hour,
		},
		"a healthy target's True gate is kept as Decide wrote it": {
			pod: gatedPod(), policy: release, waited: time.Hour,
			verdict:   Verdict{Ready: true, Set: &corev1.PodCondition{Status: corev1.ConditionTrue, Reason: ReasonTargetHealthy}},
			wantReady: true, wantReason: ReasonTargetHealthy,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := ApplyTimeout(tc.verdict, tc.pod, "web", tc.policy, tc.waited)
			if got.Ready != tc.wantReady {
				t.Errorf("Ready = %v, want %v", got.Ready, tc.wantReady)
			}
			reason := ""
			if got.Set != nil {
				reason = got.Set.Reason
			}
			if reason != tc.wantReason {
				t.Errorf("written reason = %q, want %q", reason, tc.wantReason)
			}
			if got.Set != nil && got.Set.Reason == ReasonGateTimedOut {
				if got.Set.Status != corev1.ConditionTrue || got.Pending {
					t.Errorf("released gate = %+v pending %v, want True and not pending", got.Set, got.Pending)
				}
			}
		})
	}
}
