package webhook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	tgcv1alpha1 "github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/validation"
)

const (
	homeRegion = "us-east-1"
	arnPrefix  = "arn:aws:elasticloadbalancing:" + homeRegion + ":123456789012:targetgroup/"
)

// TestValidationOnARealAPIServer runs kube-apiserver with config/webhook's
// ValidatingWebhookConfiguration, pointed by URL at the webhook server on
// loopback with its self-managed certificate, as the controller's
// ServiceAccount with the shipped RBAC. No controller runs: every refusal
// here comes from admission.
//
// TargetGroupPolicies are cluster-scoped, so the subtests run one after
// another and each removes the policy it made.
func TestValidationOnARealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver")
	}
	ctx := context.Background()
	port := freeLoopbackPort(t)
	cfg, scheme, c := startAPIServer(t, envtest.WebhookInstallOptions{
		ValidatingWebhooks: []*admissionregistrationv1.ValidatingWebhookConfiguration{shippedValidatingConfigAt(t, port)},
		LocalServingHost:   "127.0.0.1",
		LocalServingPort:   port,
	})
	mgr := controllerWebhook(t, cfg, scheme, c, port, validation.Home{Region: homeRegion})
	mgrCtx, stopManager := context.WithCancel(ctx)
	mgrDone := make(chan error, 1)
	go func() { mgrDone <- mgr.Start(mgrCtx) }()
	t.Cleanup(func() {
		stopManager()
		if err := <-mgrDone; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	ns := func(name string, labels map[string]string) string {
		must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}))
		return name
	}
	optIn := map[string]string{tgcv1alpha1.ReadinessGateInjectLabel: tgcv1alpha1.ReadinessGateInjectEnabled}
	shop := ns("shop", optIn)

	// Until the API server trusts the rotator's CA, calls fail TLS and the
	// binding webhook's failurePolicy: Fail refuses everything, with
	// "failed calling webhook"; wait for the handler to admit one.
	waitAdmitted(t, 30*time.Second, c, newBinding(shop, "probe", arnPrefix+"probe/0123456789abcdef"))
	must(t, c.Delete(ctx, newBinding(shop, "probe", "")))

	t.Run("a malformed ARN is refused at admission", func(t *testing.T) {
		err := c.Create(ctx, newBinding(shop, "malformed", "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/0123456789abcdef"))
		wantRefused(t, err, "is not a target group ARN", "fix spec.targetGroupARN")
	})

	t.Run("an ARN in another region is refused at admission", func(t *testing.T) {
		err := c.Create(ctx, newBinding(shop, "elsewhere", "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef"))
		wantRefused(t, err, "is in region eu-west-1, but this tgc manages region us-east-1")
	})

	t.Run("with no policies any namespace may bind, as before tenancy", func(t *testing.T) {
		must(t, c.Create(ctx, newBinding(ns("anyone", nil), "web", arnPrefix+"anyone/0123456789abcdef")))
	})

	t.Run("a duplicate binding is refused at admission", func(t *testing.T) {
		arn := arnPrefix + "dup/0123456789abcdef"
		holder := newBinding(shop, "holder", arn)
		must(t, c.Create(ctx, holder))
		holder.Status.TargetGroupARN = arn // as the controller writes once it won the group
		must(t, c.Status().Update(ctx, holder))
		// The webhook reads bindings from its cache, which learns of the
		// holder a moment later.
		waitRefused(t, 10*time.Second, c, newBinding(ns("other-team", nil), "thief", arn), "is already bound by shop/holder", "set multiClusterTargetGroup on both")

		shared := arnPrefix + "shared/0123456789abcdef"
		a := newBinding(shop, "shared-a", shared)
		a.Spec.MultiClusterTargetGroup = true
		must(t, c.Create(ctx, a))
		b := newBinding(shop, "shared-b", shared)
		b.Spec.MultiClusterTargetGroup = true
		must(t, c.Create(ctx, b))
	})

	t.Run("a namespace outside the policies is refused at admission", func(t *testing.T) {
		teamPolicy(t, c, "team-a", "team-a-*")
		inside := ns("team-a-shop", map[string]string{"team": "a"})
		outside := ns("team-b-shop", map[string]string{"team": "b"})
		waitRefused(t, 10*time.Second, c, newBinding(outside, "web", arnPrefix+"team-a-web/0123456789abcdef"), "no TargetGroupPolicy lets namespace "+outside)
		waitAdmitted(t, 10*time.Second, c, newBinding(inside, "web", arnPrefix+"team-a-web/0123456789abcdef"))
	})

	t.Run("an annotated Service in a namespace outside the policies is refused", func(t *testing.T) {
		teamPolicy(t, c, "team-c", "team-c-*")
		outside := ns("team-d-shop", map[string]string{"team": "d", tgcv1alpha1.ReadinessGateInjectLabel: tgcv1alpha1.ReadinessGateInjectEnabled})
		inside := ns("team-c-shop", map[string]string{"team": "c", tgcv1alpha1.ReadinessGateInjectLabel: tgcv1alpha1.ReadinessGateInjectEnabled})
		arn := arnPrefix + "team-c-web/0123456789abcdef"
		waitRefused(t, 10*time.Second, c, annotatedService(outside, "web", arn), "would bind Service "+outside+"/web", "no TargetGroupPolicy lets namespace "+outside)
		waitAdmitted(t, 10*time.Second, c, annotatedService(inside, "web", arn))
		// A Service without the annotation is never the webhook's business.
		must(t, c.Create(ctx, annotatedService(outside, "plain", "")))
	})
}

// shippedValidatingConfigAt is config/webhook's ValidatingWebhookConfiguration
// with the Service reference replaced by a loopback URL.
func shippedValidatingConfigAt(t *testing.T, port int) *admissionregistrationv1.ValidatingWebhookConfiguration {
	t.Helper()
	var cfg admissionregistrationv1.ValidatingWebhookConfiguration
	readShipped(t, "validating.yaml", &cfg, cfg.GetName, webhook.DefaultValidatingConfigName)
	for i := range cfg.Webhooks {
		cfg.Webhooks[i].ClientConfig = loopbackClient(t, cfg.Webhooks[i].Name, cfg.Webhooks[i].ClientConfig, port)
	}
	return &cfg
}

func newBinding(namespace, name, arn string) *tgcv1alpha1.TargetGroupBinding {
	return &tgcv1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: tgcv1alpha1.TargetGroupBindingSpec{
			TargetGroupARN: arn,
			ServiceRef:     tgcv1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)},
		},
	}
}

func annotatedService(namespace, name, arn string) *corev1.Service {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}
	if arn != "" {
		svc.Annotations = map[string]string{tgcv1alpha1.AnnotationTargetGroupARN: arn}
	}
	return svc
}

// teamPolicy lets namespaces labelled team=<team> bind groups named like
// pattern, until the test ends.
func teamPolicy(t *testing.T, c client.Client, team, pattern string) *tgcv1alpha1.TargetGroupPolicy {
	t.Helper()
	p := &tgcv1alpha1.TargetGroupPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: team},
		Spec: tgcv1alpha1.TargetGroupPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"team": strings.TrimPrefix(team, "team-")}},
			TargetGroups:      []tgcv1alpha1.TargetGroupMatch{{NamePattern: pattern}},
		},
	}
	must(t, c.Create(context.Background(), p))
	t.Cleanup(func() {
		if err := c.Delete(context.Background(), p); err != nil {
			t.Errorf("deleting TargetGroupPolicy %s: %v", p.Name, err)
		}
	})
	return p
}

// waitRefused dry-runs the creation of obj until the webhook refuses it
// with every one of want (its cache learns of what the test made a moment
// later), then checks that the real creation is refused too.
func waitRefused(t *testing.T, within time.Duration, c client.Client, obj client.Object, want ...string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := c.Create(context.Background(), obj.DeepCopyObject().(client.Object), client.DryRunAll)
		if err != nil && containsAll(err.Error(), want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not refused with %q within %s; last answer: %v", want, within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	wantRefused(t, c.Create(context.Background(), obj), want...)
}

// waitAdmitted dry-runs the creation of obj until it is admitted, then
// creates it.
func waitAdmitted(t *testing.T, within time.Duration, c client.Client, obj client.Object) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := c.Create(context.Background(), obj.DeepCopyObject().(client.Object), client.DryRunAll)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not admitted within %s; last answer: %v", within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	must(t, c.Create(context.Background(), obj))
}

func wantRefused(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil || !containsAll(err.Error(), want) {
		t.Fatalf("got %v, want a refusal mentioning %q", err, want)
	}
}

func containsAll(s string, want []string) bool {
	for _, w := range want {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}
