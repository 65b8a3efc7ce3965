package integration

import (
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	gatecontroller "github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// gatePolicy sets the binding's readinessGate, on a group it shares with
// the test's other binding.
func gatePolicy(timeout time.Duration, on v1alpha1.GateTimeoutAction) bindingOption {
	return func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.MultiClusterTargetGroup = true
		b.Spec.ReadinessGate = &v1alpha1.ReadinessGatePolicy{Timeout: &metav1.Duration{Duration: timeout}, OnTimeout: on}
	}
}

// Two bindings share one target group; each app's pods fail the health
// check, so their targets never turn healthy. The global --gate-timeout is
// ten minutes, so only the bindings' own 2s timeouts can fire within the
// test: onTimeout Ready releases its pod's gate with GateTimedOut, Hold
// keeps its pod not-Ready and warns.
func TestOnTimeoutReadySetsTheGateTrueWithGateTimedOutAndHoldKeepsThePodNotReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	releaseLabels := e.gatedApp("release", 1, failHealth)
	holdLabels := e.gatedApp("hold", 1, failHealth)
	e.binding("release", "release", intstr.FromInt32(80), arn, gatePolicy(2*time.Second, v1alpha1.GateTimeoutReady))
	e.binding("hold", "hold", intstr.FromInt32(80), arn, gatePolicy(2*time.Second, v1alpha1.GateTimeoutHold))
	o := e.controllerOptions()
	o.GatePollInterval = 500 * time.Millisecond
	o.GateTimeout = 10 * time.Minute
	ctl := e.startController(o)

	var released string
	e.eventually(30*time.Second, "the onTimeout Ready pod's gate to be True with GateTimedOut and the pod Ready", func() (bool, string) {
		pods := e.pods(releaseLabels)
		if len(pods) != 1 {
			return false, "no pod yet"
		}
		p := &pods[0]
		released = p.Name
		c := podCondition(p, podgate.ConditionType("release"))
		if c == nil {
			return false, "no gate condition yet"
		}
		return isTrue(c) && c.Reason == gatecontroller.ReasonGateTimedOut && isTrue(podCondition(p, "Ready")), c.Reason + ": " + c.Message
	})
	e.waitEvent(released, "Warning", gatecontroller.ReasonGateTimedOut, 5*time.Second)
	// The target never turned healthy: the gate was released by the policy,
	// not by the load balancer.
	if p, err := e.getPod(released); err != nil {
		t.Fatal(err)
	} else if got := e.targetHealth(arn)[podTarget(p, 8080)]; got == "healthy" {
		t.Fatalf("target of the released pod is healthy; the test needs one that never is")
	}

	hold := e.pods(holdLabels)
	if len(hold) != 1 {
		t.Fatalf("hold app has %d pods, want 1", len(hold))
	}
	// Hold warns once its own 2s timeout passes, long before --gate-timeout.
	e.waitEvent(hold[0].Name, "Warning", gatecontroller.ReasonGateTimeout, 15*time.Second)
	// And keeps the pod out for as long as its target is unhealthy.
	for range 4 {
		p, err := e.getPod(hold[0].Name)
		if err != nil {
			t.Fatal(err)
		}
		if c := podCondition(p, podgate.ConditionType("hold")); isTrue(c) || isTrue(podCondition(p, "Ready")) {
			t.Fatalf("the onTimeout Hold pod turned Ready: gate %+v", c)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if v, err := metricValue(ctl.registry, "tgc_readiness_gate_stuck", map[string]string{"binding": "hold"}); err != nil || v != 1 {
		t.Errorf("tgc_readiness_gate_stuck{binding=hold} = %v (%v), want 1", v, err)
	}
	if v, err := metricValue(ctl.registry, "tgc_readiness_gate_stuck", map[string]string{"binding": "release"}); err != nil || v != 0 {
		t.Errorf("tgc_readiness_gate_stuck{binding=release} = %v (%v), want 0: a released gate is not stuck", v, err)
	}
}

// The schema refuses a policy tgc could not follow, with a message that
// says what is wrong, before any controller sees it.
func TestABadReadinessGatePolicyIsRefusedByTheAPIServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]struct {
		policy map[string]any
		want   string
	}{
		"a negative timeout":            {policy: map[string]any{"timeout": "-5s"}, want: "spec.readinessGate.timeout"},
		"a timeout of zero":             {policy: map[string]any{"timeout": "0s"}, want: "timeout must be a duration between 1s and 24h"},
		"an absurd timeout":             {policy: map[string]any{"timeout": "9000h"}, want: "timeout must be a duration between 1s and 24h"},
		"a timeout that is no duration": {policy: map[string]any{"timeout": "soon"}, want: "spec.readinessGate.timeout"},
		"an unknown onTimeout":          {policy: map[string]any{"onTimeout": "Retry"}, want: `supported values: "Hold", "Ready"`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			b := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": v1alpha1.GroupVersion.String(),
				"kind":       "TargetGroupBinding",
				"metadata":   map[string]any{"namespace": e.ns, "generateName": "bad-"},
				"spec": map[string]any{
					"targetGroupARN": "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
					"serviceRef":     map[string]any{"name": "web", "port": int64(80)},
					"readinessGate":  tc.policy,
				},
			}}
			err := e.kube.Create(e.ctx, b)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("creating a binding with readinessGate %v: %v; want Invalid mentioning %q", tc.policy, err, tc.want)
			}
			t.Logf("refused: %v", err)
		})
	}
	t.Run("a valid policy is accepted with its defaults filled in", func(t *testing.T) {
		b := e.binding("fine", "web", intstr.FromInt32(80), "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
			func(b *v1alpha1.TargetGroupBinding) {
				b.Spec.ReadinessGate = &v1alpha1.ReadinessGatePolicy{Timeout: &metav1.Duration{Duration: 90 * time.Second}}
			})
		got := e.getBinding(b.Name).Spec.ReadinessGate
		if got == nil || !got.Injects() || got.OnTimeout != v1alpha1.GateTimeoutHold || got.Timeout.Duration != 90*time.Second {
			t.Fatalf("stored readinessGate = %+v, want inject true, onTimeout Hold, timeout 90s", got)
		}
	})
}
