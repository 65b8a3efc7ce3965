package identity

import (
	"reflect"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

// shippedLike is a small install in the shape of config/default: a
// ServiceAccount bound to a ClusterRole and to a Role of its namespace, and
// a ClusterRole the install ships for someone else.
const shippedLike = `
apiVersion: v1
kind: Namespace
metadata: {name: tgc-system}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: things.example.com}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ctl, namespace: tgc-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ctl}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services]
  verbs: [get, list, watch]
- apiGroups: [""]
  resources: [pods/status]
  verbs: [patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: metrics-reader}
rules:
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ctl-leases, namespace: tgc-system}
rules:
- apiGroups: [coordination.k8s.io]
  resources: [leases]
  verbs: [get, update]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ctl-leases, namespace: tgc-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ctl-leases}
subjects:
- {kind: ServiceAccount, name: ctl, namespace: tgc-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ctl}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ctl}
subjects:
- {kind: ServiceAccount, name: ctl, namespace: tgc-system}
- {kind: ServiceAccount, name: someone-else, namespace: tgc-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ctl-can-view}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: ServiceAccount, name: ctl, namespace: tgc-system}
`

func decoded(t *testing.T) *manifests {
	t.Helper()
	m, err := decode(strings.NewReader(shippedLike))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestDecodeKeepsOnlyTheIdentitysKinds(t *testing.T) {
	m := decoded(t)
	got := map[string]int{}
	for _, o := range m.objects() {
		got[reflect.TypeOf(o).Elem().Name()]++
	}
	want := map[string]int{"Namespace": 1, "ServiceAccount": 1, "ClusterRole": 2, "Role": 1, "RoleBinding": 1, "ClusterRoleBinding": 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded %v, want %v (no CRD)", got, want)
	}
}

func TestRename(t *testing.T) {
	m := decoded(t)
	m.rename("-v")

	if got := m.namespaces[0].Name; got != "tgc-system" {
		t.Errorf("namespace renamed to %s: the shipped Roles are for the namespace the controller runs in", got)
	}
	if got := m.serviceAccounts[0].Name; got != "ctl-v" {
		t.Errorf("ServiceAccount is %s, want ctl-v", got)
	}
	if got := m.roleBindings[0]; got.Name != "ctl-leases-v" || got.RoleRef.Name != "ctl-leases-v" || got.Subjects[0].Name != "ctl-v" {
		t.Errorf("RoleBinding %s binds %s to %v, want ctl-leases-v binding ctl-leases-v to ctl-v", got.Name, got.RoleRef.Name, got.Subjects)
	}
	crb := m.clusterRoleBindings[0]
	if crb.Name != "ctl-v" || crb.RoleRef.Name != "ctl-v" || crb.Subjects[0].Name != "ctl-v" {
		t.Errorf("ClusterRoleBinding %s binds %s to %v, want ctl-v binding ctl-v to ctl-v", crb.Name, crb.RoleRef.Name, crb.Subjects)
	}
	if got := crb.Subjects[1].Name; got != "someone-else" {
		t.Errorf("a subject the install does not create was renamed to %s", got)
	}
	if got := m.clusterRoleBindings[1].RoleRef.Name; got != "view" {
		t.Errorf("a reference to the cluster's own ClusterRole view was renamed to %s", got)
	}
}

func TestRevoke(t *testing.T) {
	cases := map[string]struct {
		revoke  rbacv1.PolicyRule
		want    []rbacv1.PolicyRule // the ClusterRole ctl's rules after
		wantErr string
	}{
		"a rule of its own goes away whole": {
			revoke: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch"}},
			want: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"namespaces", "pods", "services"}, Verbs: []string{"get", "list", "watch"}},
			},
		},
		"a verb on one of a rule's resources leaves the others every verb": {
			revoke: rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"list"}},
			want: []rbacv1.PolicyRule{
				{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: []string{"get", "list", "watch"}},
				{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch"}},
			},
		},
		"a rule no role grants is an error, not a test that proves nothing": {
			revoke:  rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}},
			wantErr: "no role grants it",
		},
		"the same resource in another API group is not it": {
			revoke:  rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"pods"}, Verbs: []string{"list"}},
			wantErr: "no role grants it",
		},
		"a URL cannot be revoked": {
			revoke:  rbacv1.PolicyRule{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}},
			wantErr: "only verbs on API groups and resources",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := decoded(t)
			err := m.revoke([]rbacv1.PolicyRule{tc.revoke})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("revoke: %v, want an error saying %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.clusterRoles[0].Rules; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("rules\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestFirstRulesAskForWhatEachBindingGrantsWhereItGrantsIt(t *testing.T) {
	m := decoded(t)
	var got []string
	for _, s := range m.firstRules() {
		got = append(got, asked(s))
	}
	want := []string{
		`get leases/ "" in API group "coordination.k8s.io" in namespace "tgc-system"`,
		`get namespaces/ "" in API group "" in namespace ""`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("checks %q, want %q (the binding of the cluster's own view has nothing to check)", got, want)
	}
}
