// Package tenancy decides, from the cluster administrator's
// TargetGroupPolicies, whether a namespace may bind a target group. It is
// pure: the controller (at every sync) and the admission webhooks (at
// create) give it what they read, and both decide the same way.
package tenancy

import (
	"fmt"
	"path"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// Group is what a policy can match a target group on.
type Group struct {
	ARN  string
	Name string
	// Tags are the group's AWS tags; nil when not read, which no tag match
	// accepts.
	Tags map[string]string
}

// Request is one binding's claim.
type Request struct {
	Namespace       string
	NamespaceLabels map[string]string
	Group           Group
	// AnyEndpoint: the binding registers endpoints that are not its pods.
	AnyEndpoint bool
	// Role is the IAM role the binding assumes (spec.iamRoleArnToAssume);
	// empty for the controller's own account, which needs no permission
	// beyond the group's.
	Role string
}

// Decision says whether a request is allowed and, if not, why, in words
// that name the fix.
type Decision struct {
	Allowed bool
	// Policy names the policy that allows the request, or that would if it
	// also allowed non-pod endpoints.
	Policy  string
	Message string
	// RoleRefused: a policy allows the group, but none of those lets the
	// namespace assume the binding's role.
	RoleRefused bool
}

// Decide applies the policies. No policies allow everything, as before
// tenancy existed; once one exists, only what some policy allows is.
func Decide(policies []v1alpha1.TargetGroupPolicy, r Request) Decision {
	if len(policies) == 0 {
		return Decision{Allowed: true}
	}
	var groupOnly string // a policy that allows the group but not AnyEndpoint
	var noRole string    // a policy that allows the group but not the role
	for i := range policies {
		p := &policies[i]
		if !selects(p, r.NamespaceLabels) || !matchesGroup(p.Spec.TargetGroups, r.Group) {
			continue
		}
		if !allowsRole(p, r.Role) {
			if noRole == "" {
				noRole = p.Name
			}
			continue
		}
		if r.AnyEndpoint && !p.Spec.AllowAnyEndpoint {
			if groupOnly == "" {
				groupOnly = p.Name
			}
			continue
		}
		return Decision{Allowed: true, Policy: p.Name}
	}
	if noRole != "" && groupOnly == "" {
		return Decision{Policy: noRole, RoleRefused: true, Message: fmt.Sprintf(
			"TargetGroupPolicy %s lets namespace %s bind target group %s, but no policy that does lets it assume role %s; remove spec.iamRoleArnToAssume, or ask the cluster admin to add the role to the policy's spec.roles",
			noRole, r.Namespace, r.Group.describe(), r.Role)}
	}
	if groupOnly != "" {
		return Decision{Policy: groupOnly, Message: fmt.Sprintf(
			"TargetGroupPolicy %s lets namespace %s bind target group %s, but not with targetSelection: AnyEndpoint; use targetSelection: Pods, or ask the cluster admin to set allowAnyEndpoint on the policy",
			groupOnly, r.Namespace, r.Group.describe())}
	}
	return Decision{Message: fmt.Sprintf(
		"no TargetGroupPolicy lets namespace %s bind target group %s (name %q%s); ask the cluster admin for a TargetGroupPolicy whose namespaceSelector selects the namespace and whose targetGroups match the group (kubectl get targetgrouppolicies)",
		r.Namespace, r.Group.describe(), r.Group.Name, describeTags(r.Group.Tags))}
}

// DecideRole says whether any policy that selects the namespace lets it
// assume role at all, which is what can be known before the role is
// assumed to read the group; Decide then says whether it may for the group.
// No policies allow every role, as Decide does.
func DecideRole(policies []v1alpha1.TargetGroupPolicy, namespace string, nsLabels map[string]string, role string) Decision {
	if len(policies) == 0 || role == "" {
		return Decision{Allowed: true}
	}
	for i := range policies {
		p := &policies[i]
		if selects(p, nsLabels) && allowsRole(p, role) {
			return Decision{Allowed: true, Policy: p.Name}
		}
	}
	return Decision{RoleRefused: true, Message: fmt.Sprintf(
		"no TargetGroupPolicy lets namespace %s assume role %s; remove spec.iamRoleArnToAssume, or ask the cluster admin to add the role to the spec.roles of a policy that selects the namespace",
		namespace, role)}
}

// Undecidable names a policy that could still allow a request Decide
// refused, had it been given what admission cannot know: the group's tags
// (read from AWS only at sync), or the group's ARN when the binding names
// its group only by name. The admission webhook lets such a request through
// and leaves the decision to the controller's sync, which has both.
func Undecidable(policies []v1alpha1.TargetGroupPolicy, r Request) (policy string, ok bool) {
	for i := range policies {
		p := &policies[i]
		if !selects(p, r.NamespaceLabels) || (r.AnyEndpoint && !p.Spec.AllowAnyEndpoint) || !allowsRole(p, r.Role) {
			continue
		}
		for _, m := range p.Spec.TargetGroups {
			if (len(m.Tags) > 0 && r.Group.Tags == nil) || (m.ARN != "" && r.Group.ARN == "") {
				return p.Name, true
			}
		}
	}
	return "", false
}

// AnyEndpoint reports whether the binding registers endpoints that are not
// its own pods (spec.targetSelection: AnyEndpoint), which a policy must
// allow explicitly.
func AnyEndpoint(tgb *v1alpha1.TargetGroupBinding) bool {
	return tgb.Spec.TargetSelection == v1alpha1.TargetSelectionAnyEndpoint
}

// UsesTags reports whether any policy matches on tags, which is when the
// groups' tags must be read at all.
func UsesTags(policies []v1alpha1.TargetGroupPolicy) bool {
	for _, p := range policies {
		for _, m := range p.Spec.TargetGroups {
			if len(m.Tags) > 0 {
				return true
			}
		}
	}
	return false
}

// allowsRole reports whether the policy lets its namespaces assume role;
// no role needs no permission. Patterns are shell-style globs (path.Match),
// whose "*" stops at "/": "role/tgc-*" does not reach role paths.
func allowsRole(p *v1alpha1.TargetGroupPolicy, role string) bool {
	if role == "" {
		return true
	}
	return slices.ContainsFunc(p.Spec.Roles, func(m v1alpha1.RoleMatch) bool {
		ok, err := path.Match(m.ARNPattern, role)
		return err == nil && ok
	})
}

func selects(p *v1alpha1.TargetGroupPolicy, nsLabels map[string]string) bool {
	sel, err := metav1.LabelSelectorAsSelector(&p.Spec.NamespaceSelector)
	if err != nil {
		// The API server validated the selector's shape; one that still
		// does not parse selects nothing rather than everything.
		return false
	}
	return sel.Matches(labels.Set(nsLabels))
}

func matchesGroup(ms []v1alpha1.TargetGroupMatch, g Group) bool {
	return slices.ContainsFunc(ms, func(m v1alpha1.TargetGroupMatch) bool { return matches(m, g) })
}

func matches(m v1alpha1.TargetGroupMatch, g Group) bool {
	switch {
	case m.ARN != "":
		return m.ARN == g.ARN
	case m.NamePattern != "":
		ok, err := path.Match(m.NamePattern, g.Name)
		return err == nil && ok && g.Name != ""
	case len(m.Tags) > 0:
		if g.Tags == nil {
			return false
		}
		for k, want := range m.Tags {
			got, ok := g.Tags[k]
			if !ok || (want != "*" && got != want) {
				return false
			}
		}
		return true
	}
	return false
}

// describe names the group by ARN, or by name before its ARN is known.
func (g Group) describe() string {
	if g.ARN != "" {
		return g.ARN
	}
	return "named " + g.Name
}

func describeTags(tags map[string]string) string {
	if len(tags) == 0 {
		return ""
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+tags[k])
	}
	return ", tags " + strings.Join(parts, ",")
}
