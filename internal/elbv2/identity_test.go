package elbv2_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2/fake"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// built records what an Assumer was asked to build.
type built struct {
	ids      []elbv2.Identity
	limiters map[elbv2.Identity]*elbv2.RateLimiter
}

func (b *built) assume(id elbv2.Identity, l *elbv2.RateLimiter) (elbv2.TargetGroups, error) {
	b.ids = append(b.ids, id)
	b.limiters[id] = l
	return fake.New(fake.Config{}), nil
}

func TestAccountsCacheByRoleAndExternalIDTogether(t *testing.T) {
	b := &built{limiters: map[elbv2.Identity]*elbv2.RateLimiter{}}
	own := fake.New(fake.Config{})
	ownLimiter := elbv2.NewRateLimiter(elbv2.DefaultLimits(), nil)
	accounts := elbv2.NewAccounts(elbv2.AccountsConfig{
		Own: own, OwnLimiter: ownLimiter, OwnAccount: "123456789012", Region: "us-east-1",
		Limits: elbv2.DefaultLimits(), Assume: b.assume,
	})
	right := elbv2.Identity{RoleARN: "arn:aws:iam::111122223333:role/tgc", ExternalID: "tenant-a"}
	wrong := elbv2.Identity{RoleARN: right.RoleARN, ExternalID: "tenant-b"}
	none := elbv2.Identity{RoleARN: right.RoleARN}
	sameAccount := elbv2.Identity{RoleARN: "arn:aws:iam::111122223333:role/other"}
	otherAccount := elbv2.Identity{RoleARN: "arn:aws:iam::444455556666:role/tgc"}
	ownAccount := elbv2.Identity{RoleARN: "arn:aws:iam::123456789012:role/tgc"}

	got := map[elbv2.Identity]elbv2.TargetGroups{}
	for _, id := range []elbv2.Identity{right, wrong, none, right, sameAccount, otherAccount, wrong, ownAccount} {
		tgs, err := accounts.For(id)
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := got[id]; ok && prev != tgs {
			t.Errorf("%+v got a second client; the first should be kept", id)
		}
		got[id] = tgs
	}
	if len(b.ids) != 6 {
		t.Errorf("built %d clients for %v, want one per role and external ID (6)", len(b.ids), b.ids)
	}
	if got[right] == got[wrong] || got[right] == got[none] {
		t.Error("a wrong or missing external ID shares the right one's client and so its session")
	}
	if tgs, _ := accounts.For(elbv2.Identity{}); tgs != own {
		t.Error("the empty identity is not the controller's own client")
	}
	if b.limiters[right] != b.limiters[sameAccount] {
		t.Error("two roles of one account have separate buckets; AWS counts calls per account")
	}
	if b.limiters[right] == b.limiters[otherAccount] {
		t.Error("two accounts share buckets")
	}
	if b.limiters[ownAccount] != ownLimiter {
		t.Error("a role of the controller's own account (--aws-account-id) has buckets apart from the controller's own calls")
	}
}

func TestIdentityAccountIsTheRolesAccount(t *testing.T) {
	cases := map[string]struct{ role, want string }{
		"a role ARN names its account":  {"arn:aws:iam::111122223333:role/tgc", "111122223333"},
		"a role with a path":            {"arn:aws:iam::111122223333:role/ops/tgc", "111122223333"},
		"another partition":             {"arn:aws-cn:iam::111122223333:role/tgc", "111122223333"},
		"the controller's own has none": {"", ""},
		"a user ARN is no role":         {"arn:aws:iam::111122223333:user/tgc", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := (elbv2.Identity{RoleARN: tc.role}).Account(); got != tc.want {
				t.Errorf("Account() = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestSDKAssumerThroughTheEmulator runs the SDK's AssumeRole provider and
// the zone placement against the emulator's STS, ELBv2 and EC2.
func TestSDKAssumerThroughTheEmulator(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/tgc"
	emu, err := emulator.New(emulator.Config{
		Throttle:     emulator.Throttle{Disabled: true},
		HealthChecks: emulator.HealthChecksSimulated,
		Accounts:     []emulator.Account{{ID: "111122223333", AccessKeys: []string{"AKIANETWORK"}, VPCs: []emulator.VPC{{ID: "vpc-0b0b0b0b0b0b0b0b0", CIDR: netip.MustParsePrefix("10.50.0.0/16")}}}},
		Roles:        []emulator.Role{{ARN: role, TrustedAccounts: []string{"123456789012"}, ExternalID: "tenant-a"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = emu.Close() })
	for _, kv := range emulator.SDKEnv(emu.URL(), "us-east-1") {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	ctx := context.Background()
	network := elb.New(elb.Options{Region: "us-east-1", BaseEndpoint: aws.String(emu.URL()), Credentials: credentials.NewStaticCredentialsProvider("AKIANETWORK", "s", "")})
	out, err := network.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("net"), Protocol: "HTTP", Port: aws.Int32(80), VpcId: aws.String("vpc-0b0b0b0b0b0b0b0b0"), TargetType: "ip"})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TargetGroups[0].TargetGroupArn)

	cfg, err := elbv2.LoadConfig(ctx, elbv2.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := elbv2.NewMetrics(prometheus.NewRegistry())
	assume := elbv2.SDKAssumer(cfg, elbv2.Options{Observer: m}, m.Decorate)
	limiter := elbv2.NewRateLimiter(elbv2.Limits{}, nil)

	wrong, err := assume(elbv2.Identity{RoleARN: role, ExternalID: "tenant-b"}, limiter)
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.DescribeTargetGroup(ctx, arn)
	var ae *elbv2.AssumeRoleError
	if !errors.As(err, &ae) || ae.Code != "AccessDenied" || ae.Identity.RoleARN != role {
		t.Fatalf("a wrong external ID: error %v, want an AssumeRoleError with AccessDenied naming the role", err)
	}

	right, err := assume(elbv2.Identity{RoleARN: role, ExternalID: "tenant-a"}, limiter)
	if err != nil {
		t.Fatal(err)
	}
	pods := []targets.Target{{IP: netip.MustParseAddr("10.244.1.7"), Port: 8080}, {IP: netip.MustParseAddr("10.50.0.9"), Port: 8080}}
	if err := right.Register(ctx, arn, pods, elbv2.Write{}); err != nil {
		t.Fatalf("registering a pod outside the group's VPC and one inside: %v", err)
	}
	hs, err := right.TargetHealth(ctx, arn, elbv2.Required)
	if err != nil {
		t.Fatal(err)
	}
	zones := map[string]string{}
	for _, h := range hs {
		zones[h.Target.IP.String()] = h.Target.AvailabilityZone
	}
	if zones["10.244.1.7"] != targets.ZoneAll || zones["10.50.0.9"] == targets.ZoneAll {
		t.Errorf("zones = %v; want all for the pod outside the VPC only", zones)
	}
}
