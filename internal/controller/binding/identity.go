package binding

import (
	"errors"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// Views picks the shared view of the target groups for a binding's
// identity (*targetgroups.Views; a lone *targetgroups.View serves the
// controller's own identity only).
type Views interface {
	For(id elbv2.Identity) (*targetgroups.View, error)
	Changes() <-chan event.TypedGenericEvent[string]
}

// identityOf is whose credentials the binding's calls use: the role it
// names with its external ID, or the controller's own.
func identityOf(tgb *v1alpha1.TargetGroupBinding) elbv2.Identity {
	return elbv2.Identity{RoleARN: tgb.Spec.IAMRoleArnToAssume, ExternalID: tgb.Spec.AssumeRoleExternalID}
}

// view is the binding's view of its target groups.
func (p *Planner) view(tgb *v1alpha1.TargetGroupBinding) (*targetgroups.View, *failure) {
	v, err := p.groups.For(identityOf(tgb))
	if err != nil {
		return nil, &failure{reason: v1alpha1.ReasonAssumeRoleFailed, badInput: true, err: err,
			message: fmt.Sprintf("cannot use spec.iamRoleArnToAssume %s: %v", tgb.Spec.IAMRoleArnToAssume, err)}
	}
	return v, nil
}

// assumeRoleFailure says what to fix when STS refused the binding's role.
// Nothing is deregistered: tgc cannot reach the group, and retries on the
// bad-input interval.
func assumeRoleFailure(err error) *failure {
	var ae *elbv2.AssumeRoleError
	if !errors.As(err, &ae) {
		return nil
	}
	fix := "check that the role exists and its trust policy lets the controller's IAM role assume it"
	switch {
	case ae.Code == "ValidationError":
		fix = "fix spec.assumeRoleExternalId: STS needs 2-1224 characters of [\\w+=,.@:/-]"
	case ae.Identity.ExternalID == "":
		fix += "; if the trust policy has an sts:ExternalId condition, set spec.assumeRoleExternalId to its value"
	default:
		fix += ", and that spec.assumeRoleExternalId is the value of its sts:ExternalId condition"
	}
	return &failure{reason: v1alpha1.ReasonAssumeRoleFailed, badInput: true, err: err,
		message: fmt.Sprintf("STS refused to let tgc assume role %s (%v); %s", ae.Identity.RoleARN, ae.Err, fix)}
}
