package emulator

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/probe"
)

// harness is an emulator served over HTTP with an SDK client pointed at it.
type harness struct {
	t   *testing.T
	emu *Emulator
	c   *elbv2.Client
	ctx context.Context
}

// start runs an emulator on 127.0.0.1:0 with throttling off unless the
// test configures it, and an SDK client without retries so every error
// surfaces as the emulator sent it.
func start(t *testing.T, configure ...func(*Config)) *harness {
	t.Helper()
	cfg := Config{Throttle: Throttle{Disabled: true}}
	for _, f := range configure {
		f(&cfg)
	}
	emu, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := emu.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &harness{t: t, emu: emu, c: sdkClient(emu.URL()), ctx: context.Background()}
}

func sdkClient(url string) *elbv2.Client {
	return elbv2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *elbv2.Options) { o.BaseEndpoint = aws.String(url) })
}

// errorCode returns the AWS error code of err, or "" for success.
func errorCode(err error) string {
	if err == nil {
		return ""
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return "non-API error: " + err.Error()
}

func (h *harness) wantCode(err error, code string) {
	h.t.Helper()
	if got := errorCode(err); got != code {
		h.t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

var tgCounter atomic.Int64

// group creates an ip target group named after a counter.
func (h *harness) group(mutate ...func(*elbv2.CreateTargetGroupInput)) types.TargetGroup {
	h.t.Helper()
	in := &elbv2.CreateTargetGroupInput{
		Name:       aws.String("tg-" + strconv.FormatInt(tgCounter.Add(1), 10)),
		Protocol:   types.ProtocolEnumHttp,
		Port:       aws.Int32(8080),
		VpcId:      aws.String(DefaultVPC.ID),
		TargetType: types.TargetTypeEnumIp,
	}
	for _, m := range mutate {
		m(in)
	}
	out, err := h.c.CreateTargetGroup(h.ctx, in)
	if err != nil {
		h.t.Fatalf("CreateTargetGroup: %v", err)
	}
	return out.TargetGroups[0]
}

// loadBalancer creates a load balancer of the given type.
func (h *harness) loadBalancer(lbType types.LoadBalancerTypeEnum) types.LoadBalancer {
	h.t.Helper()
	out, err := h.c.CreateLoadBalancer(h.ctx, &elbv2.CreateLoadBalancerInput{
		Name: aws.String("lb-" + strconv.FormatInt(tgCounter.Add(1), 10)),
		Type: lbType,
	})
	if err != nil {
		h.t.Fatalf("CreateLoadBalancer: %v", err)
	}
	return out.LoadBalancers[0]
}

// listen creates a listener forwarding to tg on a free loopback port and
// returns it with its data-plane address.
func (h *harness) listen(lb types.LoadBalancer, tg types.TargetGroup) (types.Listener, string) {
	h.t.Helper()
	protocol := types.ProtocolEnumHttp
	if lb.Type == types.LoadBalancerTypeEnumNetwork {
		protocol = types.ProtocolEnumTcp
	}
	out, err := h.c.CreateListener(h.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancerArn,
		Protocol:        protocol,
		Port:            aws.Int32(int32(freePort(h.t))),
		DefaultActions:  []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}},
	})
	if err != nil {
		h.t.Fatalf("CreateListener: %v", err)
	}
	l := out.Listeners[0]
	addr, err := h.emu.ListenerAddr(*l.ListenerArn)
	if err != nil {
		h.t.Fatal(err)
	}
	return l, addr
}

// attach puts tg behind a new ALB listener so its targets leave unused.
func (h *harness) attach(tg types.TargetGroup) string {
	h.t.Helper()
	_, addr := h.listen(h.loadBalancer(types.LoadBalancerTypeEnumApplication), tg)
	return addr
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func ipTarget(ip string, port int32) types.TargetDescription {
	return types.TargetDescription{Id: aws.String(ip), Port: aws.Int32(port)}
}

func (h *harness) register(tg types.TargetGroup, ts ...types.TargetDescription) {
	h.t.Helper()
	if _, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: ts}); err != nil {
		h.t.Fatalf("RegisterTargets: %v", err)
	}
}

func (h *harness) deregister(tg types.TargetGroup, ts ...types.TargetDescription) {
	h.t.Helper()
	if _, err := h.c.DeregisterTargets(h.ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: ts}); err != nil {
		h.t.Fatalf("DeregisterTargets: %v", err)
	}
}

// health returns the state and reason of every target, keyed "id:port".
func (h *harness) health(tg types.TargetGroup, only ...types.TargetDescription) map[string]types.TargetHealth {
	h.t.Helper()
	out, err := h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn, Targets: only})
	if err != nil {
		h.t.Fatalf("DescribeTargetHealth: %v", err)
	}
	m := map[string]types.TargetHealth{}
	for _, d := range out.TargetHealthDescriptions {
		m[*d.Target.Id+":"+strconv.Itoa(int(aws.ToInt32(d.Target.Port)))] = *d.TargetHealth
	}
	return m
}

// waitState polls until the target reads as state, or fails after timeout.
func (h *harness) waitState(tg types.TargetGroup, key string, state types.TargetHealthStateEnum, timeout time.Duration) types.TargetHealth {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	var last types.TargetHealth
	for time.Now().Before(deadline) {
		th, ok := h.health(tg)[key]
		if ok && th.State == state {
			return th
		}
		last = th
		time.Sleep(10 * time.Millisecond)
	}
	h.t.Fatalf("target %s did not become %s within %v; last %s/%s", key, state, timeout, last.State, last.Reason)
	return last
}

// backend is a loopback HTTP server playing a pod. It answers status (200
// unless changed) and counts requests.
type backend struct {
	addr   netip.AddrPort
	status atomic.Int64
	hits   atomic.Int64
	// slowStarted counts /slow requests as they arrive, before they sleep.
	slowStarted atomic.Int64
	srv         *http.Server
}

func newBackend(t *testing.T, ip string) *backend {
	t.Helper()
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listening on %s: %v", ip, err)
	}
	b := &backend{addr: netip.MustParseAddrPort(ln.Addr().String())}
	b.status.Store(http.StatusOK)
	b.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			b.slowStarted.Add(1)
			time.Sleep(300 * time.Millisecond)
		}
		if r.URL.Path != "/healthz" && r.URL.Path != "/" {
			b.hits.Add(1)
		}
		w.WriteHeader(int(b.status.Load()))
		_, _ = w.Write([]byte(b.addr.String()))
	})}
	go func() { _ = b.srv.Serve(ln) }()
	t.Cleanup(func() { _ = b.srv.Close() })
	return b
}

// podIP is the 10.244.x.y address that maps onto the backend's 127.244.x.y.
func (b *backend) podIP() string {
	a := b.addr.Addr().As4()
	return netip.AddrFrom4([4]byte{10, a[1], a[2], a[3]}).String()
}

func (b *backend) target() types.TargetDescription {
	return ipTarget(b.podIP(), int32(b.addr.Port()))
}

func (b *backend) key() string { return b.podIP() + ":" + strconv.Itoa(int(b.addr.Port())) }

// withPodDialMap maps the default VPC onto 127.244.0.0/16, as tgc's tests do.
func withPodDialMap(c *Config) {
	c.DialMap = []DialMapping{{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")}}
}

func mustPrefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func probeResult(healthy bool) probe.Result {
	if healthy {
		return probe.Result{Healthy: true}
	}
	return probe.Result{Reason: probe.ReasonFailedHealthChecks, Description: "Health checks failed"}
}

// setDeregistrationDelay sets the group's deregistration_delay attribute.
func (h *harness) setDeregistrationDelay(tg types.TargetGroup, seconds int) {
	h.t.Helper()
	if _, err := h.c.ModifyTargetGroupAttributes(h.ctx, &elbv2.ModifyTargetGroupAttributesInput{
		TargetGroupArn: tg.TargetGroupArn,
		Attributes:     []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String(strconv.Itoa(seconds))}},
	}); err != nil {
		h.t.Fatalf("setting the deregistration delay of %s: %v", aws.ToString(tg.TargetGroupArn), err)
	}
}
