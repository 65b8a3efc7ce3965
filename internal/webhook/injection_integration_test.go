package webhook_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	crlog "sigs.k8s.io/controller-runtime/pkg/log"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	tgcv1alpha1 "github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/validation"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

const controllerNamespace = "tgc-system"

// TestInjectionOnARealAPIServer runs kube-apiserver with config/webhook's
// MutatingWebhookConfiguration, pointed by URL at a webhook server on
// loopback that manages its own certificate. envtest installs the
// configuration with a caBundle of its own CA; the pods only get gates if the
// rotator replaced it with the CA of the certificate it serves.
func TestInjectionOnARealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts etcd and kube-apiserver")
	}
	ctx := context.Background()
	port := freeLoopbackPort(t)
	cfg, scheme, c := startAPIServer(t, envtest.WebhookInstallOptions{
		MutatingWebhooks: []*admissionregistrationv1.MutatingWebhookConfiguration{shippedConfigAt(t, port)},
		LocalServingHost: "127.0.0.1",
		LocalServingPort: port,
	})
	optedIn := createAppNamespace(t, c, "opted-in", map[string]string{tgcv1alpha1.ReadinessGateInjectLabel: tgcv1alpha1.ReadinessGateInjectEnabled})
	plain := createAppNamespace(t, c, "plain", nil)
	// A second binding of the same Service that opts out of injection: its
	// gate must never appear, while web-tg's still does.
	must(t, c.Create(ctx, &tgcv1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: optedIn, Name: "web-quiet"},
		Spec: tgcv1alpha1.TargetGroupBindingSpec{
			TargetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/quiet/0123456789abcdef",
			ServiceRef:     tgcv1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)},
			ReadinessGate:  &tgcv1alpha1.ReadinessGatePolicy{Inject: ptr.To(false)},
		},
	}))

	mgr := controllerWebhook(t, cfg, scheme, c, port, validation.Home{})
	mgrCtx, stopManager := context.WithCancel(ctx)
	mgrDone := make(chan error, 1)
	started := time.Now()
	go func() { mgrDone <- mgr.Start(mgrCtx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		stopManager()
		if err := <-mgrDone; err != nil {
			t.Errorf("manager: %v", err)
		}
	}
	t.Cleanup(stop)

	// The API server learns of the new caBundle through its informer on
	// webhook configurations; until then calls fail TLS and are ignored.
	deadline := time.Now().Add(30 * time.Second)
	for {
		pod := createPod(t, c, optedIn, map[string]string{"app": "web"})
		if len(podgate.Bindings(pod)) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no pod got a readiness gate within 30s of starting the webhook")
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("first gated pod %s after the manager started", time.Since(started).Round(time.Millisecond))

	t.Run("caBundle is the CA stored in the shared Secret", func(t *testing.T) {
		var sec corev1.Secret
		must(t, c.Get(ctx, client.ObjectKey{Namespace: controllerNamespace, Name: webhook.DefaultSecretName}, &sec))
		var cfg admissionregistrationv1.MutatingWebhookConfiguration
		must(t, c.Get(ctx, client.ObjectKey{Name: webhook.DefaultConfigName}, &cfg))
		if got := cfg.Webhooks[0].ClientConfig.CABundle; string(got) != string(sec.Data["ca.crt"]) {
			t.Error("caBundle differs from the Secret's ca.crt")
		}
	})

	cases := map[string]struct {
		namespace string
		labels    map[string]string
		want      []string
	}{
		"pod selected by a bound service in an opted-in namespace gets the gate": {
			namespace: optedIn, labels: map[string]string{"app": "web", "pod-template-hash": "x"}, want: []string{"web-tg"},
		},
		"a binding with inject false gives no gate while another binding of the same service still does": {
			namespace: optedIn, labels: map[string]string{"app": "web"}, want: []string{"web-tg"},
		},
		"pod selected by the bound service in a namespace without the label gets no gate": {
			namespace: plain, labels: map[string]string{"app": "web"},
		},
		"pod no bound service selects gets no gate": {
			namespace: optedIn, labels: map[string]string{"app": "batch"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pod := createPod(t, c, tc.namespace, tc.labels)
			if got := podgate.Bindings(pod); !slices.Equal(got, tc.want) {
				t.Fatalf("pod carries gates for %v, want %v", got, tc.want)
			}
		})
	}

	t.Run("pod creation latency with the webhook up", func(t *testing.T) {
		d := timePodCreations(t, c, optedIn, 20, true)
		t.Logf("20 gated pod creations: median %s, max %s", d[len(d)/2], d[len(d)-1])
	})

	t.Run("with the webhook down pods are still created, without a gate", func(t *testing.T) {
		stop()
		d := timePodCreations(t, c, optedIn, 5, false)
		t.Logf("5 pod creations with the webhook down: median %s, max %s", d[len(d)/2], d[len(d)-1])
		if d[len(d)-1] > 5*time.Second {
			t.Errorf("a pod creation took %s with the webhook down; the API server should fail fast on a refused connection", d[len(d)-1])
		}
	})

	t.Run("with the webhook hanging pods are created after its timeout, without a gate", func(t *testing.T) {
		stop()
		// Accepts connections and never answers, like a stuck process.
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			// Held, not dropped: an unreachable conn may be closed by its
			// finalizer, which would answer the API server early.
			var held []net.Conn
			defer func() {
				for _, conn := range held {
					_ = conn.Close()
				}
			}()
			for {
				conn, err := l.Accept()
				if err != nil {
					return
				}
				held = append(held, conn)
			}
		}()
		d := timePodCreations(t, c, optedIn, 1, false)
		t.Logf("pod creation with the webhook hanging: %s", d[0])
		// timeoutSeconds: 5 in config/webhook bounds the wait.
		if d[0] < 4*time.Second || d[0] > 10*time.Second {
			t.Errorf("pod creation took %s; want about the webhook's 5s timeout", d[0])
		}
	})
}

// controllerWebhook wires the webhooks as cmd/targetgroupcontroller does,
// on loopback, into a manager that runs as the controller's ServiceAccount
// with only the shipped RBAC granted, which proves that RBAC is enough.
func controllerWebhook(t *testing.T, cfg *rest.Config, scheme *runtime.Scheme, c client.Client, port int, home validation.Home) ctrl.Manager {
	t.Helper()
	applyShippedRBAC(t, c)
	asController := rest.CopyConfig(cfg)
	asController.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + controllerNamespace + ":targetgroupcontroller"}
	opts := webhook.DefaultOptions()
	opts.Port = port
	opts.Namespace = controllerNamespace
	wh, err := webhook.New(asController, scheme, opts, webhook.Extra{Host: "127.0.0.1", ExtraIPs: []net.IP{net.ParseIP("127.0.0.1")}}, clock.RealClock{}, testr.New(t))
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(asController, ctrl.Options{
		Scheme:                 scheme,
		Logger:                 testr.New(t),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer:          wh.Server,
	})
	if err != nil {
		t.Fatal(err)
	}
	must(t, wh.Register(mgr, home))
	return mgr
}

// shippedConfigAt is config/webhook's MutatingWebhookConfiguration with the
// Service reference replaced by a loopback URL: envtest's own rewrite
// prefixes the path with a second slash.
func shippedConfigAt(t *testing.T, port int) *admissionregistrationv1.MutatingWebhookConfiguration {
	t.Helper()
	var cfg admissionregistrationv1.MutatingWebhookConfiguration
	readShipped(t, "manifests.yaml", &cfg, cfg.GetName, webhook.DefaultConfigName)
	for i := range cfg.Webhooks {
		cfg.Webhooks[i].ClientConfig = loopbackClient(t, cfg.Webhooks[i].Name, cfg.Webhooks[i].ClientConfig, port)
	}
	return &cfg
}

// readShipped reads a webhook configuration from config/webhook and checks
// that it carries the name the flag defaults to.
func readShipped(t *testing.T, file string, into any, name func() string, want string) {
	t.Helper()
	raw, err := os.ReadFile("../../config/webhook/" + file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.UnmarshalStrict(raw, into); err != nil {
		t.Fatalf("config/webhook/%s: %v", file, err)
	}
	if got := name(); got != want {
		t.Fatalf("config/webhook/%s names %q, the flag default is %q", file, got, want)
	}
}

// loopbackClient points a shipped webhook, which calls tgc's Service, at
// the test's server on loopback instead.
func loopbackClient(t *testing.T, webhookName string, cc admissionregistrationv1.WebhookClientConfig, port int) admissionregistrationv1.WebhookClientConfig {
	t.Helper()
	svc := cc.Service
	if svc == nil || svc.Name != webhook.DefaultServiceName || svc.Path == nil {
		t.Fatalf("webhook %s does not call Service %s", webhookName, webhook.DefaultServiceName)
	}
	url := fmt.Sprintf("https://127.0.0.1:%d%s", port, *svc.Path)
	return admissionregistrationv1.WebhookClientConfig{URL: &url}
}

// applyShippedRBAC grants the controller's ServiceAccount what the install
// does: the generated role (+kubebuilder:rbac markers) and config/webhook's.
func applyShippedRBAC(t *testing.T, c client.Client) {
	t.Helper()
	for _, f := range []string{"../../config/rbac/role.yaml", "../../config/rbac/role_binding.yaml", "../../config/webhook/rbac.yaml"} {
		applyManifests(t, c, f)
	}
}

// applyManifests creates every object of a multi-document YAML file.
func applyManifests(t *testing.T, c client.Client, path string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			t.Fatalf("%s: %v", path, err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		if err := c.Create(context.Background(), &obj); err != nil {
			t.Fatalf("%s: creating %s %s: %v", path, obj.GetKind(), obj.GetName(), err)
		}
	}
}

func newScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	must(t, clientgoscheme.AddToScheme(s))
	must(t, tgcv1alpha1.AddToScheme(s))
	return s
}

// createAppNamespace makes a namespace with a Service "web" (app=web) bound
// by the TargetGroupBinding "web-tg".
func createAppNamespace(t *testing.T, c client.Client, name string, labels map[string]string) string {
	t.Helper()
	ctx := context.Background()
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}))
	must(t, c.Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: name, Name: "web"},
		Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}}},
	}))
	must(t, c.Create(ctx, &tgcv1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: name, Name: "web-tg"},
		Spec: tgcv1alpha1.TargetGroupBindingSpec{
			TargetGroupARN: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
			ServiceRef:     tgcv1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)},
		},
	}))
	return name
}

func createPod(t *testing.T, c client.Client, namespace string, labels map[string]string) *corev1.Pod {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, GenerateName: "p-", Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "app"}}},
	}
	must(t, c.Create(context.Background(), pod))
	return pod
}

// timePodCreations creates n selected pods one after another and returns
// their creation times, sorted.
func timePodCreations(t *testing.T, c client.Client, namespace string, n int, wantGate bool) []time.Duration {
	t.Helper()
	var d []time.Duration
	for range n {
		start := time.Now()
		pod := createPod(t, c, namespace, map[string]string{"app": "web"})
		d = append(d, time.Since(start))
		if got := len(podgate.Bindings(pod)) > 0; got != wantGate {
			t.Fatalf("pod %s has a gate: %v, want %v", pod.Name, got, wantGate)
		}
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d
}

func freeLoopbackPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// startAPIServer starts etcd and kube-apiserver with tgc's CRDs and the
// given webhook configurations, whose server the test runs on loopback, and
// creates tgc's namespace.
func startAPIServer(t *testing.T, webhooks envtest.WebhookInstallOptions) (*rest.Config, *runtime.Scheme, client.Client) {
	t.Helper()
	ctx := context.Background()
	crlog.SetLogger(testr.New(t))
	assets, err := testcluster.Assets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{"../../config/crd/bases"},
		ErrorIfCRDPathMissing: true,
		WebhookInstallOptions: webhooks,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("starting kube-apiserver: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping kube-apiserver: %v", err)
		}
	})
	scheme := newScheme(t)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controllerNamespace}}))
	return cfg, scheme, c
}
