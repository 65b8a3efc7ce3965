package kubelet

import (
	"net/netip"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func cond(t corev1.PodConditionType, s corev1.ConditionStatus) corev1.PodCondition {
	return corev1.PodCondition{Type: t, Status: s}
}

func TestReadyCondition(t *testing.T) {
	const gateA, gateB = corev1.PodConditionType("tgc.dev/a"), corev1.PodConditionType("tgc.dev/b")
	gates := []corev1.PodReadinessGate{{ConditionType: gateA}, {ConditionType: gateB}}
	ready := cond(corev1.ContainersReady, corev1.ConditionTrue)
	notReady := corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionFalse, Reason: reasonContainersNotReady, Message: "containers with unready status: [app]"}
	tests := map[string]struct {
		gates           []corev1.PodReadinessGate
		current         []corev1.PodCondition
		containersReady corev1.PodCondition
		wantStatus      corev1.ConditionStatus
		wantReason      string
		wantMessage     string
	}{
		"ready containers and no gates": {
			nil, nil, ready, corev1.ConditionTrue, "", "",
		},
		"unready containers win over true gates": {
			gates, []corev1.PodCondition{cond(gateA, corev1.ConditionTrue), cond(gateB, corev1.ConditionTrue)}, notReady,
			corev1.ConditionFalse, reasonContainersNotReady, "containers with unready status: [app]",
		},
		"missing gate condition keeps the pod unready": {
			gates, []corev1.PodCondition{cond(gateA, corev1.ConditionTrue)}, ready,
			corev1.ConditionFalse, reasonReadinessGatesNotReady, `corresponding condition of pod readiness gate "tgc.dev/b" does not exist.`,
		},
		"false gate condition keeps the pod unready": {
			gates, []corev1.PodCondition{cond(gateA, corev1.ConditionFalse), cond(gateB, corev1.ConditionTrue)}, ready,
			corev1.ConditionFalse, reasonReadinessGatesNotReady, `the status of pod readiness gate "tgc.dev/a" is not "True", but False`,
		},
		"every unready gate is named": {
			gates, nil, ready,
			corev1.ConditionFalse, reasonReadinessGatesNotReady,
			`corresponding condition of pod readiness gate "tgc.dev/a" does not exist., corresponding condition of pod readiness gate "tgc.dev/b" does not exist.`,
		},
		"all gates true makes the pod ready": {
			gates, []corev1.PodCondition{cond(gateA, corev1.ConditionTrue), cond(gateB, corev1.ConditionTrue)}, ready,
			corev1.ConditionTrue, "", "",
		},
		"conditions without a gate do not matter": {
			nil, []corev1.PodCondition{cond("example.com/other", corev1.ConditionFalse)}, ready,
			corev1.ConditionTrue, "", "",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := readyCondition(tc.gates, tc.current, tc.containersReady)
			if got.Type != corev1.PodReady || got.Status != tc.wantStatus || got.Reason != tc.wantReason || got.Message != tc.wantMessage {
				t.Errorf("readyCondition = %s/%s %q %q, want Ready/%s %q %q", got.Type, got.Status, got.Reason, got.Message, tc.wantStatus, tc.wantReason, tc.wantMessage)
			}
		})
	}
}

func testPod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "default", UID: "uid-1"},
		Spec: corev1.PodSpec{
			Containers:     []corev1.Container{{Name: "app", Image: "example/app:1"}},
			ReadinessGates: []corev1.PodReadinessGate{{ConditionType: "tgc.dev/registered"}},
		},
	}
}

func findCondition(s corev1.PodStatus, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

func TestDesiredStatus(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rt := podRuntime{
		IP:        netip.MustParseAddr("10.244.0.5"),
		HostIP:    netip.MustParseAddr("127.0.0.1"),
		StartedAt: now.Add(-time.Minute),
		Ready:     map[string]bool{"app": true},
	}

	t.Run("running pod reports IPs, phase and container state", func(t *testing.T) {
		s := desiredStatus(testPod(), rt, now)
		if s.Phase != corev1.PodRunning || s.PodIP != "10.244.0.5" || len(s.PodIPs) != 1 || s.HostIP != "127.0.0.1" || s.StartTime == nil {
			t.Fatalf("status = %+v", s)
		}
		cs := s.ContainerStatuses[0]
		if !cs.Ready || cs.Started == nil || !*cs.Started || cs.State.Running == nil {
			t.Errorf("container status = %+v", cs)
		}
		for _, c := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.ContainersReady} {
			if got := findCondition(s, c); got == nil || got.Status != corev1.ConditionTrue {
				t.Errorf("condition %s = %+v, want True", c, got)
			}
		}
		if got := findCondition(s, corev1.PodReady); got == nil || got.Status != corev1.ConditionFalse {
			t.Errorf("Ready = %+v, want False while the gate has no condition", got)
		}
	})

	t.Run("gate condition written by another actor is kept and makes the pod ready", func(t *testing.T) {
		pod := testPod()
		pod.Status.Conditions = []corev1.PodCondition{{Type: "tgc.dev/registered", Status: corev1.ConditionTrue, Reason: "Registered"}}
		s := desiredStatus(pod, rt, now)
		if got := findCondition(s, "tgc.dev/registered"); got == nil || got.Reason != "Registered" {
			t.Errorf("gate condition = %+v, want it kept as written", got)
		}
		if got := findCondition(s, corev1.PodReady); got.Status != corev1.ConditionTrue {
			t.Errorf("Ready = %+v, want True", got)
		}
	})

	t.Run("unchanged conditions keep their transition time so nothing is rewritten", func(t *testing.T) {
		first := desiredStatus(testPod(), rt, now)
		pod := testPod()
		pod.Status = first
		second := desiredStatus(pod, rt, now.Add(time.Hour))
		for _, c := range second.Conditions {
			if !c.LastTransitionTime.Equal(&findCondition(first, c.Type).LastTransitionTime) {
				t.Errorf("condition %s moved its transition time", c.Type)
			}
		}
	})

	t.Run("unready container makes ContainersReady false with the kubelet's message", func(t *testing.T) {
		unready := rt
		unready.Ready = map[string]bool{}
		s := desiredStatus(testPod(), unready, now)
		got := findCondition(s, corev1.ContainersReady)
		if got.Status != corev1.ConditionFalse || got.Message != "containers with unready status: [app]" {
			t.Errorf("ContainersReady = %+v", got)
		}
		if s.ContainerStatuses[0].Ready {
			t.Error("container reported ready")
		}
	})

	t.Run("terminated pod succeeded and is not ready", func(t *testing.T) {
		done := rt
		done.FinishedAt = now
		s := desiredStatus(testPod(), done, now)
		if s.Phase != corev1.PodSucceeded || s.ContainerStatuses[0].State.Terminated == nil {
			t.Fatalf("status = %+v", s)
		}
		if got := findCondition(s, corev1.PodReady); got.Status != corev1.ConditionFalse {
			t.Errorf("Ready = %+v, want False", got)
		}
	})
}
