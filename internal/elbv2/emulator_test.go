package elbv2_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// These tests run the adapter through the real SDK against the project's
// ELBv2 emulator, which throttles with its own token buckets and validates
// targets like AWS does. Health checks are simulated: nothing is dialed.

type stack struct {
	emu     *emulator.Emulator
	client  *elb.Client
	metrics *elbv2.Metrics
	reg     *prometheus.Registry
}

func startEmulator(t *testing.T, th emulator.Throttle, o elbv2.Options) *stack {
	t.Helper()
	emu, err := emulator.New(emulator.Config{Throttle: th, HealthChecks: emulator.HealthChecksSimulated})
	if err != nil {
		t.Fatalf("emulator.New: %v", err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatalf("emulator Start: %v", err)
	}
	t.Cleanup(func() { _ = emu.Close() })

	t.Setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", emu.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	reg := prometheus.NewRegistry()
	m := elbv2.NewMetrics(reg)
	o.Observer = m
	c, err := elbv2.NewClient(context.Background(), o)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return &stack{emu: emu, client: c, metrics: m, reg: reg}
}

func (s *stack) group(t *testing.T, name string) string {
	t.Helper()
	out, err := s.client.CreateTargetGroup(context.Background(), &elb.CreateTargetGroupInput{
		Name:       aws.String(name),
		TargetType: elbtypes.TargetTypeEnumIp,
		Protocol:   elbtypes.ProtocolEnumHttp,
		Port:       aws.Int32(80),
		VpcId:      aws.String(emulator.DefaultVPC.ID),
	})
	if err != nil {
		t.Fatalf("CreateTargetGroup: %v", err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

func (s *stack) throttled(action string) int {
	n := 0
	for _, c := range s.emu.Calls() {
		if c.Action == action && c.Result == "Throttling" {
			n++
		}
	}
	return n
}

// value reads one counter from the registry; labels must match exactly.
func (s *stack) value(t *testing.T, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			if len(m.GetLabel()) != len(labels) {
				continue
			}
			for _, l := range m.GetLabel() {
				if labels[l.GetName()] != l.GetValue() {
					continue metrics
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

func pods(n int) []targets.Target {
	out := make([]targets.Target, n)
	for i := range out {
		out[i] = targets.Target{IP: netip.AddrFrom4([4]byte{10, 244, byte(i / 250), byte(1 + i%250)}), Port: 8080}
	}
	return out
}

func TestEmulatorRegistersAndDescribesThroughTheRealSDK(t *testing.T) {
	s := startEmulator(t, emulator.Throttle{Disabled: true}, elbv2.Options{})
	arn := s.group(t, "web")
	tg := s.metrics.Decorate(elbv2.NewSDK(s.client))
	ctx := context.Background()

	info, err := tg.DescribeTargetGroup(ctx, arn)
	if err != nil {
		t.Fatalf("DescribeTargetGroup: %v", err)
	}
	if info.TargetType != "ip" || info.IPAddressType != "ipv4" {
		t.Errorf("target group = %+v, want an ipv4 ip group", info)
	}
	if _, err := s.client.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{arn}, Tags: []elbtypes.Tag{{Key: aws.String("owner"), Value: aws.String("team-a")}}}); err != nil {
		t.Fatalf("AddTags: %v", err)
	}
	if tags, err := tg.Tags(ctx, arn); err != nil || tags["owner"] != "team-a" || len(tags) != 1 {
		t.Errorf("Tags = %v, %v; want owner=team-a", tags, err)
	}
	if delay, err := tg.DeregistrationDelay(ctx, arn, elbv2.Required); err != nil || delay <= 0 {
		t.Errorf("DeregistrationDelay = %s, %v; want the group's delay", delay, err)
	}
	if err := tg.Register(ctx, arn, pods(450), elbv2.Write{}); err != nil {
		t.Fatalf("Register: %v", err)
	}
	var sizes []int
	for _, c := range s.emu.Calls() {
		if c.Action == "RegisterTargets" {
			sizes = append(sizes, c.Targets)
		}
	}
	if len(sizes) != 3 || sizes[0] != 200 || sizes[1] != 200 || sizes[2] != 50 {
		t.Errorf("emulator saw RegisterTargets calls of %v targets, want [200 200 50]", sizes)
	}
	hs, err := tg.TargetHealth(ctx, arn, elbv2.Required)
	if err != nil {
		t.Fatalf("TargetHealth: %v", err)
	}
	if len(hs) != 450 {
		t.Errorf("TargetHealth listed %d targets, want 450", len(hs))
	}
	if got := s.value(t, "tgc_targets_registered_total", nil); got != 450 {
		t.Errorf("tgc_targets_registered_total = %v, want 450", got)
	}
}

func TestEmulatorErrorsMapOntoDomainErrors(t *testing.T) {
	s := startEmulator(t, emulator.Throttle{Disabled: true}, elbv2.Options{})
	arn := s.group(t, "web")
	tg := elbv2.NewSDK(s.client)
	ctx := context.Background()
	public := targets.Target{IP: netip.MustParseAddr("8.8.8.8"), Port: 80}

	cases := map[string]struct {
		call func() error
		want error
	}{
		"unknown ARN is TargetGroupNotFound": {
			call: func() error {
				return tg.Register(ctx, "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef", pods(1), elbv2.Write{})
			},
			want: elbv2.ErrTargetGroupNotFound,
		},
		"unknown name is TargetGroupNotFound": {
			call: func() error { _, err := tg.FindTargetGroupByName(ctx, "nope"); return err },
			want: elbv2.ErrTargetGroupNotFound,
		},
		"public address is InvalidTarget": {
			call: func() error { return tg.Register(ctx, arn, []targets.Target{public}, elbv2.Write{}) },
			want: elbv2.ErrInvalidTarget,
		},
		"malformed ARN is ValidationError": {
			call: func() error { _, err := tg.DescribeTargetGroup(ctx, "not-an-arn"); return err },
			want: elbv2.ErrValidation,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			err := tc.call()
			if !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestEmulatorThrottlingStormIsRetriedToConvergence(t *testing.T) {
	// The emulator refills 10 register tokens a second from a burst of 1;
	// the client has no limiter of its own, so most attempts are throttled
	// and only the SDK's retries get the calls through.
	s := startEmulator(t, emulator.Throttle{Register: emulator.RateLimit{PerSecond: 10, Burst: 1}},
		elbv2.Options{MaxAttempts: 20, MaxBackoff: 20 * time.Millisecond})
	arn := s.group(t, "web")
	tg := s.metrics.Decorate(elbv2.NewSDK(s.client))
	ctx := context.Background()

	ts := pods(8)
	for _, b := range targets.Batches(ts, 1) {
		if err := tg.Register(ctx, arn, b, elbv2.Write{}); err != nil {
			t.Fatalf("Register during the storm: %v", err)
		}
	}
	hs, err := tg.TargetHealth(ctx, arn, elbv2.Required)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != len(ts) {
		t.Errorf("group holds %d targets after the storm, want %d", len(hs), len(ts))
	}
	emuThrottles := s.throttled("RegisterTargets")
	t.Logf("%d registrations converged after %d throttled attempts (%v retries counted)", len(ts), emuThrottles,
		s.value(t, "tgc_aws_api_retries_total", map[string]string{"operation": "RegisterTargets"}))
	if emuThrottles == 0 {
		t.Fatal("the emulator throttled nothing; the storm did not happen")
	}
	if got := s.value(t, "tgc_aws_api_throttles_total", map[string]string{"operation": "RegisterTargets"}); int(got) != emuThrottles {
		t.Errorf("tgc counted %v throttles, the emulator answered %d", got, emuThrottles)
	}
}

func TestEmulatorClientSideLimitsAvoidThrottling(t *testing.T) {
	// The client's bucket refills at half the emulator's rate, and the
	// emulator's burst of 2 absorbs network jitter between calls, so every
	// call finds a token waiting at the emulator.
	s := startEmulator(t, emulator.Throttle{Register: emulator.RateLimit{PerSecond: 20, Burst: 2}}, elbv2.Options{MaxAttempts: 1})
	arn := s.group(t, "web")
	tg := elbv2.WithRateLimits(elbv2.NewSDK(s.client), elbv2.Limits{Register: elbv2.Bucket{Rate: 10, Burst: 1}}, nil)
	ctx := context.Background()

	for _, b := range targets.Batches(pods(10), 1) {
		if err := tg.Register(ctx, arn, b, elbv2.Write{}); err != nil {
			t.Fatalf("Register with client-side pacing and no retries: %v", err)
		}
	}
	if n := s.throttled("RegisterTargets"); n != 0 {
		t.Errorf("the emulator throttled %d calls despite client-side pacing", n)
	}
}

func TestEmulatorTargetGroupSweepPagesThroughEveryGroup(t *testing.T) {
	s := startEmulator(t, emulator.Throttle{Disabled: true}, elbv2.Options{})
	want := map[string]bool{}
	for i := range 450 {
		want[s.group(t, fmt.Sprintf("g%03d", i))] = true
	}
	tg := elbv2.NewSDK(s.client)
	got := map[string]bool{}
	pages := 0
	for marker := ""; ; {
		page, next, err := tg.TargetGroupPage(context.Background(), marker)
		if err != nil {
			t.Fatalf("page %d: %v", pages, err)
		}
		pages++
		for _, g := range page {
			if g.TargetType != "ip" {
				t.Errorf("group %s has type %q", g.ARN, g.TargetType)
			}
			got[g.ARN] = true
		}
		if next == "" {
			break
		}
		marker = next
	}
	if len(got) != len(want) || pages != 2 {
		t.Errorf("swept %d groups in %d pages, want %d in 2 (400 a page)", len(got), pages, len(want))
	}
}

// The adapter writes and reads instance targets by their instance ID, and
// AWS's refusal of an instance that does not exist is a rejected target.
func TestAdapterRegistersInstanceTargets(t *testing.T) {
	s := startEmulator(t, emulator.Throttle{Disabled: true}, elbv2.Options{})
	if err := s.emu.SetInstance("i-0123456789abcdef0", netip.MustParseAddr("127.0.10.1")); err != nil {
		t.Fatal(err)
	}
	out, err := s.client.CreateTargetGroup(context.Background(), &elb.CreateTargetGroupInput{
		Name: aws.String("nodes"), TargetType: elbtypes.TargetTypeEnumInstance, Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(80), VpcId: aws.String(emulator.DefaultVPC.ID), HealthCheckPort: aws.String("31999"),
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TargetGroups[0].TargetGroupArn)
	sdk := elbv2.NewSDK(s.client)
	ctx := context.Background()
	node := targets.Target{Instance: "i-0123456789abcdef0", Port: 30080}
	if err := sdk.Register(ctx, arn, []targets.Target{node}, elbv2.Write{}); err != nil {
		t.Fatal(err)
	}
	hs, err := sdk.TargetHealth(ctx, arn, elbv2.Required)
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].Target.Key() != node.Key() {
		t.Fatalf("TargetHealth = %+v, want %s", hs, node)
	}
	tg, err := sdk.DescribeTargetGroup(ctx, arn)
	if err != nil || tg.TargetType != "instance" || tg.HealthCheckPort != "31999" {
		t.Fatalf("DescribeTargetGroup = %+v, %v; want type instance, health check port 31999", tg, err)
	}
	err = sdk.Register(ctx, arn, []targets.Target{{Instance: "i-0123456789abcdef1", Port: 30080}}, elbv2.Write{})
	if !errors.Is(err, elbv2.ErrInvalidTarget) {
		t.Fatalf("registering an instance that does not exist: %v, want ErrInvalidTarget", err)
	}
}
