package validation

import (
	"fmt"
	"regexp"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/claims"
	"github.com/tgc-dev/targetgroupcontroller/internal/tenancy"
)

// Home is the AWS region and account tgc works in, as far as its options
// say. An empty field is not checked: the account is known only from
// --aws-account-id (finding it would take an STS call), the region only
// from --aws-region or AWS_REGION.
type Home struct {
	Region    string
	AccountID string
}

// accepts reports whether a target group at a is one tgc can reach.
func (h Home) accepts(a claims.ARN) bool {
	return (h.Region == "" || a.Region == h.Region) && (h.AccountID == "" || a.Account == h.AccountID)
}

// roleARN is an IAM role ARN; its fifth field is the role's account.
var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/`)

// roleAccount is the account of a role ARN, empty when it is none.
func roleAccount(role string) string {
	if m := roleARN.FindStringSubmatch(role); m != nil {
		return m[1]
	}
	return ""
}

// Input is what the check needs, read from the informer cache.
type Input struct {
	// Binding is the binding as it would be after the request.
	Binding *v1alpha1.TargetGroupBinding
	// Others are the cluster's bindings; Binding itself among them is
	// skipped.
	Others          []v1alpha1.TargetGroupBinding
	Policies        []v1alpha1.TargetGroupPolicy
	NamespaceLabels map[string]string
}

// Verdict lists why a binding is refused, each naming the fix, and
// warnings for what admission could not decide.
type Verdict struct {
	Refusals []string
	Warnings []string
}

// Allowed reports whether nothing refused the binding.
func (v Verdict) Allowed() bool { return len(v.Refusals) == 0 }

// Check decides a binding: its ARN's shape and home, its claim against the
// bindings that came first, and the tenancy policies. It is pure.
func Check(home Home, in Input) Verdict {
	var v Verdict
	b := in.Binding
	arn, name := b.Spec.TargetGroupARN, b.Spec.TargetGroupName
	if arn != "" {
		a, err := claims.ParseARN(arn)
		if err != nil {
			return Verdict{Refusals: []string{fmt.Sprintf("%v; fix spec.targetGroupARN", err)}}
		}
		if home.Region != "" && a.Region != home.Region {
			v.Refusals = append(v.Refusals, fmt.Sprintf("target group %s is in region %s, but this tgc manages region %s (--aws-region); use a target group in %s, or bind it from a tgc running for %s", arn, a.Region, home.Region, home.Region, a.Region))
		}
		if role := b.Spec.IAMRoleArnToAssume; role != "" {
			// A role acts in its own account, and ELBv2 has no resource
			// policies: the group must be in the role's account.
			if account := roleAccount(role); account != "" && a.Account != account {
				v.Refusals = append(v.Refusals, fmt.Sprintf("target group %s is in AWS account %s, but spec.iamRoleArnToAssume %s is a role of account %s; name a role of the group's account", arn, a.Account, role, account))
			}
		} else if home.AccountID != "" && a.Account != home.AccountID {
			v.Refusals = append(v.Refusals, fmt.Sprintf("target group %s is in AWS account %s, but this tgc manages account %s (--aws-account-id); use a target group of account %s, or set spec.iamRoleArnToAssume to a role of account %s", arn, a.Account, home.AccountID, home.AccountID, a.Account))
		}
		if !v.Allowed() {
			return v
		}
		name = a.Name
	} else if resolved, ok := claims.ARNByName(name, in.Others, home.accepts); ok {
		// A binding by name is resolved through AWS only at sync; when
		// another binding already claims the group of that name, its ARN
		// is known here. Otherwise the controller decides at sync.
		arn = resolved
	}

	if arn != "" {
		if owner := claims.Conflicting(b, arn, in.Others); owner != nil {
			v.Refusals = append(v.Refusals, claims.ConflictMessage(arn, owner))
		}
	}

	req := tenancy.Request{
		Namespace:       b.Namespace,
		NamespaceLabels: in.NamespaceLabels,
		Group:           tenancy.Group{ARN: arn, Name: name},
		AnyEndpoint:     tenancy.AnyEndpoint(b),
		Role:            b.Spec.IAMRoleArnToAssume,
	}
	if d := tenancy.Decide(in.Policies, req); !d.Allowed {
		if policy, open := tenancy.Undecidable(in.Policies, req); open {
			v.Warnings = append(v.Warnings, fmt.Sprintf("TargetGroupPolicy %s may allow this binding by the target group's tags or ARN, which are read from AWS only at sync; the controller decides then (see the binding's Ready condition)", policy))
		} else {
			v.Refusals = append(v.Refusals, d.Message)
		}
	}
	return v
}
