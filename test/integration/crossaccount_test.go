package integration

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// The network accounts: their groups live in VPCs the pods (10.244/16)
// are not in, as when load balancers sit in a network account.
const (
	networkAccount = "111122223333"
	networkKey     = "AKIANETWORKACCOUNT"
	networkVPC     = "vpc-0b0b0b0b0b0b0b0b0"
	otherAccount   = "444455556666"
	otherKey       = "AKIAOTHERACCOUNT"
	otherVPC       = "vpc-0c0c0c0c0c0c0c0c0"
	ownAccount     = "123456789012"

	roleGuarded = "arn:aws:iam::111122223333:role/tgc-guarded"
	roleOpen    = "arn:aws:iam::111122223333:role/tgc-open"
	roleShared  = "arn:aws:iam::111122223333:role/tgc-shared"
	roleTenancy = "arn:aws:iam::111122223333:role/tgc-tenancy"
	roleOther   = "arn:aws:iam::444455556666:role/tgc-other"
)

var crossAccounts = []emulator.Account{
	{ID: networkAccount, AccessKeys: []string{networkKey}, VPCs: []emulator.VPC{{ID: networkVPC, CIDR: netip.MustParsePrefix("10.50.0.0/16")}}},
	{ID: otherAccount, AccessKeys: []string{otherKey}, VPCs: []emulator.VPC{{ID: otherVPC, CIDR: netip.MustParsePrefix("10.60.0.0/16")}}},
}

// Each test has roles of its own, so that the AssumeRole calls it counts
// are its own.
var crossRoles = []emulator.Role{
	{ARN: roleGuarded, TrustedAccounts: []string{ownAccount}, ExternalID: "tenant-a"},
	{ARN: roleOpen, TrustedAccounts: []string{ownAccount}},
	{ARN: roleShared, TrustedAccounts: []string{ownAccount}, ExternalID: "tenant-s"},
	{ARN: roleTenancy, TrustedAccounts: []string{ownAccount}},
	{ARN: roleOther, TrustedAccounts: []string{ownAccount}},
}

// accountClient is an ELBv2 client signing as one of the account's keys.
func accountClient(key string) *elb.Client {
	return elb.New(elb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(shared.emu.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(key, "secret", ""),
	})
}

// accountGroup creates an ip target group in the account of key.
func (e *env) accountGroup(key, vpc string) string {
	e.t.Helper()
	out, err := accountClient(key).CreateTargetGroup(e.ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(uniq("xtg")), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String(vpc), TargetType: elbtypes.TargetTypeEnumIp,
	})
	if err != nil {
		e.t.Fatalf("creating a target group in another account: %v", err)
	}
	return aws.ToString(out.TargetGroups[0].TargetGroupArn)
}

// accountTargets lists the group's targets as "ip:port/zone", read with the
// account's own key.
func (e *env) accountTargets(key, arn string) []string {
	e.t.Helper()
	out, err := accountClient(key).DescribeTargetHealth(e.ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn)})
	if err != nil {
		e.t.Fatalf("DescribeTargetHealth in another account: %v", err)
	}
	var got []string
	for _, d := range out.TargetHealthDescriptions {
		got = append(got, aws.ToString(d.Target.Id)+"/"+aws.ToString(d.Target.AvailabilityZone))
	}
	return got
}

func assuming(role, externalID string) bindingOption {
	return func(b *v1alpha1.TargetGroupBinding) {
		b.Spec.IAMRoleArnToAssume = role
		b.Spec.AssumeRoleExternalID = externalID
	}
}

// assumeCalls counts the emulator's AssumeRole answers for role since
// since, by result.
func assumeCalls(role string, since time.Time) map[string]int {
	out := map[string]int{}
	for _, c := range shared.emu.Calls() {
		if c.Action == "AssumeRole" && c.Role == role && !c.Time.Before(since) {
			out[c.Result]++
		}
	}
	return out
}

// crossAccountWeb runs one pod of app web, bound to a new group of the
// network account through roleOpen with externalID, and a controller; it
// returns the group's ARN and the pod's target once the pod is ready.
func (e *env) crossAccountWeb(externalID string) (string, []string) {
	e.t.Helper()
	arn := e.accountGroup(networkKey, networkVPC)
	labels := e.app("web", 1, 8080)
	e.binding("web", "web", intstr.FromString("web"), arn, assuming(roleOpen, externalID))
	e.startController(e.controllerOptions())
	return arn, e.waitReadyPods(labels, 1, 8080, 30*time.Second)
}

func TestAssumedRoleWithEmptyWrongAndRightExternalIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	right, wrong, empty, open := e.accountGroup(networkKey, networkVPC), e.accountGroup(networkKey, networkVPC), e.accountGroup(networkKey, networkVPC), e.accountGroup(networkKey, networkVPC)
	labels := e.app("web", 2, 8080)
	e.binding("right", "web", intstr.FromString("web"), right, assuming(roleGuarded, "tenant-a"))
	e.binding("wrong", "web", intstr.FromString("web"), wrong, assuming(roleGuarded, "tenant-b"))
	e.binding("empty", "web", intstr.FromString("web"), empty, assuming(roleGuarded, ""))
	e.binding("open", "web", intstr.FromString("web"), open, assuming(roleOpen, ""))
	e.startController(e.controllerOptions())
	e.waitReadyPods(labels, 2, 8080, 30*time.Second)

	e.waitReady("right", metav1.ConditionTrue, v1alpha1.ReasonSynced, 20*time.Second)
	e.waitReady("open", metav1.ConditionTrue, v1alpha1.ReasonSynced, 20*time.Second)
	for _, name := range []string{"wrong", "empty"} {
		b := e.waitReady(name, metav1.ConditionFalse, v1alpha1.ReasonAssumeRoleFailed, 20*time.Second)
		msg := readyMessage(b)
		if !strings.Contains(msg, roleGuarded) || !strings.Contains(msg, "spec.assumeRoleExternalId") {
			t.Errorf("binding %s: Ready message %q does not name the role and the field to fix", name, msg)
		}
		e.waitEvent(name, corev1.EventTypeWarning, v1alpha1.ReasonAssumeRoleFailed, 5*time.Second)
	}
	if got := e.accountTargets(networkKey, wrong); len(got) != 0 {
		t.Errorf("the binding with the wrong external ID registered %v", got)
	}
	if got := e.accountTargets(networkKey, empty); len(got) != 0 {
		t.Errorf("the binding without the external ID registered %v", got)
	}
	for name, arn := range map[string]string{"right": right, "open": open} {
		e.eventually(10*time.Second, "binding "+name+" registers both pods in the network account", func() (bool, string) {
			got := e.accountTargets(networkKey, arn)
			return len(got) == 2, strings.Join(got, ",")
		})
	}
}

func TestTwoBindingsOfOneRoleWithDifferentExternalIDsNeverShareASession(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	right, wrong := e.accountGroup(networkKey, networkVPC), e.accountGroup(networkKey, networkVPC)
	start := time.Now()
	labels := e.app("web", 1, 8080)
	e.binding("right", "web", intstr.FromString("web"), right, assuming(roleShared, "tenant-s"))
	e.startController(e.controllerOptions())
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	e.waitReady("right", metav1.ConditionTrue, v1alpha1.ReasonSynced, 20*time.Second)

	// The right session is cached now; the wrong external ID must still
	// go to STS, and be refused.
	e.binding("wrong", "web", intstr.FromString("web"), wrong, assuming(roleShared, "tenant-x"))
	e.waitReady("wrong", metav1.ConditionFalse, v1alpha1.ReasonAssumeRoleFailed, 20*time.Second)
	calls := assumeCalls(roleShared, start)
	if calls["OK"] != 1 || calls["AccessDenied"] < 1 {
		t.Errorf("AssumeRole answers for %s = %v; want one session for the right external ID, and the wrong one denied", roleShared, calls)
	}
	if got := e.accountTargets(networkKey, wrong); len(got) != 0 {
		t.Errorf("the wrong external ID's group got targets %v through another binding's session", got)
	}
}

func TestCrossAccountIPTargetIsRegisteredWithAvailabilityZoneAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn, pods := e.crossAccountWeb("tenant-z")
	e.eventually(20*time.Second, "the pod registered in the network account", func() (bool, string) {
		got := e.accountTargets(networkKey, arn)
		return len(got) == 1, strings.Join(got, ",")
	})
	// The pod's IP is in 10.244/16, outside the group's VPC (10.50/16):
	// AWS takes it only in zone "all", and the emulator records it so.
	want := strings.Split(pods[0], ":")[0] + "/all"
	if got := e.accountTargets(networkKey, arn); got[0] != want {
		t.Errorf("registered target = %s, want %s", got[0], want)
	}
}

func TestEachAccountHasItsOwnRegisterBucket(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Each account's register bucket holds one token, refilled every 50s:
	// of two groups in the network account, only one can be registered in
	// this test.
	o := e.controllerOptions()
	o.Limits.Register.Rate, o.Limits.Register.Burst = 0.02, 1
	o.Limits.Adaptive = false
	net1, net2 := e.accountGroup(networkKey, networkVPC), e.accountGroup(networkKey, networkVPC)
	registered := func() int { return len(e.accountTargets(networkKey, net1)) + len(e.accountTargets(networkKey, net2)) }
	labels := e.app("web", 1, 8080)
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	e.binding("net1", "web", intstr.FromString("web"), net1, assuming(roleOpen, ""))
	e.binding("net2", "web", intstr.FromString("web"), net2, assuming(roleOpen, ""))
	c := e.startController(o)
	e.eventually(20*time.Second, "one network-account group registered", func() (bool, string) {
		return registered() == 1, ""
	})

	// The network account's bucket is empty; the other account's is full.
	other := e.accountGroup(otherKey, otherVPC)
	e.binding("other", "web", intstr.FromString("web"), other, assuming(roleOther, ""))
	e.eventually(15*time.Second, "the other account's group registered while the network account waits", func() (bool, string) {
		return len(e.accountTargets(otherKey, other)) == 1, ""
	})
	if n := registered(); n != 1 {
		t.Fatalf("network-account groups with targets = %d; the test needs that account's bucket still empty", n)
	}
	waited, err := metricValue(c.registry, "tgc_aws_rate_limit_account_wait_seconds_total", map[string]string{"account": otherAccount})
	if err != nil {
		t.Fatal(err)
	}
	// Sharing the network account's bucket would have deferred the
	// register by up to 50s; its own bucket had the token at once.
	if waited >= 1 {
		t.Errorf("calls in account %s waited %.2fs for tokens; its buckets are its own", otherAccount, waited)
	}
	if calls, err := metricValue(c.registry, "tgc_aws_rate_limit_account_calls_total", map[string]string{"account": otherAccount}); err != nil || calls == 0 {
		t.Errorf("account %s calls = %v (%v), want its calls counted under its own label", otherAccount, calls, err)
	}
}

// TargetGroupPolicies are cluster-scoped, so this test runs alone, like
// the other tenancy tests.
func TestARoleTheNamespacesPolicyDoesNotAllowIsRefused(t *testing.T) {
	e := newEnv(t)
	arn := e.accountGroup(networkKey, networkVPC)
	team := uniq("team")
	start := time.Now()
	e.labelNamespace("team", team)
	policy := &v1alpha1.TargetGroupPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: uniq("policy")},
		Spec: v1alpha1.TargetGroupPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"team": team}},
			TargetGroups:      []v1alpha1.TargetGroupMatch{{ARN: arn}},
			Roles:             []v1alpha1.RoleMatch{{ARNPattern: "arn:aws:iam::111122223333:role/someone-else-*"}},
		},
	}
	if err := e.kube.Create(e.ctx, policy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.kube.Delete(context.Background(), policy) })
	labels := e.app("web", 1, 8080)
	e.startController(e.controllerOptions())
	e.waitReadyPods(labels, 1, 8080, 30*time.Second)
	// The webhook is not running in this test's controller; the sync
	// decides as the webhook would.
	e.binding("web", "web", intstr.FromString("web"), arn, assuming(roleTenancy, ""))
	b := e.waitReady("web", metav1.ConditionFalse, v1alpha1.ReasonRoleNotAllowed, 20*time.Second)
	if msg := readyMessage(b); !strings.Contains(msg, roleTenancy) || !strings.Contains(msg, "spec.roles") {
		t.Errorf("Ready message %q does not name the role and spec.roles", msg)
	}
	if got := e.accountTargets(networkKey, arn); len(got) != 0 {
		t.Errorf("a role no policy allows registered %v", got)
	}
	if n := assumeCalls(roleTenancy, start)["OK"]; n != 0 {
		t.Errorf("tgc assumed a role the policy does not allow (%d sessions)", n)
	}
}

func TestABadRoleOrExternalIDIsRefusedByTheAPIServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cases := map[string]struct {
		role, externalID string
		want             string
	}{
		"an external ID without a role":    {externalID: "tenant-a", want: "assumeRoleExternalId is the external ID of iamRoleArnToAssume"},
		"a one-character external ID":      {role: roleGuarded, externalID: "x", want: "spec.assumeRoleExternalId"},
		"an external ID with a space":      {role: roleGuarded, externalID: "tenant a", want: "spec.assumeRoleExternalId"},
		"a user ARN where a role belongs":  {role: "arn:aws:iam::111122223333:user/tgc", want: "spec.iamRoleArnToAssume"},
		"a role ARN without an account ID": {role: "arn:aws:iam:::role/tgc", want: "spec.iamRoleArnToAssume"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			spec := map[string]any{
				"targetGroupARN": "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/0123456789abcdef",
				"serviceRef":     map[string]any{"name": "web", "port": int64(80)},
			}
			if tc.role != "" {
				spec["iamRoleArnToAssume"] = tc.role
			}
			if tc.externalID != "" {
				spec["assumeRoleExternalId"] = tc.externalID
			}
			b := &unstructured.Unstructured{Object: map[string]any{
				"apiVersion": v1alpha1.GroupVersion.String(),
				"kind":       "TargetGroupBinding",
				"metadata":   map[string]any{"namespace": e.ns, "generateName": "bad-"},
				"spec":       spec,
			}}
			err := e.kube.Create(e.ctx, b)
			if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("creating a binding with role %q and external ID %q: %v; want Invalid mentioning %q", tc.role, tc.externalID, err, tc.want)
			}
		})
	}
	e.binding("fine", "web", intstr.FromInt32(80), "arn:aws:elasticloadbalancing:us-east-1:111122223333:targetgroup/web/0123456789abcdef",
		assuming("arn:aws:iam::111122223333:role/ops/tgc-network", "urn:tenant/a=b,c.d@e:f-g"))
}

// kubectl tgc plans a cross-account binding as the controller does: through
// the binding's role, assumed with the user's credentials (here the
// default account's, which the role trusts).
func TestKubectlTgcDiffsACrossAccountBindingThroughItsRole(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.crossAccountWeb("")
	e.waitReady("web", metav1.ConditionTrue, v1alpha1.ReasonSynced, 20*time.Second)
	code, out, errOut := e.kubectlTgc("diff", "web")
	if code != 0 || !strings.Contains(out, "no differences") {
		t.Fatalf("diff of a Synced cross-account binding exited %d:\n%s%s", code, out, errOut)
	}
}
