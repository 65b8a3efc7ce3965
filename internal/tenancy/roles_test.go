package tenancy

import (
	"strings"
	"testing"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

const (
	roleNetwork = "arn:aws:iam::111122223333:role/tgc-network"
	roleOther   = "arn:aws:iam::444455556666:role/tgc-network"
)

func withRoles(p v1alpha1.TargetGroupPolicy, patterns ...string) v1alpha1.TargetGroupPolicy {
	for _, s := range patterns {
		p.Spec.Roles = append(p.Spec.Roles, v1alpha1.RoleMatch{ARNPattern: s})
	}
	return p
}

func TestDecideRoles(t *testing.T) {
	web := Group{ARN: arnWeb, Name: "team-a-web"}
	teamA := map[string]string{"team": "a"}
	byName := policy("team-a", "a", false, v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"})
	cases := map[string]struct {
		policies    []v1alpha1.TargetGroupPolicy
		role        string
		allowed     bool
		roleRefused bool
		mention     string
	}{
		"no policies allow any role, as before tenancy": {role: roleNetwork, allowed: true},
		"no role needs no role permission":              {policies: []v1alpha1.TargetGroupPolicy{byName}, allowed: true},
		"a policy without roles allows the group but not a role": {
			policies: []v1alpha1.TargetGroupPolicy{byName}, role: roleNetwork, roleRefused: true,
			mention: "no policy that does lets it assume role " + roleNetwork,
		},
		"a pattern of the account's tgc roles allows the role": {
			policies: []v1alpha1.TargetGroupPolicy{withRoles(byName, "arn:aws:iam::111122223333:role/tgc-*")}, role: roleNetwork, allowed: true,
		},
		"the same role name in another account is refused": {
			policies: []v1alpha1.TargetGroupPolicy{withRoles(byName, "arn:aws:iam::111122223333:role/tgc-*")}, role: roleOther, roleRefused: true, mention: roleOther,
		},
		"a role allowed by a policy for another group does not carry over": {
			policies: []v1alpha1.TargetGroupPolicy{byName, withRoles(policy("db", "a", false, v1alpha1.TargetGroupMatch{ARN: arnDB}), roleNetwork)},
			role:     roleNetwork, roleRefused: true,
		},
		"a role allowed by a policy for another namespace does not carry over": {
			policies: []v1alpha1.TargetGroupPolicy{byName, withRoles(policy("team-b", "b", false, v1alpha1.TargetGroupMatch{NamePattern: "*"}), roleNetwork)},
			role:     roleNetwork, roleRefused: true,
		},
		"a glob's star does not cross into a role path": {
			policies: []v1alpha1.TargetGroupPolicy{withRoles(byName, "arn:aws:iam::111122223333:role/*")}, role: "arn:aws:iam::111122223333:role/ops/tgc", roleRefused: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := Decide(tc.policies, Request{Namespace: "shop", NamespaceLabels: teamA, Group: web, Role: tc.role})
			if d.Allowed != tc.allowed || d.RoleRefused != tc.roleRefused {
				t.Fatalf("Decide = %+v, want allowed %v, role refused %v", d, tc.allowed, tc.roleRefused)
			}
			if !strings.Contains(d.Message, tc.mention) {
				t.Errorf("message %q does not mention %q", d.Message, tc.mention)
			}
		})
	}
}

func TestUndecidableNeverOpensForARoleNoPolicyAllows(t *testing.T) {
	tags := withRoles(policy("tags", "a", false, v1alpha1.TargetGroupMatch{Tags: map[string]string{"owner": "team-a"}}), roleNetwork)
	r := Request{Namespace: "shop", NamespaceLabels: map[string]string{"team": "a"}, Group: Group{ARN: arnWeb, Name: "team-a-web"}}
	r.Role = roleOther
	if p, open := Undecidable([]v1alpha1.TargetGroupPolicy{tags}, r); open {
		t.Errorf("Undecidable = %s, open; the policy could never allow role %s", p, roleOther)
	}
	r.Role = roleNetwork
	if _, open := Undecidable([]v1alpha1.TargetGroupPolicy{tags}, r); !open {
		t.Error("Undecidable = closed; the policy allows the role and may match the tags at sync")
	}
}

func TestDecideRole(t *testing.T) {
	teamA := map[string]string{"team": "a"}
	byName := policy("team-a", "a", false, v1alpha1.TargetGroupMatch{NamePattern: "team-a-*"})
	cases := map[string]struct {
		policies []v1alpha1.TargetGroupPolicy
		labels   map[string]string
		role     string
		allowed  bool
	}{
		"no policies allow any role":                      {role: roleNetwork, allowed: true},
		"no role is always allowed":                       {policies: []v1alpha1.TargetGroupPolicy{byName}, labels: teamA, allowed: true},
		"a policy for the namespace listing the role":     {policies: []v1alpha1.TargetGroupPolicy{withRoles(byName, roleNetwork)}, labels: teamA, role: roleNetwork, allowed: true},
		"a policy for the namespace without the role":     {policies: []v1alpha1.TargetGroupPolicy{byName}, labels: teamA, role: roleNetwork},
		"a policy listing the role for another namespace": {policies: []v1alpha1.TargetGroupPolicy{withRoles(byName, roleNetwork)}, labels: map[string]string{"team": "b"}, role: roleNetwork},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d := DecideRole(tc.policies, "shop", tc.labels, tc.role)
			if d.Allowed != tc.allowed {
				t.Fatalf("DecideRole = %+v, want allowed %v", d, tc.allowed)
			}
			if !d.Allowed && (!strings.Contains(d.Message, tc.role) || !strings.Contains(d.Message, "spec.roles")) {
				t.Errorf("message %q does not name the role and spec.roles", d.Message)
			}
		})
	}
}
