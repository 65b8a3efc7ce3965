package integration

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/drain"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// podWebhook serves the controller's pod webhook to the API server for the
// test's namespace alone (harness.PodWebhook), and labels the namespace for
// injection.
func (e *env) podWebhook(o *manager.Options) {
	e.t.Helper()
	w, err := harness.NewPodWebhook(e.t.TempDir())
	if err != nil {
		e.t.Fatal(err)
	}
	o.Webhook.Port = w.Port
	o.Webhook.SelfManagedCerts = false
	o.Webhook.CertDir = w.CertDir

	var ns corev1.Namespace
	if err := e.kube.Get(e.ctx, client.ObjectKey{Name: e.ns}, &ns); err != nil {
		e.t.Fatal(err)
	}
	patch := client.MergeFrom(ns.DeepCopy())
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[v1alpha1.ReadinessGateInjectLabel] = v1alpha1.ReadinessGateInjectEnabled
	if err := e.kube.Patch(e.ctx, &ns, patch); err != nil {
		e.t.Fatal(err)
	}
	cfg := w.Config(e.ns)
	e.create(cfg)
	e.t.Cleanup(func() { _ = e.kube.Delete(e.ctx, cfg) })
}

// delayedGroup is a target group whose deregistration delay is secs.
func (e *env) delayedGroup(secs int) string {
	e.t.Helper()
	arn := e.targetGroup()
	e.setDelay(arn, secs)
	return arn
}

func (e *env) setDelay(arn string, secs int) {
	e.t.Helper()
	if _, err := e.aws.ModifyTargetGroupAttributes(e.ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(strconv.Itoa(secs))}},
	}); err != nil {
		e.t.Fatal(err)
	}
}

func drainOptIn(b *v1alpha1.TargetGroupBinding) { b.Spec.Drain = &v1alpha1.DrainPolicy{Inject: true} }

// waitDelay waits for the binding's status to record the delay.
func (e *env) waitDelay(name string, secs int32) {
	e.t.Helper()
	e.eventually(30*time.Second, fmt.Sprintf("binding %s to record a deregistration delay of %ds", name, secs), func() (bool, string) {
		got := e.getBinding(name).Status.DeregistrationDelaySeconds
		return got != nil && *got == secs, fmt.Sprintf("status.deregistrationDelaySeconds = %v", ptr.Deref(got, -1))
	})
}

// dryRunPod creates, without storing it, a pod of the app as its
// ReplicaSet would: the API server runs the mutating webhooks on a dry run
// (their sideEffects are None), so the returned pod is what admission made
// of it.
func (e *env) dryRunPod(d *appsv1.Deployment) *corev1.Pod {
	e.t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, GenerateName: d.Name + "-", Labels: d.Spec.Template.Labels},
		Spec:       *d.Spec.Template.Spec.DeepCopy(),
	}
	if err := e.kube.Create(e.ctx, pod, client.DryRunAll); err != nil {
		e.t.Fatalf("dry-run creating a pod of %s: %v", d.Name, err)
	}
	return pod
}

// waitWebhook waits until the API server sends the app's pods to the
// webhook: it learns of a new configuration through an informer.
func (e *env) waitWebhook(d *appsv1.Deployment) {
	e.t.Helper()
	e.eventually(30*time.Second, "the API server to call the pod webhook", func() (bool, string) {
		_, ok := e.dryRunPod(d).Annotations[v1alpha1.AnnotationDrain]
		return ok, "pod admitted without the drain annotation"
	})
}

func podDrain(t *testing.T, p *corev1.Pod) v1alpha1.DrainRecord {
	t.Helper()
	var rec v1alpha1.DrainRecord
	v, ok := p.Annotations[v1alpha1.AnnotationDrain]
	if !ok {
		t.Fatalf("pod %s has no %s annotation", p.Name, v1alpha1.AnnotationDrain)
	}
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		t.Fatalf("pod %s: annotation %q: %v", p.Name, v, err)
	}
	return rec
}

func preStopSleep(p *corev1.Pod, container string) int64 {
	for _, c := range p.Spec.Containers {
		if c.Name == container && c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			return c.Lifecycle.PreStop.Sleep.Seconds
		}
	}
	return 0
}

// wantSized checks the app container's preStop sleep and the pod's grace
// period.
func wantSized(t *testing.T, p *corev1.Pod, preStop, grace int64) {
	t.Helper()
	if got := preStopSleep(p, testcluster.AppContainerName); got != preStop {
		t.Errorf("pod %s: preStop sleep %ds, want %ds", p.Name, got, preStop)
	}
	if got := ptr.Deref(p.Spec.TerminationGracePeriodSeconds, -1); got != grace {
		t.Errorf("pod %s: terminationGracePeriodSeconds %d, want %d", p.Name, got, grace)
	}
}

// drainApp is a Deployment of the test app with the pod template as mutate
// leaves it, and its Service; it is not created.
func drainApp(name string, mutate ...func(*corev1.PodSpec)) (*appsv1.Deployment, *corev1.Service) {
	a := testcluster.App{Name: name, Replicas: 1}
	d := a.Deployment()
	for _, m := range mutate {
		m(&d.Spec.Template.Spec)
	}
	return d, a.Service()
}

// TestDrainSettingsComeFromTheTargetGroup runs the pod webhook on the real
// API server, in front of the real ReplicaSet controller, with bindings that
// set drain.inject. The margins are 2s (propagation) and 1s (shutdown).
func TestDrainSettingsComeFromTheTargetGroup(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.controllerOptions()
	// The delay is read again once per drift interval; short, so that a
	// changed delay shows within the test.
	o.DriftInterval = 2 * time.Second
	o.Webhook.Drain = drain.Margins{Propagation: 2 * time.Second, Shutdown: time.Second, MaxPreStop: time.Minute}
	e.podWebhook(&o)

	sized, sizedSvc := drainApp("sized")
	sizedARN := e.delayedGroup(40)
	e.create(sizedSvc)
	e.binding("sized", "sized", intstr.FromInt32(80), sizedARN, drainOptIn)

	own, ownSvc := drainApp("own", func(s *corev1.PodSpec) {
		s.Containers[0].Lifecycle = &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 2}}}
	})
	e.create(ownSvc)
	e.binding("own", "own", intstr.FromInt32(80), e.delayedGroup(20), drainOptIn)

	long, longSvc := drainApp("long", func(s *corev1.PodSpec) { s.TerminationGracePeriodSeconds = ptr.To(int64(600)) })
	e.create(longSvc)
	e.binding("long", "long", intstr.FromInt32(80), e.delayedGroup(5), drainOptIn)

	bad, badSvc := drainApp("bad")
	badSvc.Spec.Ports[0].TargetPort = intstr.FromString("htpp")
	e.create(badSvc)
	e.binding("bad", "bad", intstr.FromInt32(80), e.delayedGroup(5), drainOptIn)

	e.startController(o)
	for name, secs := range map[string]int32{"sized": 40, "own": 20, "long": 5, "bad": 5} {
		e.waitDelay(name, secs)
	}
	e.waitWebhook(sized)

	t.Run("no AWS call on the admission path", func(t *testing.T) {
		// No pod of the app exists yet, so nothing gives the controller a
		// reason to call AWS about the group; a webhook asking AWS for the
		// delay would show here.
		before := time.Now()
		for range 10 {
			if p := e.dryRunPod(sized); preStopSleep(p, testcluster.AppContainerName) == 0 {
				t.Fatalf("dry-run pod %s got no preStop", p.GenerateName)
			}
		}
		if cs := calls(sizedARN, before); len(cs) > 0 {
			t.Fatalf("%d ELBv2 calls on the group while 10 pods were admitted, want none: %v", len(cs), cs)
		}
	})

	t.Run("injection is sized from the group's deregistration delay", func(t *testing.T) {
		e.create(sized)
		p := e.onePod(sized.Spec.Template.Labels)
		// 40s delay + 2s propagation; the grace period, 30s by default, is
		// raised to the sleep + 1s shutdown.
		wantSized(t, p, 42, 43)
		rec := podDrain(t, p)
		if rec.DeregistrationDelaySeconds != 40 || rec.PreStopSeconds != 42 || rec.TerminationGracePeriodSeconds != 43 || strings.Join(rec.Bindings, ",") != "sized" {
			t.Errorf("drain record %+v, want delay 40, preStop 42, grace 43 from binding sized", rec)
		}
	})

	t.Run("a user's own preStop is left alone, with the PreStopTooShort warning", func(t *testing.T) {
		e.create(own)
		p := e.onePod(own.Spec.Template.Labels)
		if got := preStopSleep(p, testcluster.AppContainerName); got != 2 {
			t.Errorf("preStop sleep %ds, want the user's 2s", got)
		}
		if rec := podDrain(t, p); !rec.OwnPreStop || rec.PreStopSeconds != 0 {
			t.Errorf("drain record %+v, want ownPreStop and no sleep added", rec)
		}
		ev := e.waitEvent("own", "Warning", binding.ReasonPreStopTooShort, 30*time.Second)
		if !strings.Contains(ev.Note, "2s") || !strings.Contains(ev.Note, "20") {
			t.Errorf("PreStopTooShort Event %q does not name the preStop and the delay", ev.Note)
		}
	})

	t.Run("the grace period is never lowered", func(t *testing.T) {
		e.create(long)
		p := e.onePod(long.Spec.Template.Labels)
		wantSized(t, p, 7, 600)
	})

	t.Run("a targetPort that names no container port admits the pod unchanged, with an Event", func(t *testing.T) {
		e.create(bad)
		p := e.onePod(bad.Spec.Template.Labels)
		if _, ok := p.Annotations[v1alpha1.AnnotationDrain]; ok || preStopSleep(p, testcluster.AppContainerName) != 0 {
			t.Errorf("pod %s was changed: annotations %v", p.Name, p.Annotations)
		}
		ev := e.waitEvent("bad", "Warning", drain.ReasonNoServingContainer, 30*time.Second)
		if !strings.Contains(ev.Note, "htpp") {
			t.Errorf("Event %q does not name the targetPort to fix", ev.Note)
		}
	})

	t.Run("a changed delay reaches new pods, and the binding names the workloads still on the old one", func(t *testing.T) {
		old := e.onePod(sized.Spec.Template.Labels)
		e.setDelay(sizedARN, 10)
		e.waitDelay("sized", 10)
		ev := e.waitEvent("sized", "Normal", binding.ReasonDeregistrationDelayChanged, 30*time.Second)
		if !strings.Contains(ev.Note, "Deployment/sized") {
			t.Errorf("DeregistrationDelayChanged Event %q does not name Deployment/sized, whose pod was sized from 40s", ev.Note)
		}
		if err := e.kube.Delete(e.ctx, old); err != nil {
			t.Fatal(err)
		}
		var p *corev1.Pod
		e.eventually(30*time.Second, "a new pod of sized", func() (bool, string) {
			pods := e.pods(sized.Spec.Template.Labels)
			if len(pods) != 1 || pods[0].UID == old.UID {
				return false, fmt.Sprintf("%d live pods", len(pods))
			}
			p = &pods[0]
			return true, ""
		})
		if got := preStopSleep(p, testcluster.AppContainerName); got != 12 {
			t.Errorf("new pod's preStop sleep %ds, want 12s (10s delay + 2s)", got)
		}
		if rec := podDrain(t, p); rec.DeregistrationDelaySeconds != 10 {
			t.Errorf("new pod's drain record %+v, want delay 10", rec)
		}
	})
}

// onePod waits for the one live pod with the labels.
func (e *env) onePod(labels map[string]string) *corev1.Pod {
	e.t.Helper()
	var p *corev1.Pod
	e.eventually(30*time.Second, fmt.Sprintf("one pod with labels %v", labels), func() (bool, string) {
		pods := e.pods(labels)
		if len(pods) != 1 {
			return false, fmt.Sprintf("%d live pods", len(pods))
		}
		p = &pods[0]
		return true, ""
	})
	return p
}
