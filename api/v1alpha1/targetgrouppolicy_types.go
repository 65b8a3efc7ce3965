package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TargetGroupPolicySpec says which namespaces may bind which target groups.
// With no TargetGroupPolicy in the cluster every namespace may bind every
// group (a single-tenant cluster needs nothing); once one exists, a binding
// is allowed only when some policy selects its namespace and matches its
// target group.
type TargetGroupPolicySpec struct {
	// NamespaceSelector selects the namespaces the policy is for. An empty
	// selector selects every namespace.
	NamespaceSelector metav1.LabelSelector `json:"namespaceSelector"`
	// TargetGroups are the groups those namespaces may bind: a group that
	// matches any entry.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=100
	TargetGroups []TargetGroupMatch `json:"targetGroups"`
	// AllowAnyEndpoint lets bindings in those namespaces, on those groups,
	// set targetSelection: AnyEndpoint and so register endpoints that are
	// not their own pods: any address the VPC reaches. Off by default.
	// +optional
	AllowAnyEndpoint bool `json:"allowAnyEndpoint,omitempty"`
	// Roles are the IAM roles bindings in those namespaces, on those
	// groups, may name in spec.iamRoleArnToAssume. Empty allows none: such
	// bindings use the controller's own account.
	// +kubebuilder:validation:MaxItems=100
	// +optional
	Roles []RoleMatch `json:"roles,omitempty"`
}

// RoleMatch matches IAM role ARNs.
type RoleMatch struct {
	// ARNPattern matches the role ARN with shell-style globs (path.Match),
	// e.g. "arn:aws:iam::111122223333:role/tgc-*".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-*]*:iam::[0-9*?]{1,12}:role/.+$`
	ARNPattern string `json:"arnPattern"`
}

// TargetGroupMatch matches target groups by exactly one of: ARN, name
// pattern, or tags.
// +kubebuilder:validation:XValidation:rule="(has(self.arn) ? 1 : 0) + (has(self.namePattern) ? 1 : 0) + (has(self.tags) ? 1 : 0) == 1",message="set exactly one of arn, namePattern or tags"
type TargetGroupMatch struct {
	// ARN is one target group's ARN.
	// +kubebuilder:validation:Pattern=`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$`
	// +optional
	ARN string `json:"arn,omitempty"`
	// NamePattern matches the target group's name with shell-style globs
	// (path.Match): "team-a-*" matches team-a-web and team-a-api.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +optional
	NamePattern string `json:"namePattern,omitempty"`
	// Tags the group must carry, all of them. A value of "*" matches any
	// value of the key. ELBv2 tag values allow no commas, so a tag names a
	// team or a purpose, not a list of namespaces.
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=10
	// +optional
	Tags map[string]string `json:"tags,omitempty"`
}

// TargetGroupPolicy is a cluster administrator's rule for which namespaces
// may bind which target groups.
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=tgp,categories=tgc
// +kubebuilder:printcolumn:name="AnyEndpoint",type=boolean,JSONPath=`.spec.allowAnyEndpoint`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TargetGroupPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec TargetGroupPolicySpec `json:"spec"`
}

// TargetGroupPolicyList is a list of TargetGroupPolicies.
//
// +kubebuilder:object:root=true
type TargetGroupPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TargetGroupPolicy `json:"items"`
}
