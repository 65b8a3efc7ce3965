package identity

import (
	"errors"
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// rename appends suffix to the name of every ServiceAccount, role and
// binding, and to the references between them, so that a variant of the
// identity stands beside the shipped one: RBAC objects are found by name,
// and ClusterRoles share one cluster-wide name space. Namespaces keep their
// names, since the shipped Roles are in the namespace the controller runs
// in. A reference to something outside the manifests (a ServiceAccount or
// ClusterRole of the cluster's own) is left as it is.
func (m *manifests) rename(suffix string) {
	if suffix == "" {
		return
	}
	type key struct{ namespace, name string }
	accounts := map[key]bool{}
	for _, sa := range m.serviceAccounts {
		accounts[key{sa.Namespace, sa.Name}] = true
		sa.Name += suffix
	}
	roles := map[key]bool{}
	for _, r := range m.roles {
		roles[key{r.Namespace, r.Name}] = true
		r.Name += suffix
	}
	clusterRoles := map[string]bool{}
	for _, r := range m.clusterRoles {
		clusterRoles[r.Name] = true
		r.Name += suffix
	}
	subjects := func(ss []rbacv1.Subject) {
		for i, s := range ss {
			if s.Kind == rbacv1.ServiceAccountKind && accounts[key{s.Namespace, s.Name}] {
				ss[i].Name += suffix
			}
		}
	}
	roleRef := func(namespace string, ref *rbacv1.RoleRef) {
		if (ref.Kind == "Role" && roles[key{namespace, ref.Name}]) || (ref.Kind == "ClusterRole" && clusterRoles[ref.Name]) {
			ref.Name += suffix
		}
	}
	for _, b := range m.roleBindings {
		b.Name += suffix
		subjects(b.Subjects)
		roleRef(b.Namespace, &b.RoleRef)
	}
	for _, b := range m.clusterRoleBindings {
		b.Name += suffix
		subjects(b.Subjects)
		roleRef("", &b.RoleRef)
	}
}

// revoke takes the verbs of each of these rules away from every Role and
// ClusterRole, on the API groups and resources the rule names. It fails
// when one of them takes nothing away: a test of a missing rule whose rule
// was never granted would prove nothing.
func (m *manifests) revoke(rules []rbacv1.PolicyRule) error {
	var errs []error
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 || len(r.ResourceNames) > 0 {
			errs = append(errs, fmt.Errorf("revoking %s: only verbs on API groups and resources can be revoked", describe(r)))
			continue
		}
		revoked := false
		for _, role := range m.roles {
			role.Rules = without(role.Rules, r, &revoked)
		}
		for _, role := range m.clusterRoles {
			role.Rules = without(role.Rules, r, &revoked)
		}
		if !revoked {
			errs = append(errs, fmt.Errorf("revoking %s: no role grants it", describe(r)))
		}
	}
	return errors.Join(errs...)
}

// without is rules less the verbs of gone on its groups and resources. A
// rule that grants them together with other groups or resources is split
// into one rule per group and resource, so that the others keep every verb;
// a rule left with no verbs is dropped.
func without(rules []rbacv1.PolicyRule, gone rbacv1.PolicyRule, revoked *bool) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, r := range rules {
		if !overlaps(r.APIGroups, gone.APIGroups) || !overlaps(r.Resources, gone.Resources) {
			out = append(out, r)
			continue
		}
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				one := r
				one.APIGroups, one.Resources = []string{g}, []string{res}
				one.Verbs = slices.Clone(r.Verbs)
				if slices.Contains(gone.APIGroups, g) && slices.Contains(gone.Resources, res) {
					one.Verbs = slices.DeleteFunc(one.Verbs, func(v string) bool {
						if slices.Contains(gone.Verbs, v) {
							*revoked = true
							return true
						}
						return false
					})
				}
				if len(one.Verbs) > 0 {
					out = append(out, one)
				}
			}
		}
	}
	return out
}

func overlaps(a, b []string) bool {
	return slices.ContainsFunc(a, func(s string) bool { return slices.Contains(b, s) })
}

// describe names a rule as `kubectl auth can-i` would take it.
func describe(r rbacv1.PolicyRule) string {
	return fmt.Sprintf("%v %v in API groups %q", r.Verbs, r.Resources, r.APIGroups)
}
