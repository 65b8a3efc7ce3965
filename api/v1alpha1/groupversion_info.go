// Package v1alpha1 holds the elbv2.tgc.dev/v1alpha1 API: TargetGroupBinding,
// which keeps an ELBv2 target group equal to a Service's ready endpoints.
//
// +kubebuilder:object:generate=true
// +groupName=elbv2.tgc.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the API group and version of every type here.
	GroupVersion = schema.GroupVersion{Group: "elbv2.tgc.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the types with a runtime.Scheme. It depends
	// on apimachinery only, so that clients can import the API cheaply.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the types of this group-version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &TargetGroupBinding{}, &TargetGroupBindingList{}, &TargetGroupPolicy{}, &TargetGroupPolicyList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
