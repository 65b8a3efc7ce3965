package binding

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

func TestARefusedAssumeRoleIsBadInputNamingTheFix(t *testing.T) {
	const role = "arn:aws:iam::111122223333:role/tgc"
	refused := func(externalID, code string) error {
		return fmt.Errorf("describing target group: %w", &elbv2.AssumeRoleError{
			Identity: elbv2.Identity{RoleARN: role, ExternalID: externalID}, Code: code, Err: errors.New("api error " + code),
		})
	}
	cases := map[string]struct {
		err     error
		mention []string
	}{
		"a wrong external ID points at the trust policy's sts:ExternalId": {
			err: refused("tenant-b", "AccessDenied"), mention: []string{role, "spec.assumeRoleExternalId is the value of its sts:ExternalId condition"},
		},
		"a missing external ID says to set one if the trust policy asks": {
			err: refused("", "AccessDenied"), mention: []string{role, "set spec.assumeRoleExternalId to its value"},
		},
		"an external ID STS finds malformed names its constraints": {
			err: refused("x", "ValidationError"), mention: []string{"fix spec.assumeRoleExternalId", "2-1224 characters"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := classifyAWS(tc.err, "arn")
			if f.reason != v1alpha1.ReasonAssumeRoleFailed || !f.badInput {
				t.Fatalf("classifyAWS = %s badInput=%v, want %s, bad input", f.reason, f.badInput, v1alpha1.ReasonAssumeRoleFailed)
			}
			for _, m := range tc.mention {
				if !strings.Contains(f.message, m) {
					t.Errorf("message %q does not mention %q", f.message, m)
				}
			}
			if !errors.Is(f, tc.err) && !errors.As(f, new(*elbv2.AssumeRoleError)) {
				t.Error("the failure does not wrap the STS error")
			}
		})
	}
}

func TestIdentityOfABindingIsItsRoleAndExternalID(t *testing.T) {
	b := &v1alpha1.TargetGroupBinding{}
	if got := identityOf(b); got != (elbv2.Identity{}) {
		t.Errorf("a binding without a role has identity %+v, want the controller's own", got)
	}
	b.Spec.IAMRoleArnToAssume, b.Spec.AssumeRoleExternalID = "arn:aws:iam::111122223333:role/tgc", "tenant-a"
	if got := identityOf(b); got.RoleARN != b.Spec.IAMRoleArnToAssume || got.ExternalID != "tenant-a" {
		t.Errorf("identity = %+v, want the role and its external ID together", got)
	}
}
