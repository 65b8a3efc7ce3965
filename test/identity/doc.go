// Package identity gives tests the identity tgc runs under once installed:
// the ServiceAccount, Roles, ClusterRoles and bindings that `kubectl apply -k
// config/default` creates, applied to a test cluster, and a token of that
// ServiceAccount from the TokenRequest API, as a rest.Config and as a
// kubeconfig file that hold nothing else.
//
// A controller run with it can do only what the shipped RBAC grants, so a
// rule missing from config/rbac (generated from the +kubebuilder:rbac
// markers) or config/webhook/rbac.yaml fails the tests that need it, where a
// controller run as the cluster admin would pass. Options make a variant of
// the shipped identity with a rule taken away, beside the shipped one in the
// same cluster, for the tests that show that guard working.
package identity
