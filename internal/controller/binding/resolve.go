package binding

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/claims"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// resolve finds the binding's target group: it checks the ARN's shape, then
// reads the group from the catalog, which sweeps every group of the account
// at most once per drift interval, to learn its type and IP address type.
func (p *Planner) resolve(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (elbv2.TargetGroup, *failure) {
	arn, name := tgb.Spec.TargetGroupARN, tgb.Spec.TargetGroupName
	switch {
	case arn != "":
		if err := claims.ValidateARN(arn); err != nil {
			return elbv2.TargetGroup{}, badInput(v1alpha1.ReasonInvalidARN, "%v; fix spec.targetGroupARN", err)
		}
	case name == "":
		return elbv2.TargetGroup{}, badInput(v1alpha1.ReasonInvalidARN, "set spec.targetGroupARN or spec.targetGroupName")
	}
	v, f := p.view(tgb)
	if f != nil {
		return elbv2.TargetGroup{}, f
	}
	tg, err := v.Lookup(ctx, arn, name)
	if err != nil {
		if arn == "" {
			return elbv2.TargetGroup{}, classifyAWS(err, "named "+name)
		}
		return elbv2.TargetGroup{}, classifyAWS(err, arn)
	}
	return tg, checkType(tgb, tg)
}

// checkType refuses a group whose type is not the binding's: AWS fixes a
// group's target type at creation, and would reject every target of the
// other kind.
func checkType(tgb *v1alpha1.TargetGroupBinding, tg elbv2.TargetGroup) *failure {
	want := targetType(tgb)
	if tg.TargetType != "" && tg.TargetType != string(want) {
		return badInput(v1alpha1.ReasonTargetTypeMismatch, "target group %s has target type %q but the binding's spec.targetType is %q; bind a target group of type %s, or set spec.targetType to %q if the group is right",
			tg.ARN, tg.TargetType, want, want, tg.TargetType)
	}
	return nil
}

// targetType is the binding's spec.targetType; the API server defaults it
// to ip.
func targetType(tgb *v1alpha1.TargetGroupBinding) v1alpha1.TargetType {
	if tgb.Spec.TargetType == "" {
		return v1alpha1.TargetTypeIP
	}
	return tgb.Spec.TargetType
}

// ipFamily is the family of the targets: the target group's, which the spec
// may name but not contradict.
func ipFamily(tgb *v1alpha1.TargetGroupBinding, tg elbv2.TargetGroup) (corev1.IPFamily, *failure) {
	groupType := v1alpha1.IPAddressType(tg.IPAddressType)
	if groupType == "" {
		groupType = v1alpha1.IPAddressTypeIPv4
	}
	if want := tgb.Spec.IPAddressType; want != "" && want != groupType {
		return "", badInput(v1alpha1.ReasonIPFamilyMismatch, "spec.ipAddressType is %s but target group %s takes %s targets; make them match", want, tg.ARN, groupType)
	}
	if groupType == v1alpha1.IPAddressTypeIPv6 {
		return corev1.IPv6Protocol, nil
	}
	return corev1.IPv4Protocol, nil
}
