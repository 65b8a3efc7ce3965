package bench

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
)

// world is one benchmark's harness.World (namespace, Kubernetes client and
// an AWS client that talks to the emulator directly, for setup and checks),
// with the short names these benchmarks use for its parts.
type world struct {
	*harness.World
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
	w := harness.NewWorld(b, shared.cluster, shared.emu.URL())
	w.Log = shared.log
	// Polling does not enter the figures: they come from timestamps, not
	// from when a poll noticed.
	w.Poll = 20 * time.Millisecond
	return &world{World: w, b: b, ctx: w.Ctx, ns: w.NS, kube: w.Kube, aws: w.AWS}
}

func (w *world) create(o client.Object) {
	w.b.Helper()
	w.Create(o)
}

// targetGroup creates an ip target group with no deregistration delay, so
// that targets removed in one sample are gone before the next.
func (w *world) targetGroup() string {
	w.b.Helper()
	// The namespace's generated suffix keeps names unique across
	// benchmarks; AWS allows 32 characters, alphanumerics and hyphens.
	suffix := w.ns[strings.LastIndex(w.ns, "-")+1:]
	return w.TargetGroup(&elb.CreateTargetGroupInput{
		Name:       aws.String(fmt.Sprintf("bench-%s-%d", suffix, w.groups.Add(1))),
		Protocol:   elbtypes.ProtocolEnumHttp,
		Port:       aws.Int32(8080),
		VpcId:      aws.String(emulator.DefaultVPC.ID),
		TargetType: elbtypes.TargetTypeEnumIp,
	})
}

// binding binds the Service's port 80 to the group. The benchmarks' slices
// are written by hand with no Pods behind them, so the binding opts in to
// registering any endpoint.
func (w *world) binding(name, service, arn string) {
	w.b.Helper()
	w.Binding(name, service, intstr.FromInt32(80), arn, func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.TargetSelection = v1alpha1.TargetSelectionAnyEndpoint
	})
}

func (w *world) members(arn string) []string { return w.Members(arn) }

// options are the production defaults, scoped to this world's namespace,
// without listeners and, unless a benchmark turns it on, without leader
// election.
func (w *world) options() manager.Options { return w.ControllerOptions() }

// start builds and starts a manager; it runs until Stop or the end of the
// benchmark.
func (w *world) start(o manager.Options) *harness.Controller {
	w.b.Helper()
	return w.StartController(o)
}

func (w *world) eventually(timeout time.Duration, what string, cond func() (bool, string)) {
	w.b.Helper()
	w.Eventually(timeout, what, cond)
}

func (w *world) eventuallyEvery(timeout, every time.Duration, what string, cond func() (bool, string)) {
	w.b.Helper()
	w.EventuallyEvery(timeout, every, what, cond)
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

// ipOf names the n-th hand-written endpoint: addresses from 10.244.128.1
// up, above the ones the loopback kubelet hands to pods.
func ipOf(n int) string {
	return "10.244." + strconv.Itoa(128+n/250) + "." + strconv.Itoa(n%250+1)
}

// tick is the whole second after t: status.lastSyncTime has one-second
// precision, so a sync is known to be newer than t only when its time is at
// least tick(t).
func tick(t time.Time) time.Time { return t.Truncate(time.Second).Add(time.Second) }
