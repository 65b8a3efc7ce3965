package elbv2

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type policyStatement struct {
	Sid      string
	Action   []string
	Resource any // a string or a list, as IAM allows
}

func shippedPolicy(t *testing.T) []policyStatement {
	t.Helper()
	raw, err := os.ReadFile("../../aws/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var policy struct{ Statement []policyStatement }
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatal(err)
	}
	return policy.Statement
}

// The IAM policy shipped in aws/policy.json allows exactly the ELBv2 calls
// SDKClient can make: one more would break least privilege, one fewer would
// fail at run time with AccessDenied.
func TestTheShippedIAMPolicyAllowsExactlyTheSDKClientsCalls(t *testing.T) {
	var allowed []string
	for _, s := range shippedPolicy(t) {
		for _, a := range s.Action {
			if strings.HasPrefix(a, "elasticloadbalancing:") {
				allowed = append(allowed, a)
			}
		}
	}
	var calls []string
	typ := reflect.TypeFor[SDKClient]()
	for i := range typ.NumMethod() {
		calls = append(calls, "elasticloadbalancing:"+typ.Method(i).Name)
	}
	slices.Sort(allowed)
	slices.Sort(calls)
	if !slices.Equal(allowed, calls) {
		t.Errorf("aws/policy.json allows %v, SDKClient calls %v", allowed, calls)
	}
}

// Beyond ELBv2, the controller's own policy allows sts:AssumeRole, for
// bindings' spec.iamRoleArnToAssume, and only on role ARNs the operator
// lists: on "*" a namespace could name any role in any account that trusts
// the controller.
func TestTheShippedIAMPolicyAssumesOnlyListedRoles(t *testing.T) {
	role := regexp.MustCompile(`^arn:aws:iam::[A-Z0-9_]+:role/[A-Za-z0-9_+=,.@/-]+$`)
	var assume int
	for _, s := range shippedPolicy(t) {
		for _, a := range s.Action {
			if strings.HasPrefix(a, "elasticloadbalancing:") {
				continue
			}
			if a != "sts:AssumeRole" {
				t.Errorf("statement %s allows %s, which tgc never calls", s.Sid, a)
				continue
			}
			assume++
			resources, ok := s.Resource.([]any)
			if !ok || len(resources) == 0 {
				t.Fatalf("statement %s: sts:AssumeRole needs a list of role ARNs, got %v", s.Sid, s.Resource)
			}
			for _, r := range resources {
				if r, _ := r.(string); !role.MatchString(r) {
					t.Errorf("statement %s allows sts:AssumeRole on %q; list role ARNs, without wildcards", s.Sid, r)
				}
			}
		}
	}
	if assume != 1 {
		t.Errorf("sts:AssumeRole appears in %d statements, want 1", assume)
	}
}
