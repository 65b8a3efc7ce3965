package emulator

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestTargetIdentityIsIDPortAndZoneWithGroupPortByDefault(t *testing.T) {
	h := start(t)
	tg := h.group() // port 8080
	h.register(tg,
		types.TargetDescription{Id: aws.String("10.244.0.1")}, // group port
		ipTarget("10.244.0.1", 8080),                          // the same target
		ipTarget("10.244.0.1", 9090),                          // another port: another target
		types.TargetDescription{Id: aws.String("192.168.0.1"), Port: aws.Int32(8080), AvailabilityZone: aws.String("all")},
	)
	got := h.health(tg)
	for _, want := range []string{"10.244.0.1:8080", "10.244.0.1:9090", "192.168.0.1:8080"} {
		if _, ok := got[want]; !ok {
			t.Fatalf("targets %v lack %s", got, want)
		}
	}
	if len(got) != 3 {
		t.Fatalf("got %d targets %v, want 3", len(got), got)
	}
}

func TestRegisterTargetsIsIdempotent(t *testing.T) {
	h := start(t)
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80))
	h.register(tg, ipTarget("10.244.0.1", 80))
	if got := h.health(tg); len(got) != 1 {
		t.Fatalf("got %v after registering twice, want one target", got)
	}
}

func TestDeregisteringATargetThatIsNotRegisteredSucceeds(t *testing.T) {
	h := start(t)
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80))
	h.deregister(tg, ipTarget("10.244.0.99", 80))
	if got := h.health(tg); len(got) != 1 || got["10.244.0.1:80"].State == types.TargetHealthStateEnumDraining {
		t.Fatalf("got %v, want the registered target untouched", got)
	}
}

func TestIPTargetValidation(t *testing.T) {
	h := start(t, func(c *Config) {
		c.VPCs = []VPC{DefaultVPC, {ID: "vpc-0fedcba9876543210", CIDR: mustPrefix("10.96.0.0/16"), IPv6CIDR: mustPrefix("fd00:10:244::/56")}}
	})
	v4 := h.group()
	v6 := h.group(func(in *elbv2.CreateTargetGroupInput) {
		in.IpAddressType = types.TargetGroupIpAddressTypeEnumIpv6
		in.VpcId = aws.String("vpc-0fedcba9876543210")
	})
	all := aws.String("all")
	cases := map[string]struct {
		group  types.TargetGroup
		target types.TargetDescription
		code   string
	}{
		"IP inside the VPC is accepted":                   {v4, ipTarget("10.244.1.2", 80), ""},
		"IP inside the VPC must not use zone all":         {v4, types.TargetDescription{Id: aws.String("10.244.1.2"), AvailabilityZone: all}, "ValidationError"},
		"RFC 1918 IP outside the VPC requires zone all":   {v4, ipTarget("192.168.1.2", 80), "ValidationError"},
		"RFC 1918 IP outside the VPC with zone all is ok": {v4, types.TargetDescription{Id: aws.String("172.16.0.9"), AvailabilityZone: all}, ""},
		"RFC 6598 IP outside the VPC with zone all is ok": {v4, types.TargetDescription{Id: aws.String("100.64.0.9"), AvailabilityZone: all}, ""},
		"RFC 6598 IP outside the VPC requires zone all":   {v4, ipTarget("100.64.0.9", 80), "ValidationError"},
		"public IP is rejected":                           {v4, types.TargetDescription{Id: aws.String("8.8.8.8"), AvailabilityZone: all}, "InvalidTarget"},
		"loopback IP is rejected":                         {v4, ipTarget("127.0.0.1", 80), "InvalidTarget"},
		"malformed IP is rejected":                        {v4, ipTarget("10.244.1", 80), "InvalidTarget"},
		"hostname is rejected":                            {v4, ipTarget("pod.example", 80), "InvalidTarget"},
		"IPv6 target in an IPv4 group is rejected":        {v4, ipTarget("fd00:10:244::5", 80), "InvalidTarget"},
		"IPv4 target in an IPv6 group is rejected":        {v6, ipTarget("10.244.1.2", 80), "InvalidTarget"},
		"IPv6 target inside an IPv6 VPC is accepted":      {v6, ipTarget("fd00:10:244::5", 80), ""},
		"port outside 1-65535 is rejected":                {v4, ipTarget("10.244.1.3", 70000), "ValidationError"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tc.group.TargetGroupArn, Targets: []types.TargetDescription{tc.target}})
			h.wantCode(err, tc.code)
		})
	}
}

func TestTooManyTargetsFailsTheWholeCall(t *testing.T) {
	h := start(t, func(c *Config) { c.MaxTargetsPerGroup = 3 })
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80), ipTarget("10.244.0.2", 80))
	_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn,
		Targets: []types.TargetDescription{ipTarget("10.244.0.3", 80), ipTarget("10.244.0.4", 80)}})
	h.wantCode(err, "TooManyTargets")
	if got := h.health(tg); len(got) != 2 {
		t.Fatalf("got %d targets after the refused call, want the 2 registered before", len(got))
	}
	// Re-registering existing targets does not count against the quota.
	h.register(tg, ipTarget("10.244.0.1", 80), ipTarget("10.244.0.3", 80))
}

func TestTooManyTargetsDefaultsToOneThousand(t *testing.T) {
	h := start(t)
	tg := h.group()
	batch := make([]types.TargetDescription, 0, 1000)
	for i := range 1000 {
		batch = append(batch, ipTarget("10.244.3.1", int32(1000+i)))
	}
	h.register(tg, batch...)
	_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.3.2", 80)}})
	h.wantCode(err, "TooManyTargets")
}

func TestDescribeTargetHealthOfNamedUnregisteredTargetIsNotRegistered(t *testing.T) {
	h := start(t)
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80))
	got := h.health(tg, ipTarget("10.244.0.1", 80), ipTarget("10.244.0.2", 80))
	if len(got) != 2 {
		t.Fatalf("got %v, want exactly the two named targets", got)
	}
	if th := got["10.244.0.2:80"]; th.State != types.TargetHealthStateEnumUnused || th.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Fatalf("unregistered target reads %s/%s, want unused/Target.NotRegistered", th.State, th.Reason)
	}
	if th := got["10.244.0.1:80"]; th.Reason == types.TargetHealthReasonEnumNotRegistered {
		t.Fatalf("registered target reads as not registered")
	}
}

func TestTargetIsUnusedWhileNoListenerForwardsToItsGroup(t *testing.T) {
	h := start(t)
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80))
	th := h.health(tg)["10.244.0.1:80"]
	if th.State != types.TargetHealthStateEnumUnused || th.Reason != types.TargetHealthReasonEnumNotInUse {
		t.Fatalf("target reads %s/%s, want unused/Target.NotInUse", th.State, th.Reason)
	}
}

func TestDeletingTheLastListenerMakesTargetsUnusedAgain(t *testing.T) {
	h := start(t, func(c *Config) { c.HealthChecks = HealthChecksSimulated })
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80))
	l, _ := h.listen(h.loadBalancer(types.LoadBalancerTypeEnumApplication), tg)
	h.waitState(tg, "10.244.0.1:80", types.TargetHealthStateEnumHealthy, 3*time.Second)
	if _, err := h.c.DeleteListener(h.ctx, &elbv2.DeleteListenerInput{ListenerArn: l.ListenerArn}); err != nil {
		t.Fatal(err)
	}
	if th := h.health(tg)["10.244.0.1:80"]; th.Reason != types.TargetHealthReasonEnumNotInUse {
		t.Fatalf("after deleting the listener the target reads %s/%s, want unused/Target.NotInUse", th.State, th.Reason)
	}
}

func TestRegisteredTargetGoesThroughRegistrationAndInitialChecksToHealthy(t *testing.T) {
	h := start(t, withPodDialMap, func(c *Config) {
		p := FastProfile()
		p.RegistrationDelay = 150 * time.Millisecond
		c.Profile = p
	})
	b := newBackend(t, "127.244.0.11")
	tg := h.group(func(in *elbv2.CreateTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(5) })
	h.attach(tg)
	h.register(tg, b.target())
	th := h.health(tg)[b.key()]
	if th.State != types.TargetHealthStateEnumInitial || th.Reason != types.TargetHealthReasonEnumRegistrationInProgress {
		t.Fatalf("just registered target reads %s/%s, want initial/Elb.RegistrationInProgress", th.State, th.Reason)
	}
	deadline := time.Now().Add(2 * time.Second)
	for h.health(tg)[b.key()].Reason != types.TargetHealthReasonEnumInitialHealthChecking {
		if time.Now().After(deadline) {
			t.Fatal("target never reported Elb.InitialHealthChecking")
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.waitState(tg, b.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
}

func TestFailingHealthChecksMakeTargetUnhealthyWithAWSReasons(t *testing.T) {
	cases := map[string]struct {
		path   string
		status int
		stop   bool
		reason types.TargetHealthReasonEnum
	}{
		"wrong status is a response code mismatch": {path: "/", status: 503, reason: types.TargetHealthReasonEnumResponseCodeMismatch},
		"slow answer is a timeout":                 {path: "/slow", status: 200, reason: types.TargetHealthReasonEnumTimeout},
		"refused connection fails health checks":   {path: "/", status: 200, stop: true, reason: types.TargetHealthReasonEnumFailedHealthChecks},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			h := start(t, withPodDialMap)
			b := newBackend(t, "127.244.0.12")
			b.status.Store(int64(tc.status))
			if tc.stop {
				_ = b.srv.Close()
			}
			tg := h.group(func(in *elbv2.CreateTargetGroupInput) { in.HealthCheckPath = aws.String(tc.path) })
			h.attach(tg)
			h.register(tg, b.target())
			th := h.waitState(tg, b.key(), types.TargetHealthStateEnumUnhealthy, 3*time.Second)
			if th.Reason != tc.reason {
				t.Fatalf("unhealthy reason = %s, want %s", th.Reason, tc.reason)
			}
		})
	}
}

func TestUnhealthyTargetRecoversAfterHealthyThreshold(t *testing.T) {
	h := start(t, withPodDialMap)
	b := newBackend(t, "127.244.0.13")
	b.status.Store(500)
	tg := h.group()
	h.attach(tg)
	h.register(tg, b.target())
	h.waitState(tg, b.key(), types.TargetHealthStateEnumUnhealthy, 3*time.Second)
	b.status.Store(200)
	h.waitState(tg, b.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
}

func TestDrainingLastsTheDeregistrationDelayThenTheTargetIsGone(t *testing.T) {
	h := start(t, func(c *Config) { c.HealthChecks = HealthChecksSimulated })
	tg := h.group()
	h.setDeregistrationDelay(tg, 1)
	h.attach(tg)
	h.register(tg, ipTarget("10.244.0.1", 80))
	h.waitState(tg, "10.244.0.1:80", types.TargetHealthStateEnumHealthy, 3*time.Second)
	deregistered := time.Now()
	h.deregister(tg, ipTarget("10.244.0.1", 80))
	th := h.health(tg)["10.244.0.1:80"]
	if th.State != types.TargetHealthStateEnumDraining || th.Reason != types.TargetHealthReasonEnumDeregistrationInProgress {
		t.Fatalf("deregistered target reads %s/%s, want draining/Target.DeregistrationInProgress", th.State, th.Reason)
	}
	for {
		_, ok := h.health(tg)["10.244.0.1:80"]
		elapsed := time.Since(deregistered)
		if !ok {
			if elapsed < 900*time.Millisecond {
				t.Fatalf("target left after %v, before the 1 s deregistration delay", elapsed)
			}
			break
		}
		if elapsed > 2*time.Second {
			t.Fatalf("target still present %v after deregistration with a 1 s delay", elapsed)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if th := h.health(tg, ipTarget("10.244.0.1", 80))["10.244.0.1:80"]; th.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Fatalf("drained target named explicitly reads %s/%s, want unused/Target.NotRegistered", th.State, th.Reason)
	}
}

func TestRegisteringADrainingTargetCancelsTheDrain(t *testing.T) {
	h := start(t, func(c *Config) { c.HealthChecks = HealthChecksSimulated })
	tg := h.group()
	h.attach(tg)
	h.register(tg, ipTarget("10.244.0.1", 80))
	h.deregister(tg, ipTarget("10.244.0.1", 80))
	h.register(tg, ipTarget("10.244.0.1", 80))
	if th := h.health(tg)["10.244.0.1:80"]; th.State != types.TargetHealthStateEnumInitial {
		t.Fatalf("re-registered draining target reads %s/%s, want initial", th.State, th.Reason)
	}
}

func TestHealthChecksDisabledReadUnavailable(t *testing.T) {
	h := start(t)
	tg := h.group(func(in *elbv2.CreateTargetGroupInput) { in.HealthCheckEnabled = aws.Bool(false) })
	h.attach(tg)
	h.register(tg, ipTarget("10.244.0.1", 80))
	th := h.health(tg)["10.244.0.1:80"]
	if th.State != types.TargetHealthStateEnumUnavailable || th.Reason != types.TargetHealthReasonEnumHealthCheckDisabled {
		t.Fatalf("target reads %s/%s, want unavailable/Target.HealthCheckDisabled", th.State, th.Reason)
	}
}

func TestSimulatedHealthChecksBecomeHealthyWithoutDialing(t *testing.T) {
	h := start(t, func(c *Config) { c.HealthChecks = HealthChecksSimulated })
	tg := h.group()
	h.attach(tg)
	// Nothing listens on 10.244.9.9, and without a dial map it could not be
	// dialed anyway: simulated checks pass on time alone.
	h.register(tg, ipTarget("10.244.9.9", 80))
	h.waitState(tg, "10.244.9.9:80", types.TargetHealthStateEnumHealthy, 3*time.Second)
}

func TestForcedHealthOverridesHealthChecks(t *testing.T) {
	h := start(t, func(c *Config) { c.HealthChecks = HealthChecksSimulated })
	tg := h.group()
	h.attach(tg)
	h.register(tg, ipTarget("10.244.0.1", 80))
	h.waitState(tg, "10.244.0.1:80", types.TargetHealthStateEnumHealthy, 3*time.Second)
	if err := h.emu.ForceTargetHealth(*tg.TargetGroupArn, "10.244.0.1", 80, "unhealthy"); err != nil {
		t.Fatal(err)
	}
	if th := h.health(tg)["10.244.0.1:80"]; th.State != types.TargetHealthStateEnumUnhealthy || th.Reason != types.TargetHealthReasonEnumFailedHealthChecks {
		t.Fatalf("forced target reads %s/%s, want unhealthy/Target.FailedHealthChecks", th.State, th.Reason)
	}
	if err := h.emu.ForceTargetHealth(*tg.TargetGroupArn, "10.244.0.1", 80, ""); err != nil {
		t.Fatal(err)
	}
	if th := h.health(tg)["10.244.0.1:80"]; th.State != types.TargetHealthStateEnumHealthy {
		t.Fatalf("target reads %s after forcing stopped, want healthy", th.State)
	}
	if err := h.emu.ForceTargetHealth(*tg.TargetGroupArn, "10.244.0.2", 80, "healthy"); err == nil {
		t.Fatal("forcing an unregistered target succeeded")
	}
}

func TestEventualConsistencyWindowHidesJustRegisteredTargets(t *testing.T) {
	h := start(t, func(c *Config) {
		p := FastProfile()
		p.RegistrationVisibilityDelay = 300 * time.Millisecond
		c.Profile = p
	})
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80))
	if th := h.health(tg, ipTarget("10.244.0.1", 80))["10.244.0.1:80"]; th.Reason != types.TargetHealthReasonEnumNotRegistered {
		t.Fatalf("target inside the consistency window reads %s/%s, want unused/Target.NotRegistered", th.State, th.Reason)
	}
	if got := h.health(tg); len(got) != 0 {
		t.Fatalf("listing inside the consistency window returned %v, want nothing", got)
	}
	time.Sleep(350 * time.Millisecond)
	if th := h.health(tg, ipTarget("10.244.0.1", 80))["10.244.0.1:80"]; th.Reason == types.TargetHealthReasonEnumNotRegistered {
		t.Fatal("target still reads as not registered after the consistency window")
	}
}
