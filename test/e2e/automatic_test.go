package e2e

import (
	"fmt"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
)

// drainPropagationMargin and drainShutdownMargin are the webhook's margins
// in the automatic setup, scaled like the emulator's timings: the
// propagation margin is what the recommended setup's hand-written preStop
// adds to the delay.
const (
	drainPropagationMargin = (preStopSeconds - deregistrationDelaySeconds) * time.Second
	drainShutdownMargin    = 2 * time.Second
)

// podWebhook prepares the controller's pod webhook for an automatic run:
// a port and a certificate, and the flags that serve them.
func (r *run) podWebhook() []string {
	w, err := harness.NewPodWebhook(r.t.TempDir())
	if err != nil {
		r.t.Fatal(err)
	}
	r.webhook = w
	return []string{
		fmt.Sprintf("--webhook-port=%d", w.Port),
		"--webhook-self-managed-certs=false",
		"--webhook-cert-dir=" + w.CertDir,
		"--drain-propagation-margin=" + r.propagationMargin().String(),
		"--drain-shutdown-margin=" + drainShutdownMargin.String(),
	}
}

// propagationMargin is the webhook's margin in this run.
func (r *run) propagationMargin() time.Duration {
	if r.sc.propagationMargin > 0 {
		return r.sc.propagationMargin
	}
	return drainPropagationMargin
}

// installWebhook labels the run's namespace for injection and points the
// API server at the controller's webhook for it.
func (r *run) installWebhook() {
	var ns corev1.Namespace
	if err := r.s.kube.Get(r.ctx, client.ObjectKey{Name: r.ns}, &ns); err != nil {
		r.t.Fatal(err)
	}
	patch := client.MergeFrom(ns.DeepCopy())
	if ns.Labels == nil {
		ns.Labels = map[string]string{}
	}
	ns.Labels[v1alpha1.ReadinessGateInjectLabel] = v1alpha1.ReadinessGateInjectEnabled
	if err := r.s.kube.Patch(r.ctx, &ns, patch); err != nil {
		r.t.Fatalf("labelling namespace %s for injection: %v", r.ns, err)
	}
	cfg := r.webhook.Config(r.ns)
	if err := r.s.kube.Create(r.ctx, cfg); err != nil {
		r.t.Fatalf("creating the MutatingWebhookConfiguration: %v", err)
	}
	r.t.Cleanup(func() { _ = r.s.kube.Delete(r.ctx, cfg) })
}

// waitDrainSizing waits until the binding has recorded its group's delay
// and the API server sends the app's pods to the webhook, which then sizes
// them: the Deployment's first pods are the ones a scenario terminates, so
// they must be sized too.
func (r *run) waitDrainSizing(d *appsv1.Deployment) {
	deadline := time.Now().Add(30 * time.Second)
	last := "no try yet"
	for time.Now().Before(deadline) {
		var b v1alpha1.TargetGroupBinding
		if err := r.s.kube.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: bindingName}, &b); err != nil {
			last = err.Error()
		} else if b.Status.DeregistrationDelaySeconds == nil {
			last = "the binding has no deregistration delay recorded"
		} else {
			pod := &corev1.Pod{
				ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, GenerateName: d.Name + "-", Labels: d.Spec.Template.Labels},
				Spec:       *d.Spec.Template.Spec.DeepCopy(),
			}
			// A dry run runs the mutating webhooks and stores nothing.
			if err := r.s.kube.Create(r.ctx, pod, client.DryRunAll); err != nil {
				last = err.Error()
			} else if _, ok := pod.Annotations[v1alpha1.AnnotationDrain]; ok {
				return
			} else {
				last = "a dry-run pod came back without drain settings"
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	r.fatalWithLog("the webhook does not size the pods' drain: %s", last)
}

// checkSized fails the run unless every live pod of the app carries what
// the automatic setup promises: tgc's readiness gate, a preStop sleep on
// the app's container, and the drain record with the figures it came from.
// A run whose pods went unsized would prove nothing about the webhook.
func (r *run) checkSized() {
	var pods corev1.PodList
	if err := r.s.kube.List(r.ctx, &pods, client.InNamespace(r.ns), client.MatchingLabels(app(r.ns, 0).Labels())); err != nil {
		r.t.Fatalf("listing pods: %v", err)
	}
	// Sized from the delay the binding holds now: a scenario may have
	// changed it.
	var b v1alpha1.TargetGroupBinding
	if err := r.s.kube.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: bindingName}, &b); err != nil || b.Status.DeregistrationDelaySeconds == nil {
		r.t.Fatalf("reading the binding's recorded delay: %v (status %+v)", err, b.Status)
	}
	want := int64(*b.Status.DeregistrationDelaySeconds) + int64((r.propagationMargin()+time.Second-1)/time.Second)
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		rec, ok := p.Annotations[v1alpha1.AnnotationDrain]
		c := p.Spec.Containers[0]
		sleep := int64(0)
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil && c.Lifecycle.PreStop.Sleep != nil {
			sleep = c.Lifecycle.PreStop.Sleep.Seconds
		}
		if !ok || sleep != want || len(p.Spec.ReadinessGates) == 0 {
			r.t.Errorf("pod %s: drain record %q, preStop sleep %ds (want %ds), readiness gates %v; the webhook did not size it", p.Name, rec, sleep, want, p.Spec.ReadinessGates)
		}
	}
}
