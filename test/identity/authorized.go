package identity

import (
	"context"
	"fmt"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// waitAuthorized returns once the API server's authorizer grants the
// identity the first rule of every role the manifests bind it to. The RBAC
// authorizer reads roles and bindings through informers, so a controller
// started right after they are applied could otherwise be refused for a
// moment and back off.
func waitAuthorized(ctx context.Context, as kubernetes.Interface, m *manifests) error {
	checks := m.firstRules()
	return wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		for _, spec := range checks {
			r, err := as.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
			if err != nil {
				return false, fmt.Errorf("asking whether the identity may %s: %w", asked(spec), err)
			}
			if !r.Status.Allowed {
				return false, nil
			}
		}
		return true, nil
	})
}

// firstRules are, for each binding, the first rule of the role it binds,
// where it binds it.
func (m *manifests) firstRules() []authorizationv1.SelfSubjectAccessReviewSpec {
	var out []authorizationv1.SelfSubjectAccessReviewSpec
	add := func(namespace string, rules []rbacv1.PolicyRule) {
		if len(rules) > 0 {
			out = append(out, review(namespace, rules[0]))
		}
	}
	for _, b := range m.roleBindings {
		switch b.RoleRef.Kind {
		case "Role":
			for _, r := range m.roles {
				if r.Namespace == b.Namespace && r.Name == b.RoleRef.Name {
					add(b.Namespace, r.Rules)
				}
			}
		case "ClusterRole":
			for _, r := range m.clusterRoles {
				if r.Name == b.RoleRef.Name {
					add(b.Namespace, r.Rules)
				}
			}
		}
	}
	for _, b := range m.clusterRoleBindings {
		for _, r := range m.clusterRoles {
			if r.Name == b.RoleRef.Name {
				add("", r.Rules)
			}
		}
	}
	return out
}

// review asks for the rule's first verb on its first resource (or URL).
func review(namespace string, r rbacv1.PolicyRule) authorizationv1.SelfSubjectAccessReviewSpec {
	if len(r.NonResourceURLs) > 0 {
		return authorizationv1.SelfSubjectAccessReviewSpec{NonResourceAttributes: &authorizationv1.NonResourceAttributes{Path: r.NonResourceURLs[0], Verb: r.Verbs[0]}}
	}
	resource, subresource, _ := strings.Cut(r.Resources[0], "/")
	attrs := &authorizationv1.ResourceAttributes{Namespace: namespace, Verb: r.Verbs[0], Group: r.APIGroups[0], Resource: resource, Subresource: subresource}
	if len(r.ResourceNames) > 0 {
		attrs.Name = r.ResourceNames[0]
	}
	return authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: attrs}
}

func asked(s authorizationv1.SelfSubjectAccessReviewSpec) string {
	if a := s.NonResourceAttributes; a != nil {
		return a.Verb + " " + a.Path
	}
	a := s.ResourceAttributes
	return fmt.Sprintf("%s %s/%s %q in API group %q in namespace %q", a.Verb, a.Resource, a.Subresource, a.Name, a.Group, a.Namespace)
}
