package validation

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

const (
	arnWeb   = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/team-a-web/0123456789abcdef"
	arnWest  = "arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/team-a-web/0123456789abcdef"
	arnOther = "arn:aws:elasticloadbalancing:us-east-1:210987654321:targetgroup/team-a-web/0123456789abcdef"
)

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func binding(ns, name, arn, tgName string) *v1alpha1.TargetGroupBinding {
	return &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, CreationTimestamp: metav1.NewTime(t0)},
		Spec:       v1alpha1.TargetGroupBindingSpec{TargetGroupARN: arn, TargetGroupName: tgName},
	}
}

func holding(ns, name, arn string, multi bool) v1alpha1.TargetGroupBinding {
	b := binding(ns, name, arn, "")
	b.UID = types.UID(ns + "/" + name)
	b.CreationTimestamp = metav1.NewTime(t0.Add(-time.Hour))
	b.Status.TargetGroupARN = arn
	b.Spec.MultiClusterTargetGroup = multi
	return *b
}

func teamPolicy(m v1alpha1.TargetGroupMatch) []v1alpha1.TargetGroupPolicy {
	return []v1alpha1.TargetGroupPolicy{{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: v1alpha1.TargetGroupPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"team": "a"}},
			TargetGroups:      []v1alpha1.TargetGroupMatch{m},
		},
	}}
}

func withRole(b *v1alpha1.TargetGroupBinding, role string) *v1alpha1.TargetGroupBinding {
	b.Spec.IAMRoleArnToAssume = role
	return b
}

func withPolicyRoles(ps []v1alpha1.TargetGroupPolicy, pattern string) []v1alpha1.TargetGroupPolicy {
	for i := range ps {
		ps[i].Spec.Roles = append(ps[i].Spec.Roles, v1alpha1.RoleMatch{ARNPattern: pattern})
	}
	return ps
}

func TestCheck(t *testing.T) {
	home := Home{Region: "us-east-1", AccountID: "123456789012"}
	teamA := map[string]string{"team": "a"}
	multi := binding("shop", "new", arnWeb, "")
	multi.Spec.MultiClusterTargetGroup = true
	cases := map[string]struct {
		home    Home
		in      Input
		refused []string // each in some refusal; none means allowed
		warning string
	}{
		"a binding alone on a group in tgc's region and account is allowed": {
			home: home, in: Input{Binding: binding("shop", "new", arnWeb, "")},
		},
		"a malformed ARN is refused and names the field to fix": {
			home: home, in: Input{Binding: binding("shop", "new", "targetgroup/web", "")},
			refused: []string{"is not a target group ARN", "fix spec.targetGroupARN"},
		},
		"an ARN in another region is refused": {
			home: home, in: Input{Binding: binding("shop", "new", arnWest, "")},
			refused: []string{"region us-west-2, but this tgc manages region us-east-1"},
		},
		"an ARN in another account is refused": {
			home: home, in: Input{Binding: binding("shop", "new", arnOther, "")},
			refused: []string{"account 210987654321, but this tgc manages account 123456789012"},
		},
		"an ARN in another account is allowed with a role of that account": {
			home: home, in: Input{Binding: withRole(binding("shop", "new", arnOther, ""), "arn:aws:iam::210987654321:role/tgc")},
		},
		"an ARN in an account other than its role's is refused": {
			home: home, in: Input{Binding: withRole(binding("shop", "new", arnWeb, ""), "arn:aws:iam::210987654321:role/tgc")},
			refused: []string{"is a role of account 210987654321; name a role of the group's account"},
		},
		"a role no policy for the namespace lists is refused": {
			home: home, in: Input{Binding: withRole(binding("shop", "new", arnOther, ""), "arn:aws:iam::210987654321:role/tgc"), Policies: teamPolicy(v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"}), NamespaceLabels: teamA},
			refused: []string{"lets it assume role arn:aws:iam::210987654321:role/tgc", "spec.roles"},
		},
		"a role the namespace's policy lists is allowed": {
			home: home, in: Input{Binding: withRole(binding("shop", "new", arnOther, ""), "arn:aws:iam::210987654321:role/tgc"), Policies: withPolicyRoles(teamPolicy(v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"}), "arn:aws:iam::210987654321:role/tgc*"), NamespaceLabels: teamA},
		},
		"an unknown region and account are not checked": {
			in: Input{Binding: binding("shop", "new", arnOther, "")},
		},
		"a second binding on a held group is refused, naming the holder and the fix": {
			home: home, in: Input{Binding: binding("shop", "new", arnWeb, ""), Others: []v1alpha1.TargetGroupBinding{holding("web", "holder", arnWeb, false)}},
			refused: []string{"already bound by web/holder", "set multiClusterTargetGroup on both"},
		},
		"two multi-cluster bindings share a group": {
			home: home, in: Input{Binding: multi, Others: []v1alpha1.TargetGroupBinding{holding("web", "holder", arnWeb, true)}},
		},
		"a binding by name onto a group another binding holds is refused": {
			home: home, in: Input{Binding: binding("shop", "new", "", "team-a-web"), Others: []v1alpha1.TargetGroupBinding{holding("web", "holder", arnWeb, false)}},
			refused: []string{"already bound by web/holder"},
		},
		"a binding by name is left to the controller when no binding claims that name here": {
			home: home, in: Input{Binding: binding("shop", "new", "", "team-a-web"), Others: []v1alpha1.TargetGroupBinding{holding("web", "holder", arnWest, false)}},
		},
		"no policies allow every namespace, as before tenancy": {
			home: home, in: Input{Binding: binding("shop", "new", arnWeb, ""), NamespaceLabels: map[string]string{}},
		},
		"a namespace no policy selects is refused": {
			home: home, in: Input{Binding: binding("shop", "new", arnWeb, ""), Policies: teamPolicy(v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"}), NamespaceLabels: map[string]string{"team": "b"}},
			refused: []string{"no TargetGroupPolicy lets namespace shop bind target group " + arnWeb},
		},
		"a namespace a policy selects may bind the groups it names": {
			home: home, in: Input{Binding: binding("shop", "new", arnWeb, ""), Policies: teamPolicy(v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"}), NamespaceLabels: teamA},
		},
		"a binding by name is decided by the name pattern": {
			home: home, in: Input{Binding: binding("shop", "new", "", "payments"), Policies: teamPolicy(v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"}), NamespaceLabels: teamA},
			refused: []string{"no TargetGroupPolicy lets namespace shop bind target group named payments"},
		},
		"a policy on tags is left to the controller with a warning": {
			home: home, in: Input{Binding: binding("shop", "new", arnWeb, ""), Policies: teamPolicy(v1alpha1.TargetGroupMatch{Tags: map[string]string{"team": "a"}}), NamespaceLabels: teamA},
			warning: "read from AWS only at sync",
		},
		"a policy on an ARN is left to the controller for a binding by name": {
			home: home, in: Input{Binding: binding("shop", "new", "", "team-a-web"), Policies: teamPolicy(v1alpha1.TargetGroupMatch{ARN: arnWeb}), NamespaceLabels: teamA},
			warning: "read from AWS only at sync",
		},
		"a conflict and a policy refusal are both reported": {
			home: home, in: Input{Binding: binding("shop", "new", arnWeb, ""), Others: []v1alpha1.TargetGroupBinding{holding("web", "holder", arnWeb, false)}, Policies: teamPolicy(v1alpha1.TargetGroupMatch{NamePattern: "x"}), NamespaceLabels: teamA},
			refused: []string{"already bound by web/holder", "no TargetGroupPolicy"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			v := Check(tc.home, tc.in)
			if v.Allowed() != (len(tc.refused) == 0) {
				t.Fatalf("Check = %+v, want refused for %q", v, tc.refused)
			}
			all := strings.Join(v.Refusals, "\n")
			for _, want := range tc.refused {
				if !strings.Contains(all, want) {
					t.Errorf("refusals %q do not mention %q", all, want)
				}
			}
			if warnings := strings.Join(v.Warnings, "\n"); !strings.Contains(warnings, tc.warning) || (tc.warning == "" && warnings != "") {
				t.Errorf("warnings %q, want %q", warnings, tc.warning)
			}
		})
	}
}
