package kubectltgc

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/explain"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata with the output the tests produce")

// now is the fixed present of every golden file.
var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

const arnWeb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/kubectltgc -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test ./internal/kubectltgc -update rewrites it):\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func at(ago time.Duration) metav1.Time { return metav1.NewTime(now.Add(-ago)) }

func webBinding() *v1alpha1.TargetGroupBinding {
	sync := at(12 * time.Second)
	return &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: v1alpha1.TargetGroupBindingSpec{TargetGroupARN: arnWeb,
			ServiceRef: v1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)}},
		Status: v1alpha1.TargetGroupBindingStatus{
			TargetGroupARN: arnWeb,
			Conditions: []metav1.Condition{{Type: v1alpha1.ConditionReady, Status: metav1.ConditionFalse, Reason: v1alpha1.ReasonDeregistrationHeld,
				Message: "holding the deregistration of 1 healthy targets (10.0.0.9:8080) of 3"}},
			Targets:      v1alpha1.TargetCounts{Desired: 3, Registered: 4, Healthy: 3, Initial: 1},
			LastSyncTime: &sync,
		},
	}
}

func target(ip string) targets.Target {
	return targets.Target{IP: netip.MustParseAddr(ip), Port: 8080}
}

func health(ip string, s targets.State, reason string) targets.Health {
	return targets.Health{Target: target(ip), State: s, Reason: reason}
}

// rollout is a binding in the middle of a rolling update: web-1 serves,
// web-2 waits for its gate, web-3 terminates, web-4 is new, and 10.0.0.9
// vanished without evidence, so the brake holds it.
func rollout() binding.Preview {
	pods := map[types.UID]targets.PodEndpoint{}
	for i, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		name := "web-" + string(rune('1'+i))
		pods[types.UID(name)] = targets.PodEndpoint{Name: name, Target: target(ip), Terminating: ip == "10.0.0.3"}
	}
	return binding.Preview{
		TargetGroup: elbv2.TargetGroup{ARN: arnWeb, Name: "web"},
		Desired: targets.DesiredResult{
			Targets:     []targets.Target{target("10.0.0.1"), target("10.0.0.2"), target("10.0.0.4")},
			Gated:       []targets.Target{target("10.0.0.2")},
			Terminating: []targets.Target{target("10.0.0.3")},
			Pods:        pods,
		},
		Health: []targets.Health{
			health("10.0.0.1", targets.StateHealthy, ""),
			health("10.0.0.2", targets.StateInitial, "Elb.InitialHealthChecking"),
			health("10.0.0.3", targets.StateHealthy, ""),
			health("10.0.0.9", targets.StateHealthy, ""),
		},
		Plan: targets.Plan{Register: []targets.Target{target("10.0.0.4")}, Deregister: []targets.Target{target("10.0.0.3")}},
		Held: []targets.Target{target("10.0.0.9")},
	}
}

func rolloutPods() map[string]*corev1.Pod {
	gate := corev1.PodReadinessGate{ConditionType: v1alpha1.ReadinessGateConditionPrefix + "web"}
	pod := func(name string, gated bool, conds ...corev1.PodCondition) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name}, Spec: corev1.PodSpec{NodeName: "node-a"},
			Status: corev1.PodStatus{Conditions: conds}}
		if gated {
			p.Spec.ReadinessGates = []corev1.PodReadinessGate{gate}
		}
		return p
	}
	return map[string]*corev1.Pod{
		"web-1": pod("web-1", true, corev1.PodCondition{Type: gate.ConditionType, Status: corev1.ConditionTrue, Reason: "TargetHealthy", LastTransitionTime: at(3 * time.Minute)}),
		"web-2": pod("web-2", true, corev1.PodCondition{Type: gate.ConditionType, Status: corev1.ConditionFalse, Reason: "Elb.InitialHealthChecking", LastTransitionTime: at(40 * time.Second)}),
		"web-3": pod("web-3", false, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionFalse, LastTransitionTime: at(5 * time.Second)}),
		"web-4": pod("web-4", false, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: at(2 * time.Second)}),
	}
}

func TestStatusListGolden(t *testing.T) {
	paused := webBinding()
	paused.Namespace, paused.Name, paused.Spec.Paused = "blog", "blog", true
	paused.Status.Conditions[0].Reason = v1alpha1.ReasonPaused
	paused.Status.LastSyncTime = nil
	items := []bindingSummary{summarize(webBinding()), summarize(paused)}
	var out, errOut bytes.Buffer
	if err := writeSummaries(&out, items, true, now, false); err != nil {
		t.Fatal(err)
	}
	warnings(&errOut, items)
	golden(t, "status-list.golden", append(out.Bytes(), errOut.Bytes()...))
}

func TestStatusDetailGolden(t *testing.T) {
	var out bytes.Buffer
	if err := writeDetail(&out, detail(webBinding(), rollout(), rolloutPods(), nil), now, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "status-detail.golden", out.Bytes())
}

func TestDiffGolden(t *testing.T) {
	var out bytes.Buffer
	synced := webBinding()
	synced.Name = "api"
	p := rollout()
	p.Plan, p.Held = targets.Plan{}, nil
	ds := []bindingDiff{diffOf(webBinding(), rollout()), diffOf(synced, p)}
	if err := writeDiffs(&out, &out, ds, false, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "diff.golden", out.Bytes())
}

func TestWhyGolden(t *testing.T) {
	pods := rolloutPods()
	pod := pods["web-2"]
	pod.UID, pod.Status.PodIP = "web-2", "10.0.0.2"
	pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: corev1.ContainersReady, Status: corev1.ConditionTrue})
	f := explain.Facts{Pod: podFacts(pod), Services: []string{"web"},
		Bindings: []explain.Binding{bindingFacts(pod, webBinding(), rollout(), true, nil)}}
	var out bytes.Buffer
	if err := writeWhy(&out, whyOutput{Pod: "shop/web-2", Findings: explain.Explain(f, now)}, false); err != nil {
		t.Fatal(err)
	}
	golden(t, "why.golden", out.Bytes())
}
