package elbv2

import (
	"encoding/json"
	"os"
	"reflect"
	"slices"
	"testing"
)

// The IAM policy shipped in aws/policy.json allows exactly the calls
// SDKClient can make: one more would break least privilege, one fewer would
// fail at run time with AccessDenied.
func TestTheShippedIAMPolicyAllowsExactlyTheSDKClientsCalls(t *testing.T) {
	raw, err := os.ReadFile("../../aws/policy.json")
	if err != nil {
		t.Fatal(err)
	}
	var policy struct {
		Statement []struct {
			Action []string
		}
	}
	if err := json.Unmarshal(raw, &policy); err != nil {
		t.Fatal(err)
	}
	var allowed []string
	for _, s := range policy.Statement {
		allowed = append(allowed, s.Action...)
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
