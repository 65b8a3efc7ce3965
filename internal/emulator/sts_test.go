package emulator

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

const (
	networkAccount = "111122223333"
	networkKey     = "AKIANETWORK"
	guardedRole    = "arn:aws:iam::111122223333:role/tgc-guarded"
	openRole       = "arn:aws:iam::111122223333:role/tgc-open"
	untrustingRole = "arn:aws:iam::111122223333:role/tgc-untrusting"
)

var networkVPC = VPC{ID: "vpc-0b0b0b0b0b0b0b0b0", CIDR: netip.MustParsePrefix("10.50.0.0/16")}

// withNetworkAccount declares a second account holding three roles: one
// that needs an external ID, one that needs none, and one that trusts
// nobody the tests sign as.
func withNetworkAccount(c *Config) {
	c.Accounts = []Account{{ID: networkAccount, AccessKeys: []string{networkKey}, VPCs: []VPC{networkVPC}}}
	c.Roles = []Role{
		{ARN: guardedRole, TrustedAccounts: []string{"123456789012"}, ExternalID: "tenant-a"},
		{ARN: openRole, TrustedAccounts: []string{"123456789012"}},
		{ARN: untrustingRole, TrustedAccounts: []string{"999999999999"}},
	}
}

func stsClient(url string) *sts.Client {
	return sts.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *sts.Options) { o.BaseEndpoint = aws.String(url) })
}

// assumedClient is an ELBv2 client whose credentials come from the SDK's
// own AssumeRole provider, as the controller builds it.
func assumedClient(url, role string, externalID *string) *elasticloadbalancingv2.Client {
	provider := stscreds.NewAssumeRoleProvider(stsClient(url), role, func(o *stscreds.AssumeRoleOptions) { o.ExternalID = externalID })
	return elasticloadbalancingv2.NewFromConfig(aws.Config{
		Region:      "us-east-1",
		Credentials: aws.NewCredentialsCache(provider),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *elasticloadbalancingv2.Options) { o.BaseEndpoint = aws.String(url) })
}

func TestAssumeRoleThroughTheSTSSDK(t *testing.T) {
	h := start(t, withNetworkAccount)
	cases := map[string]struct {
		role       string
		externalID *string
		wantCode   string
	}{
		"the right external ID gets credentials":                    {role: guardedRole, externalID: aws.String("tenant-a")},
		"a wrong external ID is denied":                             {role: guardedRole, externalID: aws.String("tenant-b"), wantCode: "AccessDenied"},
		"no external ID where the trust policy needs one is denied": {role: guardedRole, wantCode: "AccessDenied"},
		"an empty external ID is shorter than the minimum of 2":     {role: guardedRole, externalID: aws.String(""), wantCode: "ValidationError"},
		"a one-character external ID is shorter than 2":             {role: openRole, externalID: aws.String("x"), wantCode: "ValidationError"},
		"a trust policy without the condition accepts any value":    {role: openRole, externalID: aws.String("whatever")},
		"a trust policy without the condition accepts none":         {role: openRole},
		"a role that does not trust the caller's account is denied": {role: untrustingRole, wantCode: "AccessDenied"},
		"a role that does not exist is denied":                      {role: "arn:aws:iam::111122223333:role/missing", wantCode: "AccessDenied"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := stsClient(h.emu.URL()).AssumeRole(context.Background(), &sts.AssumeRoleInput{
				RoleArn: aws.String(tc.role), RoleSessionName: aws.String("tgc-test"), ExternalId: tc.externalID,
			})
			if got := errorCode(err); got != tc.wantCode {
				t.Fatalf("AssumeRole error code = %q (%v), want %q", got, err, tc.wantCode)
			}
			if tc.wantCode != "" {
				return
			}
			c := out.Credentials
			if len(aws.ToString(c.AccessKeyId)) < 16 || aws.ToString(c.AccessKeyId)[:4] != "ASIA" || aws.ToString(c.SecretAccessKey) == "" || aws.ToString(c.SessionToken) == "" {
				t.Fatalf("credentials = %+v, want an ASIA key, a secret and a session token", c)
			}
			if left := time.Until(aws.ToTime(c.Expiration)); left < 50*time.Minute || left > 61*time.Minute {
				t.Errorf("credentials expire in %s, want the default hour", left)
			}
			if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::111122223333:assumed-role/"+tc.role[len("arn:aws:iam::111122223333:role/"):]+"/tgc-test" {
				t.Errorf("assumed role user = %s", got)
			}
		})
	}
}

func TestAssumedRoleSeesOnlyItsAccountsTargetGroups(t *testing.T) {
	h := start(t, withNetworkAccount)
	own := h.group()
	network := assumedClient(h.emu.URL(), guardedRole, aws.String("tenant-a"))
	created, err := network.CreateTargetGroup(h.ctx, &elasticloadbalancingv2.CreateTargetGroupInput{
		Name: aws.String("network-tg"), Protocol: "HTTP", Port: aws.Int32(80), VpcId: aws.String(networkVPC.ID), TargetType: "ip",
	})
	if err != nil {
		t.Fatalf("creating a group with the assumed role: %v", err)
	}
	theirs := created.TargetGroups[0]
	if got := arnAccount(aws.ToString(theirs.TargetGroupArn)); got != networkAccount {
		t.Fatalf("the assumed role's group is in account %s, want %s", got, networkAccount)
	}

	listed, err := network.DescribeTargetGroups(h.ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
	if err != nil || len(listed.TargetGroups) != 1 || aws.ToString(listed.TargetGroups[0].TargetGroupArn) != aws.ToString(theirs.TargetGroupArn) {
		t.Fatalf("the network account lists %+v (%v), want only its own group", listed, err)
	}
	_, err = network.DescribeTargetHealth(h.ctx, &elasticloadbalancingv2.DescribeTargetHealthInput{TargetGroupArn: own.TargetGroupArn})
	h.wantCode(err, "TargetGroupNotFound")
	_, err = h.c.RegisterTargets(h.ctx, &elasticloadbalancingv2.RegisterTargetsInput{TargetGroupArn: theirs.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.1.8", 80)}})
	h.wantCode(err, "TargetGroupNotFound")
	mine, err := h.c.DescribeTargetGroups(h.ctx, &elasticloadbalancingv2.DescribeTargetGroupsInput{})
	if err != nil || len(mine.TargetGroups) != 1 || aws.ToString(mine.TargetGroups[0].TargetGroupArn) != aws.ToString(own.TargetGroupArn) {
		t.Fatalf("the default account lists %+v (%v), want only its own group", mine, err)
	}

	// A pod of the cluster's VPC is outside the network account's VPC:
	// AWS takes it only with the Availability Zone "all".
	_, err = network.RegisterTargets(h.ctx, &elasticloadbalancingv2.RegisterTargetsInput{TargetGroupArn: theirs.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.1.7", 8080)}})
	h.wantCode(err, "ValidationError")
	all := ipTarget("10.244.1.7", 8080)
	all.AvailabilityZone = aws.String("all")
	if _, err := network.RegisterTargets(h.ctx, &elasticloadbalancingv2.RegisterTargetsInput{TargetGroupArn: theirs.TargetGroupArn, Targets: []types.TargetDescription{all}}); err != nil {
		t.Fatalf("registering a pod outside the VPC with AZ all: %v", err)
	}

	calls := h.emu.Calls()
	var assumed int
	for _, c := range calls {
		if c.Action == "AssumeRole" && c.Role == guardedRole && c.Result == "OK" && c.Account == "123456789012" {
			assumed++
		}
	}
	if assumed != 1 {
		t.Errorf("AssumeRole calls = %d, want 1: the credentials cache reuses the session", assumed)
	}
}

func TestAccessKeyOfADeclaredAccountActsInThatAccount(t *testing.T) {
	h := start(t, withNetworkAccount)
	c := elasticloadbalancingv2.NewFromConfig(aws.Config{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider(networkKey, "SECRET", ""),
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *elasticloadbalancingv2.Options) { o.BaseEndpoint = aws.String(h.emu.URL()) })
	out, err := c.CreateTargetGroup(h.ctx, &elasticloadbalancingv2.CreateTargetGroupInput{
		Name: aws.String("keyed-tg"), Protocol: "HTTP", Port: aws.Int32(80), VpcId: aws.String(networkVPC.ID), TargetType: "ip",
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := arnAccount(aws.ToString(out.TargetGroups[0].TargetGroupArn)); got != networkAccount {
		t.Fatalf("group account = %s, want %s", got, networkAccount)
	}
}

func TestAccountsAreValidated(t *testing.T) {
	cases := map[string]func(*Config){
		"a role in an undeclared account": func(c *Config) {
			c.Roles = []Role{{ARN: "arn:aws:iam::444455556666:role/x", TrustedAccounts: []string{"123456789012"}}}
		},
		"a role that is no role ARN": func(c *Config) { c.Roles = []Role{{ARN: "arn:aws:iam::123456789012:user/x"}} },
		"one access key in two accounts": func(c *Config) {
			c.Accounts = []Account{{ID: "111122223333", AccessKeys: []string{"K"}}, {ID: "444455556666", AccessKeys: []string{"K"}}}
		},
		"an account without a key": func(c *Config) { c.Accounts = []Account{{ID: "111122223333"}} },
		"a one-character required ExternalId": func(c *Config) {
			withNetworkAccount(c)
			c.Roles[0].ExternalID = "x"
		},
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			var c Config
			mutate(&c)
			if _, err := c.withDefaults(); err == nil {
				t.Fatal("withDefaults accepted it")
			}
		})
	}
}

func TestAnAccountsLoadBalancerForwardsToItsOwnGroup(t *testing.T) {
	h := start(t, withNetworkAccount)
	own := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	network := assumedClient(h.emu.URL(), openRole, nil)
	lb, err := network.CreateLoadBalancer(h.ctx, &elasticloadbalancingv2.CreateLoadBalancerInput{Name: aws.String("network-lb"), Type: types.LoadBalancerTypeEnumApplication})
	if err != nil {
		t.Fatal(err)
	}
	lbARN := aws.ToString(lb.LoadBalancers[0].LoadBalancerArn)
	if got := arnAccount(lbARN); got != networkAccount {
		t.Fatalf("load balancer account = %s, want %s", got, networkAccount)
	}
	tg, err := network.CreateTargetGroup(h.ctx, &elasticloadbalancingv2.CreateTargetGroupInput{
		Name: aws.String("network-lb-tg"), Protocol: "HTTP", Port: aws.Int32(80), VpcId: aws.String(networkVPC.ID), TargetType: "ip",
	})
	if err != nil {
		t.Fatal(err)
	}
	l, err := network.CreateListener(h.ctx, &elasticloadbalancingv2.CreateListenerInput{
		LoadBalancerArn: aws.String(lbARN), Protocol: "HTTP", Port: aws.Int32(int32(freePort(t))),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroups[0].TargetGroupArn}},
	})
	if err != nil {
		t.Fatalf("a listener of the account's own load balancer: %v", err)
	}
	if got := arnAccount(aws.ToString(l.Listeners[0].ListenerArn)); got != networkAccount {
		t.Errorf("listener account = %s, want %s", got, networkAccount)
	}
	listed, err := network.DescribeLoadBalancers(h.ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{})
	if err != nil || len(listed.LoadBalancers) != 1 {
		t.Fatalf("the network account lists %d load balancers (%v), want its own only", len(listed.LoadBalancers), err)
	}
	_, err = network.DescribeLoadBalancers(h.ctx, &elasticloadbalancingv2.DescribeLoadBalancersInput{Names: []string{aws.ToString(own.LoadBalancerName)}})
	h.wantCode(err, "LoadBalancerNotFound")
}

func TestAccountsAndRolesCanBeSetAtRunTime(t *testing.T) {
	h := start(t)
	put := func(body string) int {
		req, _ := http.NewRequest(http.MethodPut, h.emu.URL()+"/_emulator/accounts", strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	assume := func() string {
		_, err := stsClient(h.emu.URL()).AssumeRole(context.Background(), &sts.AssumeRoleInput{
			RoleArn: aws.String(openRole), RoleSessionName: aws.String("tgc-test"),
		})
		return errorCode(err)
	}
	if got := assume(); got != "AccessDenied" {
		t.Fatalf("before the role exists: %q, want AccessDenied", got)
	}
	if code := put(`{"accounts":[{"id":"111122223333","accessKeys":["AKIANETWORK"],"vpcs":[{"id":"vpc-0b0b0b0b0b0b0b0b0","cidr":"10.50.0.0/16"}]}],
		"roles":[{"arn":"` + openRole + `","trustedAccounts":["123456789012"]}]}`); code != http.StatusOK {
		t.Fatalf("PUT /_emulator/accounts = %d", code)
	}
	if got := assume(); got != "" {
		t.Fatalf("after the PUT: %q, want credentials", got)
	}
	if code := put(`{"roles":[{"arn":"arn:aws:iam::999999999999:role/x","trustedAccounts":["123456789012"]}]}`); code != http.StatusBadRequest {
		t.Errorf("a role of an undeclared account: PUT = %d, want 400", code)
	}
	if got := assume(); got != "" {
		t.Errorf("a refused PUT changed the roles: %q", got)
	}
}
