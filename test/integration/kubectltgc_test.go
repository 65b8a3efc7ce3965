package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/kubectltgc"
)

// kubectlTgc runs kubectl tgc in this process with the cluster's admin
// kubeconfig, in the test's namespace, and AWS as the process's SDK
// environment points it: at the emulator.
func (e *env) kubectlTgc(args ...string) (code int, stdout, stderr string) {
	e.t.Helper()
	var out, errOut bytes.Buffer
	args = append(args, "--kubeconfig", shared.cluster.Kubeconfig, "-n", e.ns)
	code = kubectltgc.Main(e.ctx, args, &out, &errOut, kubectltgc.Deps{})
	return code, out.String(), errOut.String()
}

// writes counts the register and deregister calls on arn since t.
func writes(arn string, since time.Time) int {
	cs := calls(arn, since)
	return countCalls(cs, "RegisterTargets") + countCalls(cs, "DeregisterTargets")
}

// syncedWeb runs the app web with replicas pods, bound to a new target
// group, and a controller, and waits until the binding is Synced with
// every target healthy.
func (e *env) syncedWeb(replicas int32) (string, map[string]string, *controller) {
	e.t.Helper()
	arn := e.targetGroup()
	labels := e.app("web", replicas, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	ctl := e.startController(e.controllerOptions())
	e.waitReadyPods(labels, int(replicas), 8080, 30*time.Second)
	e.waitHealthy(arn, int(replicas), 15*time.Second)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	return arn, labels, ctl
}

type diffJSON struct {
	Items []struct {
		Name    string `json:"name"`
		Changes []struct {
			Action, Target, Pod string
		} `json:"changes"`
	} `json:"items"`
}

func TestKubectlTgcStatusAndDiffOfASyncedBindingAndOfOneThatIsBehind(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn, labels, ctl := e.syncedWeb(2)

	// Synced means an empty diff, worked out with the controller's own
	// planner from what the cluster and AWS say.
	code, out, errOut := e.kubectlTgc("diff", "web")
	if code != 0 || !strings.Contains(out, "no differences") {
		t.Fatalf("diff of a Synced binding exited %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = e.kubectlTgc("status")
	if code != 0 || !strings.Contains(out, "web") || !strings.Contains(out, "Synced") {
		t.Errorf("status exited %d:\n%s%s", code, out, errOut)
	}
	code, out, errOut = e.kubectlTgc("status", "web", "-o", "json")
	var st struct {
		Ready string                        `json:"ready"`
		Rows  []struct{ Pod, State string } `json:"targetRows"`
	}
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil {
		t.Fatalf("status web -o json exited %d (%v):\n%s%s", code, err, out, errOut)
	}
	if len(st.Rows) != 2 || st.Ready != "True" {
		t.Errorf("status web = %+v, want Ready True and 2 rows", st)
	}
	for _, r := range st.Rows {
		if r.Pod == "" || r.State != "healthy" {
			t.Errorf("row %+v, want a healthy target with its pod", r)
		}
	}

	// With the controller stopped, a new pod makes a difference, which
	// diff shows without writing.
	ctl.stop()
	stopped := time.Now()
	e.scale("web", 3)
	e.waitReadyPods(labels, 3, 8080, 30*time.Second)
	e.eventually(15*time.Second, "diff to show the new pod", func() (bool, string) {
		code, out, errOut = e.kubectlTgc("diff", "web", "-o", "json")
		var d diffJSON
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			return false, err.Error() + errOut
		}
		return code == 1 && len(d.Items) == 1 && len(d.Items[0].Changes) == 1 && d.Items[0].Changes[0].Action == "register", out
	})
	code, out, _ = e.kubectlTgc("diff", "web")
	if code != 1 || !strings.Contains(out, "register") || !strings.Contains(out, "ready endpoint of Service web") {
		t.Errorf("diff exited %d:\n%s", code, out)
	}
	if n := writes(arn, stopped); n != 0 {
		t.Errorf("%d writes to AWS while only kubectl tgc ran", n)
	}
}

// The guard: with the paused branch of the binding's sync switched off,
// the scale-up is registered and the write count fails this test.
func TestKubectlTgcPauseStopsEveryWriteAndResumeCatchesUp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn, labels, ctl := e.syncedWeb(2)

	code, out, errOut := e.kubectlTgc("pause", "web")
	if code != 0 || !strings.Contains(out, "paused") || !strings.Contains(errOut, "terminating pods stay registered") {
		t.Fatalf("pause exited %d:\n%s%s", code, out, errOut)
	}
	e.waitReady("web", metav1.ConditionFalse, v1alpha1.ReasonPaused, 10*time.Second)
	e.waitEvent("web", corev1.EventTypeWarning, v1alpha1.ReasonPaused, 5*time.Second)
	paused := time.Now()
	before := e.members(arn)

	e.scale("web", 3)
	e.waitReadyPods(labels, 3, 8080, 30*time.Second)
	e.eventually(15*time.Second, "the Ready message to say what tgc would do", func() (bool, string) {
		c := meta.FindStatusCondition(e.getBinding("web").Status.Conditions, v1alpha1.ConditionReady)
		return c != nil && c.Reason == v1alpha1.ReasonPaused && strings.Contains(c.Message, "would register 1 and deregister 0"), fmt.Sprint(c)
	})
	if n := writes(arn, paused); n != 0 {
		t.Errorf("%d writes to AWS for a paused binding", n)
	}
	if got := e.members(arn); strings.Join(got, ",") != strings.Join(before, ",") {
		t.Errorf("members changed while paused: %v, were %v", got, before)
	}
	if v, err := metricValue(ctl.registry, "tgc_binding_paused", map[string]string{"binding": "web"}); err != nil || v != 1 {
		t.Errorf("tgc_binding_paused = %v (%v), want 1", v, err)
	}
	code, out, errOut = e.kubectlTgc("status")
	if code != 0 || !strings.Contains(out, v1alpha1.ReasonPaused) || !strings.Contains(errOut, "is paused") {
		t.Errorf("status of a paused binding exited %d:\n%s%s", code, out, errOut)
	}
	if code, out, _ = e.kubectlTgc("diff", "web"); code != 1 || !strings.Contains(out, "register") {
		t.Errorf("diff of a paused binding behind its Service exited %d:\n%s", code, out)
	}

	code, out, errOut = e.kubectlTgc("resume", "web")
	if code != 0 || !strings.Contains(out, "resumed") {
		t.Fatalf("resume exited %d:\n%s%s", code, out, errOut)
	}
	e.waitMembers(arn, func() []string { return e.readyPodTargets(labels, 8080) }, 15*time.Second)
	e.waitHealthy(arn, 3, 15*time.Second)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 10*time.Second)
	e.waitEvent("web", corev1.EventTypeNormal, "Resumed", 5*time.Second)
	if code, out, _ = e.kubectlTgc("diff", "web"); code != 0 {
		t.Errorf("diff after resuming exited %d:\n%s", code, out)
	}
}

func TestKubectlTgcWhySaysWhereThePathToThePodBreaks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.app("lonely", 1, 8080) // a Service no binding binds
	e.syncedWeb(1)

	pod := func(app string) string {
		var pods corev1.PodList
		if err := e.kube.List(e.ctx, &pods, client.InNamespace(e.ns), client.MatchingLabels{"app": app}); err != nil || len(pods.Items) == 0 {
			t.Fatalf("finding a pod of %s: %v", app, err)
		}
		return pods.Items[0].Name
	}
	cases := map[string]struct {
		pod  string
		want string
	}{
		"a serving pod's target is healthy":    {pod: pod("web"), want: "is healthy in"},
		"a pod of an unbound Service":          {pod: pod("lonely"), want: "no TargetGroupBinding binds Service lonely"},
		"a pod without a Service selecting it": {pod: e.standInPod("orphan", "10.244.77.7").Name, want: "no Service selects pod orphan"},
	}
	for name, tc := range cases {
		code, out, errOut := e.kubectlTgc("why", tc.pod)
		if code != 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: why %s exited %d, want it to say %q:\n%s%s", name, tc.pod, code, tc.want, out, errOut)
		}
	}

	// A binding of a port the Service lacks is refused input: why says so.
	e.binding("web-81", "web", intstr.FromInt32(81), e.targetGroup())
	e.waitReady("web-81", metav1.ConditionFalse, v1alpha1.ReasonPortNotFound, 10*time.Second)
	if code, out, _ := e.kubectlTgc("why", pod("web")); code != 0 || !strings.Contains(out, "binding web-81 is not synced: PortNotFound") {
		t.Errorf("why with a binding of a missing port exited %d:\n%s", code, out)
	}
}

func TestKubectlTgcNamesWhatIsMissingAndExitsAbove1(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]struct {
		args []string
		want string
	}{
		"an unknown binding":          {args: []string{"status", "nope"}, want: `targetgroupbinding "nope" not found in namespace "` + e.ns + `"`},
		"an unknown binding to diff":  {args: []string{"diff", "nope"}, want: `targetgroupbinding "nope" not found`},
		"an unknown binding to pause": {args: []string{"pause", "nope"}, want: `targetgroupbinding "nope" not found`},
		"an unknown pod":              {args: []string{"why", "nope"}, want: `pod "nope" not found in namespace "` + e.ns + `"; check the name, or pass the pod's namespace with -n`},
		"an unknown output":           {args: []string{"status", "-o", "wide"}, want: `unknown output format "wide"`},
	}
	for name, tc := range cases {
		code, _, errOut := e.kubectlTgc(tc.args...)
		if code <= 1 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%s: exited %d, want >1 and an error saying %q; got %q", name, code, tc.want, errOut)
		}
	}
}

func TestAWriterThatComesBackWithinTheHourIsNamedOnTheBinding(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.app("web", 1, 8080)
	e.binding("web", "web", intstr.FromInt32(80), arn)
	o := e.controllerOptions()
	o.DriftInterval = time.Second // the drift check, where another writer shows
	ctl := e.startController(o)
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 15*time.Second)

	byHand := func() {
		_, err := e.aws.RegisterTargets(e.ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(arn),
			Targets: []elbtypes.TargetDescription{{Id: aws.String("10.244.99.1"), Port: aws.Int32(8080)}}})
		if err != nil {
			t.Fatalf("registering a target by hand: %v", err)
		}
		e.waitMembers(arn, func() []string { return e.readyPodTargets(labels, 8080) }, 15*time.Second)
	}
	byHand()
	e.waitEvent("web", corev1.EventTypeWarning, "DriftDetected", 5*time.Second)
	if c := meta.FindStatusCondition(e.getBinding("web").Status.Conditions, v1alpha1.ConditionForeignWriter); c != nil {
		t.Errorf("ForeignWriter after one change = %+v, want none", c)
	}
	byHand()
	e.eventually(10*time.Second, "the ForeignWriter condition", func() (bool, string) {
		c := meta.FindStatusCondition(e.getBinding("web").Status.Conditions, v1alpha1.ConditionForeignWriter)
		return c != nil && c.Status == metav1.ConditionTrue && strings.Contains(c.Message, "10.244.99.1:8080"), fmt.Sprint(c)
	})
	if v, err := metricValue(ctl.registry, "tgc_foreign_writes_corrected_total", map[string]string{"binding": "web"}); err != nil || v != 2 {
		t.Errorf("tgc_foreign_writes_corrected_total = %v (%v), want 2", v, err)
	}
	if code, _, errOut := e.kubectlTgc("status"); code != 0 || !strings.Contains(errOut, "has another writer") {
		t.Errorf("status exited %d without naming the other writer: %s", code, errOut)
	}
}
