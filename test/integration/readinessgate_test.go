package integration

import (
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	gatecontroller "github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// gatedApp creates a Deployment whose pod template carries, written by hand
// as users without the webhook do, the readiness gate of the binding named
// like the app, and a Service on port 80. Its containers have no readiness
// probe, so they are ready as soon as they listen: only the gate holds the
// pods back. The target group checks /healthz, which the kubelet.tgc.dev/
// fail-health annotation makes fail.
func (e *env) gatedApp(name string, replicas int32, mutate ...func(*appsv1.Deployment)) map[string]string {
	e.t.Helper()
	a := testcluster.App{Name: name, Replicas: replicas, ServicePortName: "web"}
	d := a.Deployment()
	d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(1))
	d.Spec.Template.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType(name)}}
	for _, m := range mutate {
		m(d)
	}
	e.create(d)
	e.create(a.Service())
	return a.Labels()
}

func failHealth(d *appsv1.Deployment) {
	if d.Spec.Template.Annotations == nil {
		d.Spec.Template.Annotations = map[string]string{}
	}
	d.Spec.Template.Annotations[kubelet.AnnotationFailHealth] = "true"
}

// pods lists the live (not terminating) pods with the labels.
func (e *env) pods(labels map[string]string) []corev1.Pod {
	e.t.Helper()
	var list corev1.PodList
	if err := e.kube.List(e.ctx, &list, client.InNamespace(e.ns), client.MatchingLabels(labels)); err != nil {
		e.t.Fatalf("listing pods: %v", err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if p.DeletionTimestamp == nil {
			out = append(out, p)
		}
	}
	return out
}

func podCondition(p *corev1.Pod, t corev1.PodConditionType) *corev1.PodCondition {
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == t {
			return &p.Status.Conditions[i]
		}
	}
	return nil
}

func isTrue(c *corev1.PodCondition) bool { return c != nil && c.Status == corev1.ConditionTrue }

func podTarget(p *corev1.Pod, port int) string {
	return netip.AddrPortFrom(netip.MustParseAddr(p.Status.PodIP), uint16(port)).String()
}

func (e *env) getPod(name string) (*corev1.Pod, error) {
	p := &corev1.Pod{}
	err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: name}, p)
	return p, err
}

func (e *env) setPodAnnotation(name, key, value string) {
	e.t.Helper()
	p, err := e.getPod(name)
	if err != nil {
		e.t.Fatal(err)
	}
	patch := client.MergeFrom(p.DeepCopy())
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[key] = value
	if err := e.kube.Patch(e.ctx, p, patch); err != nil {
		e.t.Fatalf("annotating pod %s: %v", name, err)
	}
}

// waitReasons are the reasons a gate may show while it waits: the ones
// DescribeTargetHealth gives a target that is not healthy (yet), which tgc
// copies, and tgc's own for the moments before the binding has resolved its
// target group or the EndpointSlice lists the pod. Target.Timeout is there
// because a loaded machine can make a health check outlast its timeout.
var waitReasons = []string{
	"Target.NotRegistered", "Elb.RegistrationInProgress", "Elb.InitialHealthChecking", "Target.FailedHealthChecks", "Target.ResponseCodeMismatch", "Target.Timeout",
	gatecontroller.ReasonTargetGroupNotResolved, gatecontroller.ReasonEndpointNotFound,
}

// failingCheck is the ELB reason for a health check answered with 503.
const failingCheck = "Target.ResponseCodeMismatch"

func TestGatedPodStaysNotReadyUntilItsTargetIsHealthyThenTurnsReadyWithinAPollInterval(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.gatedApp("gated", 1, failHealth)
	e.binding("gated", "gated", intstr.FromInt32(80), arn)
	o := e.controllerOptions()
	o.GatePollInterval = time.Second
	ctl := e.startController(o)
	gate := podgate.ConditionType("gated")

	// The containers are ready, the target is registered (the pod is
	// registered although not Ready) and fails its health checks: the gate
	// says so with the ELB's reason, and the pod is not Ready.
	var pod corev1.Pod
	e.eventually(30*time.Second, "the gate to report failing health checks", func() (bool, string) {
		ps := e.pods(labels)
		if len(ps) != 1 {
			return false, fmt.Sprintf("%d pods", len(ps))
		}
		pod = ps[0]
		c := podCondition(&pod, gate)
		if c == nil {
			return false, "no gate condition yet"
		}
		if !slices.Contains(waitReasons, c.Reason) || c.Status != corev1.ConditionFalse {
			t.Fatalf("gate condition while waiting = %s/%s (%s), want False with one of %v", c.Status, c.Reason, c.Message, waitReasons)
		}
		return c.Reason == failingCheck, c.Reason + ": " + c.Message
	})
	if !isTrue(podCondition(&pod, corev1.ContainersReady)) || isTrue(podCondition(&pod, corev1.PodReady)) {
		t.Fatalf("pod conditions = %+v, want containers ready and the pod not Ready", pod.Status.Conditions)
	}
	if got := e.targetHealth(arn)[podTarget(&pod, 8080)]; got != "unhealthy" {
		t.Fatalf("target of the gated pod is %q, want it registered and unhealthy", got)
	}
	// It stays so: the gate never turns True while the target is unhealthy.
	time.Sleep(2 * o.GatePollInterval)
	if p, _ := e.getPod(pod.Name); isTrue(podCondition(p, gate)) || isTrue(podCondition(p, corev1.PodReady)) {
		t.Fatalf("gate or Ready turned True while the target is unhealthy: %+v", p.Status.Conditions)
	}

	// The app recovers. The test watches the target group and the pod side
	// by side to time the gate against the target turning healthy.
	e.setPodAnnotation(pod.Name, kubelet.AnnotationFailHealth, "false")
	var healthyAt, readyAt time.Time
	e.eventually(30*time.Second, "the pod to become Ready", func() (bool, string) {
		now := time.Now()
		if healthyAt.IsZero() && e.targetHealth(arn)[podTarget(&pod, 8080)] == "healthy" {
			healthyAt = now
		}
		p, err := e.getPod(pod.Name)
		if err != nil {
			return false, err.Error()
		}
		if isTrue(podCondition(p, gate)) && isTrue(podCondition(p, corev1.PodReady)) {
			readyAt = now
			return !healthyAt.IsZero(), ""
		}
		return false, fmt.Sprintf("gate %+v", podCondition(p, gate))
	})
	lag := readyAt.Sub(healthyAt)
	t.Logf("target healthy -> pod Ready: %s (poll interval %s)", lag, o.GatePollInterval)
	// One poll interval, plus the test's own 100ms polling and the
	// kubelet's status write.
	if lag > o.GatePollInterval+500*time.Millisecond {
		t.Errorf("pod turned Ready %s after its target turned healthy, want within one poll interval (%s)", lag, o.GatePollInterval)
	}
	p, _ := e.getPod(pod.Name)
	if c := podCondition(p, gate); c.Reason != gatecontroller.ReasonTargetHealthy {
		t.Errorf("gate condition = %+v, want reason %s", c, gatecontroller.ReasonTargetHealthy)
	}
	if v, err := metricValue(ctl.registry, "tgc_readiness_gate_ready_seconds", nil); err != nil || v != 1 {
		t.Errorf("tgc_readiness_gate_ready_seconds has %v samples (%v), want 1", v, err)
	}
	e.waitMembers(arn, func() []string { return e.readyPodTargets(labels, 8080) }, 10*time.Second)
}

func TestFailingHealthCheckKeepsTheGateFalseHoldsTheRolloutAndWarnsAfterTheTimeout(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.gatedApp("roll", 2)
	e.binding("roll", "roll", intstr.FromInt32(80), arn)
	o := e.controllerOptions()
	o.GatePollInterval = 500 * time.Millisecond
	o.GateTimeout = 3 * time.Second
	ctl := e.startController(o)
	gate := podgate.ConditionType("roll")

	old := e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, func() []string { return old }, 10*time.Second)
	e.waitHealthy(arn, 2, 10*time.Second)

	// A new revision whose app fails the load balancer's health check.
	e.patchDeployment("roll", failHealth)
	var sick corev1.Pod
	e.eventually(30*time.Second, "the new pod's gate to report failing health checks", func() (bool, string) {
		for _, p := range e.pods(labels) {
			if p.Annotations[kubelet.AnnotationFailHealth] != "true" {
				continue
			}
			sick = p
			c := podCondition(&p, gate)
			if c == nil {
				return false, "no gate condition yet"
			}
			return c.Status == corev1.ConditionFalse && c.Reason == failingCheck, c.Reason
		}
		return false, "no pod of the new revision yet"
	})
	// The gate timeout fires once, on the pod and on the binding.
	e.waitEvent(sick.Name, corev1.EventTypeWarning, gatecontroller.ReasonGateTimeout, 10*time.Second)
	e.waitEvent("roll", corev1.EventTypeWarning, gatecontroller.ReasonGateTimeout, 5*time.Second)
	if v, err := metricValue(ctl.registry, "tgc_readiness_gate_stuck", map[string]string{"binding": "roll"}); err != nil || v != 1 {
		t.Errorf("tgc_readiness_gate_stuck = %v (%v), want 1", v, err)
	}
	// The rollout does not proceed: both old pods are Ready and registered,
	// the new one is not Ready.
	if got := e.readyPodTargets(labels, 8080); !slices.Equal(got, old) {
		t.Fatalf("ready pods during the held rollout = %v, want the old ones %v", got, old)
	}
	health := e.targetHealth(arn)
	for _, o := range old {
		if health[o] != "healthy" {
			t.Errorf("old target %s is %q during the held rollout, want healthy", o, health[o])
		}
	}
	if p, _ := e.getPod(sick.Name); isTrue(podCondition(p, corev1.PodReady)) {
		t.Fatalf("pod of the failing revision turned Ready")
	}

	// A fixed revision rolls out; at the end the group holds exactly the
	// ready pods, and the stuck gauge is back to zero.
	e.patchDeployment("roll", func(d *appsv1.Deployment) { delete(d.Spec.Template.Annotations, kubelet.AnnotationFailHealth) })
	e.eventually(60*time.Second, "the fixed revision to roll out", func() (bool, string) {
		d := &appsv1.Deployment{}
		if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: "roll"}, d); err != nil {
			return false, err.Error()
		}
		s := d.Status
		return s.ObservedGeneration == d.Generation && s.UpdatedReplicas == 2 && s.ReadyReplicas == 2 && s.Replicas == 2,
			fmt.Sprintf("%+v", s)
	})
	final := e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, func() []string { return final }, 15*time.Second)
	e.eventually(10*time.Second, "the stuck gauge to clear", func() (bool, string) {
		v, err := metricValue(ctl.registry, "tgc_readiness_gate_stuck", map[string]string{"binding": "roll"})
		return err == nil && v == 0, fmt.Sprint(v, err)
	})
}

func (e *env) patchDeployment(name string, mutate func(*appsv1.Deployment)) {
	e.t.Helper()
	d := &appsv1.Deployment{}
	if err := e.kube.Get(e.ctx, types.NamespacedName{Namespace: e.ns, Name: name}, d); err != nil {
		e.t.Fatal(err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	mutate(d)
	if err := e.kube.Patch(e.ctx, d, patch); err != nil {
		e.t.Fatalf("patching deployment %s: %v", name, err)
	}
}

func TestPodGracePeriodShorterThanTheDeregistrationDelayIsWarnedOncePerWorkload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	if _, err := e.aws.ModifyTargetGroupAttributes(e.ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("20")}},
	}); err != nil {
		t.Fatal(err)
	}
	// terminationGracePeriodSeconds is 1 in the test app: far below 20s.
	labels := e.app("grace", 2, 8080)
	e.binding("grace", "grace", intstr.FromInt32(80), arn)
	e.startController(e.controllerOptions())
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)

	ev := e.waitEvent("grace", corev1.EventTypeWarning, "GracePeriodTooShort", 15*time.Second)
	if !strings.Contains(ev.Note, "Deployment grace") || !strings.Contains(ev.Note, "terminationGracePeriodSeconds=1") || !strings.Contains(ev.Note, "20s") {
		t.Errorf("binding Event note = %q, want it to name the Deployment, the grace period and the delay", ev.Note)
	}
	// And on the Deployment itself.
	e.eventually(5*time.Second, "the Deployment's warning", func() (bool, string) {
		n := e.countEvents("Deployment", "grace", "GracePeriodTooShort")
		return n == 1, fmt.Sprint(n)
	})

	// More pods of the same Deployment: no second warning.
	e.scale("grace", 4)
	e.waitReadyPods(labels, 4, 8080, 30*time.Second)
	time.Sleep(time.Second)
	if n := e.countEvents("TargetGroupBinding", "grace", "GracePeriodTooShort"); n != 1 {
		t.Errorf("%d GracePeriodTooShort Events on the binding, want 1 per workload", n)
	}
}

// countEvents counts Event occurrences (series included) of a reason on an
// object of this kind and name.
func (e *env) countEvents(kind, name, reason string) int {
	e.t.Helper()
	var list eventsv1.EventList
	if err := e.kube.List(e.ctx, &list, client.InNamespace(e.ns)); err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, ev := range list.Items {
		if ev.Regarding.Kind != kind || ev.Regarding.Name != name || ev.Reason != reason {
			continue
		}
		n++
		if ev.Series != nil {
			n += int(ev.Series.Count) - 1
		}
	}
	return n
}

func TestTerminatingPodIsDeregisteredAtOnceWhileItStillServesAndBeforeItsReplacementRegisters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	labels := e.gatedApp("drain", 2, func(d *appsv1.Deployment) {
		// The recipe: a preStop sleep keeps the pod serving while the load
		// balancer stops sending to it; the grace period covers it.
		d.Spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To(int64(10))
		d.Spec.Template.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}}
	})
	e.binding("drain", "drain", intstr.FromInt32(80), arn)
	ctl := e.startController(e.controllerOptions())
	before := e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, func() []string { return before }, 10*time.Second)
	e.waitHealthy(arn, 2, 10*time.Second)

	victim := e.pods(labels)[0]
	target := podTarget(&victim, 8080)
	deleted := time.Now()
	if err := e.kube.Delete(e.ctx, &victim); err != nil {
		t.Fatal(err)
	}
	var deregAt time.Time
	e.eventually(5*time.Second, "DeregisterTargets for the deleted pod", func() (bool, string) {
		for _, c := range calls(arn, deleted) {
			if c.Action == "DeregisterTargets" && c.Result == "OK" {
				deregAt = c.Time
				return true, ""
			}
		}
		return false, "no DeregisterTargets yet"
	})
	// At that moment the pod still exists (in its preStop) and serves.
	p, err := e.getPod(victim.Name)
	if err != nil || p.UID != victim.UID || p.DeletionTimestamp == nil {
		t.Fatalf("pod after DeregisterTargets: %v, %v; want it still there and terminating", p, err)
	}
	loop := shared.cluster.Kubelet.LoopbackAddr(netip.MustParseAddr(victim.Status.PodIP))
	resp, err := http.Get("http://" + netip.AddrPortFrom(loop, 8080).String() + "/")
	if err != nil {
		t.Fatalf("terminating pod does not serve after its deregistration: %v", err)
	}
	resp.Body.Close()
	t.Logf("pod deleted -> DeregisterTargets done: %s", deregAt.Sub(deleted))
	if d := deregAt.Sub(deleted); d > 2*time.Second {
		t.Errorf("DeregisterTargets came %s after the deletion, want at once (well within the 5s preStop)", d)
	}
	if st := e.targetHealth(arn)[target]; st != "draining" && st != "" {
		t.Errorf("deleted pod's target is %q, want draining or gone", st)
	}

	// The replacement registers only after that.
	after := e.waitReadyPods(labels, 2, 8080, 30*time.Second)
	e.waitMembers(arn, func() []string { return after }, 10*time.Second)
	var firstRegister time.Time
	for _, c := range calls(arn, deleted) {
		if c.Action == "RegisterTargets" && c.Result == "OK" {
			firstRegister = c.Time
			break
		}
	}
	if firstRegister.IsZero() || !deregAt.Before(firstRegister) {
		t.Errorf("replacement registered at %s, deleted pod deregistered at %s; want deregistration first", firstRegister, deregAt)
	}
	if v, err := metricValue(ctl.registry, "tgc_pod_deletion_to_deregistered_seconds", nil); err != nil || v < 1 {
		t.Errorf("tgc_pod_deletion_to_deregistered_seconds has %v samples (%v), want at least 1", v, err)
	}
}

func TestGateConditionIsNeverWrittenOnARecreatedPodWithTheSameName(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// No kubelet takes a pod bound to a node that does not exist, so the
	// test alone writes its status.
	newPod := func() *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "same-name", Namespace: e.ns},
			Spec: corev1.PodSpec{
				NodeName:       "no-such-node",
				ReadinessGates: []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType("web")}},
				Containers:     []corev1.Container{{Name: "app", Image: "tgc.dev/loopback-app"}},
			},
		}
		e.create(p)
		return p
	}
	old := newPod()
	cond := corev1.PodCondition{Type: podgate.ConditionType("web"), Status: corev1.ConditionTrue, Reason: gatecontroller.ReasonTargetHealthy, LastTransitionTime: metav1.Now()}
	if replaced, err := gatecontroller.SetCondition(e.ctx, e.kube, old, cond); err != nil || replaced {
		t.Fatalf("SetCondition on the live pod = %v, %v; want it written", replaced, err)
	}
	p, _ := e.getPod("same-name")
	if c := podCondition(p, cond.Type); !isTrue(c) {
		t.Fatalf("gate condition after SetCondition = %+v, want True", c)
	}

	if err := e.kube.Delete(e.ctx, old, client.GracePeriodSeconds(0)); err != nil {
		t.Fatal(err)
	}
	e.eventually(10*time.Second, "the old pod to be gone", func() (bool, string) {
		_, err := e.getPod("same-name")
		return client.IgnoreNotFound(err) == nil && err != nil, fmt.Sprint(err)
	})
	fresh := newPod()
	replaced, err := gatecontroller.SetCondition(e.ctx, e.kube, old, cond)
	if err != nil || !replaced {
		t.Fatalf("SetCondition with the old pod's UID = %v, %v; want it refused as replaced", replaced, err)
	}
	p, _ = e.getPod("same-name")
	if p.UID != fresh.UID || podCondition(p, cond.Type) != nil {
		t.Fatalf("recreated pod %s has gate condition %+v, want none", p.UID, podCondition(p, cond.Type))
	}
}
