package harness

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
	"github.com/tgc-dev/targetgroupcontroller/test/identity"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// World is one test's namespace on a shared control plane, with a
// Kubernetes client and an AWS client that talks to the ELBv2 emulator
// directly, for setup and checks. Its methods fail the test on errors.
type World struct {
	TB   testing.TB
	Ctx  context.Context
	NS   string
	Kube client.Client
	AWS  *elb.Client
	// Config is the cluster's admin config, for the test's own setup and
	// checks.
	Config *rest.Config
	// ControllerConfig is what in-process controllers authenticate with:
	// Config, unless RunAs gave them an identity of their own.
	ControllerConfig *rest.Config
	// ControllerNamespace is the namespace in-process controllers act as
	// if they ran in (POD_NAMESPACE in the shipped Deployment); empty as
	// the admin.
	ControllerNamespace string
	// Log is what in-process controllers log to; none unless set.
	Log logr.Logger
	// Poll is how often Eventually checks its condition.
	Poll time.Duration
}

// NewWorld creates a namespace named after the test in cluster (deleted
// when the test ends) and clients for it and for the emulator at
// emulatorURL.
func NewWorld(tb testing.TB, cluster *testcluster.Cluster, emulatorURL string) *World {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	tb.Cleanup(cancel)
	scheme, err := manager.Scheme()
	if err != nil {
		tb.Fatal(err)
	}
	kube, err := client.New(cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		tb.Fatalf("building the Kubernetes client: %v", err)
	}
	return &World{
		TB:               tb,
		Ctx:              ctx,
		NS:               Namespace(tb, cluster),
		Kube:             kube,
		AWS:              AWSClient(emulatorURL),
		Config:           cluster.Config,
		ControllerConfig: cluster.Config,
		Log:              logr.Discard(),
		Poll:             100 * time.Millisecond,
	}
}

// RunAs makes in-process controllers authenticate as id, with the
// shipped RBAC and nothing more, and act as if they ran in its namespace,
// where its namespaced Roles are.
func (w *World) RunAs(id *identity.Identity) {
	w.ControllerConfig = id.Config
	w.ControllerNamespace = id.Namespace
}

// AWSClient is an ELBv2 client for the emulator at url. Setup and checks
// share the emulator's throttle buckets with the controller under test,
// so the client retries through a throttled moment instead of failing the
// test, and has no client-side retry quota to run out of.
func AWSClient(url string) *elb.Client {
	return elb.New(elb.Options{
		Region:       "us-east-1", // the emulator's default region
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDHARNESSHARNESS", "harness-secret", ""),
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 30
			o.MaxBackoff = time.Second
			o.RateLimiter = ratelimit.None
		}),
	})
}

// Create creates o, in the world's namespace unless o names one or is a
// Namespace.
func (w *World) Create(o client.Object) {
	w.TB.Helper()
	if o.GetNamespace() == "" {
		if _, cluster := o.(*corev1.Namespace); !cluster {
			o.SetNamespace(w.NS)
		}
	}
	if err := w.Kube.Create(w.Ctx, o); err != nil {
		w.TB.Fatalf("creating %T %s: %v", o, o.GetName(), err)
	}
}

// Eventually polls cond every w.Poll until it holds or timeout passes; the
// failure names what was awaited and cond's last message, which says what
// was still wrong.
func (w *World) Eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	w.TB.Helper()
	w.EventuallyEvery(timeout, w.Poll, what, cond)
}

// EventuallyEvery is Eventually polling every every.
func (w *World) EventuallyEvery(timeout, every time.Duration, what string, cond func() (bool, string)) {
	w.TB.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			w.TB.Fatalf("timed out after %s waiting for %s: %s", timeout, what, msg)
		}
		time.Sleep(every)
	}
}

// TargetGroup creates the target group and sets its deregistration delay
// to 0, so that a removed target is gone at once instead of draining for
// AWS's default 300 s, and returns its ARN.
func (w *World) TargetGroup(in *elb.CreateTargetGroupInput) string {
	w.TB.Helper()
	out, err := w.AWS.CreateTargetGroup(w.Ctx, in)
	if err != nil {
		w.TB.Fatalf("CreateTargetGroup %s: %v", aws.ToString(in.Name), err)
	}
	arn := *out.TargetGroups[0].TargetGroupArn
	_, err = w.AWS.ModifyTargetGroupAttributes(w.Ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}},
	})
	if err != nil {
		w.TB.Fatalf("setting the deregistration delay of %s: %v", arn, err)
	}
	return arn
}

// TargetHealth reads the group from the emulator: "id:port" -> state.
func (w *World) TargetHealth(arn string) map[string]string {
	w.TB.Helper()
	out, err := w.AWS.DescribeTargetHealth(w.Ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		w.TB.Fatalf("DescribeTargetHealth %s: %v", arn, err)
	}
	m := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		t, err := targets.ParseID(aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port), "")
		if err != nil {
			w.TB.Fatalf("DescribeTargetHealth %s: %v", arn, err)
		}
		m[t.String()] = string(d.TargetHealth.State)
	}
	return m
}

// Members are the group's targets that are not draining, as "id:port",
// sorted.
func (w *World) Members(arn string) []string {
	w.TB.Helper()
	var out []string
	for t, s := range w.TargetHealth(arn) {
		if s != string(elbtypes.TargetHealthStateEnumDraining) {
			out = append(out, t)
		}
	}
	slices.Sort(out)
	return out
}

// Binding creates a TargetGroupBinding of the Service's port to the group;
// opts change it before it is created.
func (w *World) Binding(name, service string, port intstr.IntOrString, arn string, opts ...func(*v1alpha1.TargetGroupBinding)) *v1alpha1.TargetGroupBinding {
	w.TB.Helper()
	tgb := &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.NS},
		Spec: v1alpha1.TargetGroupBindingSpec{
			TargetGroupARN: arn,
			ServiceRef:     v1alpha1.ServiceReference{Name: service, Port: port},
		},
	}
	for _, o := range opts {
		o(tgb)
	}
	w.Create(tgb)
	return tgb
}

// ControllerOptions are the production defaults scoped to the world's
// namespace, without listeners (metrics and probes on no port) and without
// leader election; a test changes what it is about. The Lease and the
// webhook's Secret, should a test turn them on, go where the shipped
// Deployment puts them: in the controller's own namespace.
func (w *World) ControllerOptions() manager.Options {
	o := manager.DefaultOptions()
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	o.LeaderElect = false
	o.LeaderElectionNamespace = w.ControllerNamespace
	o.Webhook.Namespace = w.ControllerNamespace
	o.WatchNamespaces = []string{w.NS}
	return o
}
