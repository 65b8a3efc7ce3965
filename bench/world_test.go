package bench

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
)

// world is one benchmark's namespace, with a Kubernetes client and an AWS
// client that talks to the emulator directly, for setup and checks.
type world struct {
	b    *testing.B
	ctx  context.Context
	ns   string
	kube client.Client
	aws  *elb.Client
	// groups counts target groups, so that their names are unique across
	// benchmarks sharing the emulator.
	groups atomic.Int64
}

func newWorld(b *testing.B) *world {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	scheme, err := manager.Scheme()
	if err != nil {
		b.Fatal(err)
	}
	kube, err := client.New(shared.cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		b.Fatalf("building the Kubernetes client: %v", err)
	}
	return &world{
		b:    b,
		ctx:  ctx,
		ns:   harness.Namespace(b, shared.cluster),
		kube: kube,
		aws: elb.New(elb.Options{
			Region:       "us-east-1",
			BaseEndpoint: aws.String(shared.emu.URL()),
			Credentials:  credentials.NewStaticCredentialsProvider("AKIDBENCHBENCHBENCH", "bench-secret", ""),
			// Setup and checks share AWS's throttle buckets with the
			// controller, so they must get through a throttled moment.
			Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 30
				o.MaxBackoff = time.Second
				o.RateLimiter = ratelimit.None
			}),
		}),
	}
}

func (w *world) create(o client.Object) {
	w.b.Helper()
	o.SetNamespace(w.ns)
	if err := w.kube.Create(w.ctx, o); err != nil {
		w.b.Fatalf("creating %T %s: %v", o, o.GetName(), err)
	}
}

// targetGroup creates an ip target group with no deregistration delay, so
// that targets removed in one sample are gone before the next.
func (w *world) targetGroup() string {
	w.b.Helper()
	// The namespace's generated suffix keeps names unique across
	// benchmarks; AWS allows 32 characters, alphanumerics and hyphens.
	suffix := w.ns[strings.LastIndex(w.ns, "-")+1:]
	name := fmt.Sprintf("bench-%s-%d", suffix, w.groups.Add(1))
	out, err := w.aws.CreateTargetGroup(w.ctx, &elb.CreateTargetGroupInput{
		Name:       aws.String(name),
		Protocol:   elbtypes.ProtocolEnumHttp,
		Port:       aws.Int32(8080),
		VpcId:      aws.String(emulator.DefaultVPC.ID),
		TargetType: elbtypes.TargetTypeEnumIp,
	})
	if err != nil {
		w.b.Fatalf("CreateTargetGroup %s: %v", name, err)
	}
	arn := *out.TargetGroups[0].TargetGroupArn
	_, err = w.aws.ModifyTargetGroupAttributes(w.ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(arn),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("0")}},
	})
	if err != nil {
		w.b.Fatalf("setting the deregistration delay of %s: %v", arn, err)
	}
	return arn
}

func (w *world) binding(name, service, arn string) {
	w.b.Helper()
	w.create(&v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.TargetGroupBindingSpec{
			TargetGroupARN: arn,
			ServiceRef:     v1alpha1.ServiceReference{Name: service, Port: intstr.FromInt32(80)},
		},
	})
}

// members are the group's targets that are not leaving it, as "ip:port",
// sorted.
func (w *world) members(arn string) []string {
	w.b.Helper()
	out, err := w.aws.DescribeTargetHealth(w.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		w.b.Fatalf("DescribeTargetHealth %s: %v", arn, err)
	}
	var got []string
	for _, d := range out.TargetHealthDescriptions {
		if d.TargetHealth.State == elbtypes.TargetHealthStateEnumDraining {
			continue
		}
		got = append(got, netip.AddrPortFrom(netip.MustParseAddr(*d.Target.Id), uint16(*d.Target.Port)).String())
	}
	slices.Sort(got)
	return got
}

// options are the production defaults, scoped to this world's namespace,
// without listeners and, unless a benchmark turns it on, without leader
// election.
func (w *world) options() manager.Options {
	o := manager.DefaultOptions()
	o.MetricsAddr, o.ProbeAddr = "0", "0"
	o.LeaderElect = false
	o.WatchNamespaces = []string{w.ns}
	return o
}

// controller is a running in-process tgc.
type controller struct {
	cancel context.CancelFunc
	done   chan error
	// elected is closed once the manager leads (at once without leader
	// election); electedAt, written before, is when that happened.
	elected   chan struct{}
	electedAt time.Time
	stopped   atomic.Bool
}

// start builds and starts a manager; it runs until stop or the end of the
// benchmark.
func (w *world) start(o manager.Options) *controller {
	w.b.Helper()
	ctx, cancel := context.WithCancel(log.IntoContext(w.ctx, shared.log))
	mgr, err := manager.New(ctx, o, shared.cluster.Config, manager.Deps{
		Registry:           prometheus.NewRegistry(),
		SkipNameValidation: true,
		Logger:             shared.log,
	})
	if err != nil {
		cancel()
		w.b.Fatalf("building the controller: %v", err)
	}
	c := &controller{cancel: cancel, done: make(chan error, 1), elected: make(chan struct{})}
	go func() { c.done <- mgr.Start(ctx) }()
	go func() {
		select {
		case <-mgr.Elected():
			c.electedAt = time.Now()
			close(c.elected)
		case <-ctx.Done():
		}
	}()
	w.b.Cleanup(func() { c.stop(w.b) })
	return c
}

// stop cancels the manager and waits until it has returned.
func (c *controller) stop(b *testing.B) {
	if c.stopped.Swap(true) {
		return
	}
	c.cancel()
	if err := <-c.done; err != nil {
		b.Errorf("controller stopped with: %v", err)
	}
}

// eventually polls cond every 20ms until it holds or timeout passes; the
// last message says what was still wrong. Polling does not enter the
// figures: they come from timestamps, not from when a poll noticed.
func (w *world) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	w.b.Helper()
	w.eventuallyEvery(timeout, 20*time.Millisecond, what, cond)
}

func (w *world) eventuallyEvery(timeout, every time.Duration, what string, cond func() (bool, string)) {
	w.b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			w.b.Fatalf("timed out after %s waiting for %s: %s", timeout, what, msg)
		}
		time.Sleep(every)
	}
}

// callsSince returns the emulator's calls that started at or after t. The
// call log holds every caller's calls; benchmarks run one at a time, and
// setup and checks are kept out of the windows they count.
func callsSince(t time.Time) []emulator.Call {
	var out []emulator.Call
	for _, c := range shared.emu.Calls() {
		if !c.Time.Before(t) {
			out = append(out, c)
		}
	}
	return out
}

// done is when the emulator finished serving the call.
func done(c emulator.Call) time.Time { return c.Time.Add(c.Duration) }

// waitCall waits for the first successful call of action on arn that
// started at or after t.
func (w *world) waitCall(arn, action string, t time.Time, timeout time.Duration) emulator.Call {
	w.b.Helper()
	var found emulator.Call
	w.eventually(timeout, action+" on "+arn, func() (bool, string) {
		for _, c := range callsSince(t) {
			if c.Action == action && c.TargetGroupARN == arn && c.Result == "OK" {
				found = c
				return true, ""
			}
		}
		return false, "no such call yet"
	})
	return found
}

// countCalls counts calls by action; throttled or failed attempts are
// counted under "<action>:<error code>".
func countCalls(cs []emulator.Call) map[string]int {
	n := map[string]int{}
	for _, c := range cs {
		key := c.Action
		if c.Result != "OK" {
			key += ":" + c.Result
		}
		n[key]++
	}
	return n
}

// ipOf names the n-th hand-written endpoint: addresses from 10.244.128.1
// up, above the ones the loopback kubelet hands to pods.
func ipOf(n int) string {
	return "10.244." + strconv.Itoa(128+n/250) + "." + strconv.Itoa(n%250+1)
}

// tick is the whole second after t: status.lastSyncTime has one-second
// precision, so a sync is known to be newer than t only when its time is at
// least tick(t).
func tick(t time.Time) time.Time { return t.Truncate(time.Second).Add(time.Second) }
