package binding

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/tenancy"
)

// +kubebuilder:rbac:groups=elbv2.tgc.dev,resources=targetgrouppolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// policies reads the TargetGroupPolicies and, when there are any, the
// binding's namespace.
func (p *Planner) policies(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) (*v1alpha1.TargetGroupPolicyList, *corev1.Namespace, *failure) {
	var policies v1alpha1.TargetGroupPolicyList
	if err := p.kube.List(ctx, &policies); err != nil {
		return nil, nil, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("listing TargetGroupPolicies: %v", err)}
	}
	if len(policies.Items) == 0 {
		return &policies, nil, nil
	}
	ns := &corev1.Namespace{}
	if err := p.kube.Get(ctx, types.NamespacedName{Name: tgb.Namespace}, ns); err != nil {
		return nil, nil, &failure{reason: v1alpha1.ReasonAWSError, err: err, message: fmt.Sprintf("reading namespace %s: %v", tgb.Namespace, err)}
	}
	return &policies, ns, nil
}

// checkRole refuses, before tgc assumes it, a role that no policy for the
// binding's namespace allows: a role is assumed only once the cluster
// admin said the namespace may use it. Which groups it may reach with it
// is checkTenancy's, once the group is resolved.
func (p *Planner) checkRole(ctx context.Context, tgb *v1alpha1.TargetGroupBinding) *failure {
	if tgb.Spec.IAMRoleArnToAssume == "" {
		return nil
	}
	policies, ns, fail := p.policies(ctx, tgb)
	if fail != nil || len(policies.Items) == 0 {
		return fail
	}
	if d := tenancy.DecideRole(policies.Items, tgb.Namespace, ns.Labels, tgb.Spec.IAMRoleArnToAssume); !d.Allowed {
		return badInput(v1alpha1.ReasonRoleNotAllowed, "%s", d.Message)
	}
	return nil
}

// checkTenancy refuses a binding the cluster admin's TargetGroupPolicies do
// not allow. It runs at every sync, from the informer cache, so that it
// holds even when the admission webhook was down or bypassed; tags, when a
// policy matches on them, come from the view, read at most once per drift
// interval.
func (p *Planner) checkTenancy(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, tg elbv2.TargetGroup) *failure {
	policies, ns, fail := p.policies(ctx, tgb)
	if fail != nil || len(policies.Items) == 0 {
		return fail
	}
	group := tenancy.Group{ARN: tg.ARN, Name: tg.Name}
	if tenancy.UsesTags(policies.Items) {
		v, f := p.view(tgb)
		if f != nil {
			return f
		}
		tags, err := v.Tags(ctx, tg.ARN)
		if err != nil {
			return p.awsFailure(tgb, err, tg.ARN)
		}
		group.Tags = tags
	}
	d := tenancy.Decide(policies.Items, tenancy.Request{
		Namespace:       tgb.Namespace,
		NamespaceLabels: ns.Labels,
		Group:           group,
		AnyEndpoint:     tenancy.AnyEndpoint(tgb),
		Role:            tgb.Spec.IAMRoleArnToAssume,
	})
	if d.Allowed {
		return nil
	}
	if d.RoleRefused {
		return badInput(v1alpha1.ReasonRoleNotAllowed, "%s", d.Message)
	}
	return badInput(v1alpha1.ReasonNotAllowed, "%s", d.Message)
}
