package tenancy

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

const (
	arnWeb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/team-a-web/0123456789abcdef"
	arnDB  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/payments/0123456789abcdef"
)

func policy(name string, team string, anyEndpoint bool, ms ...v1alpha1.TargetGroupMatch) v1alpha1.TargetGroupPolicy {
	return v1alpha1.TargetGroupPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: v1alpha1.TargetGroupPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"team": team}},
			TargetGroups:      ms,
			AllowAnyEndpoint:  anyEndpoint,
		},
	}
}

func TestDecide(t *testing.T) {
	web := Group{ARN: arnWeb, Name: "team-a-web", Tags: map[string]string{"owner": "team-a"}}
	db := Group{ARN: arnDB, Name: "payments"}
	teamA := map[string]string{"team": "a"}
	byName := policy("team-a", "a", false, v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"})
	cases := map[string]struct {
		policies    []v1alpha1.TargetGroupPolicy
		labels      map[string]string
		group       Group
		anyEndpoint bool
		allowed     bool
		policy      string
		mention     string // in the message when refused
	}{
		"no policies allow everything, as before tenancy": {
			labels: map[string]string{}, group: db, anyEndpoint: true, allowed: true,
		},
		"a name pattern allows the team's groups": {
			policies: []v1alpha1.TargetGroupPolicy{byName}, labels: teamA, group: web, allowed: true, policy: "team-a",
		},
		"once a policy exists, a group no policy matches is refused": {
			policies: []v1alpha1.TargetGroupPolicy{byName}, labels: teamA, group: db, mention: "no TargetGroupPolicy lets namespace shop bind target group " + arnDB,
		},
		"a namespace the selector does not select is refused": {
			policies: []v1alpha1.TargetGroupPolicy{byName}, labels: map[string]string{"team": "b"}, group: web, mention: "no TargetGroupPolicy",
		},
		"an exact ARN allows that group": {
			policies: []v1alpha1.TargetGroupPolicy{policy("db", "a", false, v1alpha1.TargetGroupMatch{ARN: arnDB})}, labels: teamA, group: db, allowed: true, policy: "db",
		},
		"a tag with a value matches only that value": {
			policies: []v1alpha1.TargetGroupPolicy{policy("tags", "a", false, v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "team-b"}})}, labels: teamA, group: web,
			mention: "tags owner=team-a",
		},
		"a tag with * matches any value of the key": {
			policies: []v1alpha1.TargetGroupPolicy{policy("tags", "a", false, v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "*"}})}, labels: teamA, group: web, allowed: true, policy: "tags",
		},
		"a group whose tags were not read matches no tag rule": {
			policies: []v1alpha1.TargetGroupPolicy{policy("tags", "a", false, v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "*"}})}, labels: teamA, group: Group{ARN: arnWeb, Name: "team-a-web"},
			mention: "no TargetGroupPolicy",
		},
		"non-pod endpoints need a policy that allows them": {
			policies: []v1alpha1.TargetGroupPolicy{byName}, labels: teamA, group: web, anyEndpoint: true, policy: "team-a", mention: "not with targetSelection: AnyEndpoint",
		},
		"a policy that allows non-pod endpoints allows them": {
			policies: []v1alpha1.TargetGroupPolicy{byName, policy("any", "a", true, v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"})}, labels: teamA, group: web, anyEndpoint: true, allowed: true, policy: "any",
		},
		"an empty selector selects every namespace": {
			policies: []v1alpha1.TargetGroupPolicy{{ObjectMeta: metav1.ObjectMeta{Name: "all"}, Spec: v1alpha1.TargetGroupPolicySpec{TargetGroups: []v1alpha1.TargetGroupMatch{{ARN: arnDB}}}}},
			labels:   map[string]string{}, group: db, allowed: true, policy: "all",
		},
		"a malformed pattern matches nothing": {
			policies: []v1alpha1.TargetGroupPolicy{policy("bad", "a", false, v1alpha1.TargetGroupMatch{NamePattern: "team-[a"})}, labels: teamA, group: web, mention: "no TargetGroupPolicy",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := Decide(tc.policies, Request{Namespace: "shop", NamespaceLabels: tc.labels, Group: tc.group, AnyEndpoint: tc.anyEndpoint})
			if d.Allowed != tc.allowed || d.Policy != tc.policy {
				t.Fatalf("Decide = %+v, want allowed=%v policy=%q", d, tc.allowed, tc.policy)
			}
			if !tc.allowed && !strings.Contains(d.Message, tc.mention) {
				t.Errorf("message %q does not mention %q", d.Message, tc.mention)
			}
		})
	}
}

func TestUsesTags(t *testing.T) {
	if UsesTags([]v1alpha1.TargetGroupPolicy{policy("n", "a", false, v1alpha1.TargetGroupMatch{NamePattern: "x"})}) {
		t.Error("a name-only policy needs no tags")
	}
	if !UsesTags([]v1alpha1.TargetGroupPolicy{policy("t", "a", false, v1alpha1.TargetGroupMatch{Tags: map[string]string{"k": "v"}})}) {
		t.Error("a tag policy needs tags")
	}
}

func TestUndecidable(t *testing.T) {
	teamA := map[string]string{"team": "a"}
	byTag := policy("tags", "a", false, v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "team-a"}})
	byARN := policy("db", "a", false, v1alpha1.TargetGroupMatch{ARN: arnDB})
	byName := policy("team-a", "a", false, v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"})
	cases := map[string]struct {
		policies    []v1alpha1.TargetGroupPolicy
		labels      map[string]string
		group       Group
		anyEndpoint bool
		want        string // the policy that leaves it open; "" when decided
	}{
		"a tag policy selecting the namespace cannot be decided without tags": {
			policies: []v1alpha1.TargetGroupPolicy{byTag}, labels: teamA, group: Group{ARN: arnDB, Name: "payments"}, want: "tags",
		},
		"a tag policy for another namespace decides nothing here": {
			policies: []v1alpha1.TargetGroupPolicy{byTag}, labels: map[string]string{"team": "b"}, group: Group{ARN: arnDB, Name: "payments"},
		},
		"tags already read leave nothing open": {
			policies: []v1alpha1.TargetGroupPolicy{byTag}, labels: teamA, group: Group{ARN: arnDB, Name: "payments", Tags: map[string]string{}},
		},
		"an ARN policy cannot be decided for a binding by name": {
			policies: []v1alpha1.TargetGroupPolicy{byARN}, labels: teamA, group: Group{Name: "payments"}, want: "db",
		},
		"a name policy is decided from the name": {
			policies: []v1alpha1.TargetGroupPolicy{byName}, labels: teamA, group: Group{Name: "payments"},
		},
		"a tag policy without non-pod endpoints cannot open them": {
			policies: []v1alpha1.TargetGroupPolicy{byTag}, labels: teamA, group: Group{ARN: arnDB, Name: "payments"}, anyEndpoint: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Undecidable(tc.policies, Request{Namespace: "shop", NamespaceLabels: tc.labels, Group: tc.group, AnyEndpoint: tc.anyEndpoint})
			if got != tc.want || ok != (tc.want != "") {
				t.Fatalf("Undecidable = %q, %v; want %q", got, ok, tc.want)
			}
		})
	}
}
