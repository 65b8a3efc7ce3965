// Package v1alpha1 holds the elbv2.tgc.dev/v1alpha1 API: TargetGroupBinding,
// which keeps an ELBv2 target group equal to a Service's ready endpoints.
//
// +kubebuilder:object:generate=true
// +groupName=elbv2.tgc.dev
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the API group and version of every type here.
	GroupVersion = schema.GroupVersion{Group: "elbv2.tgc.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the types with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the types of this group-version to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
