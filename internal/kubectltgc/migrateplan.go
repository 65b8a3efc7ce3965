package kubectltgc

import (
	"fmt"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// The peer's binding: the AWS Load Balancer Controller's TargetGroupBinding.
var peerBindingGVK = schema.GroupVersionKind{Group: "elbv2.k8s.aws", Version: "v1beta1", Kind: "TargetGroupBinding"}

// PeerFinalizer is the finalizer the peer puts on every binding it
// reconciles; while it is there, deleting the binding makes the peer
// deregister every target of the group first.
const PeerFinalizer = "elbv2.k8s.aws/resources"

// peerSpec is the part of the peer's spec that migrate reads. Fields it
// does not know stop the migration (see convert), so that nothing a user
// set is dropped silently.
type peerSpec struct {
	TargetGroupARN          string                `json:"targetGroupARN,omitempty"`
	TargetGroupName         string                `json:"targetGroupName,omitempty"`
	TargetType              string                `json:"targetType,omitempty"`
	ServiceRef              peerServiceRef        `json:"serviceRef"`
	IPAddressType           string                `json:"ipAddressType,omitempty"`
	NodeSelector            *metav1.LabelSelector `json:"nodeSelector,omitempty"`
	MultiClusterTargetGroup bool                  `json:"multiClusterTargetGroup,omitempty"`
}

type peerServiceRef struct {
	Name string             `json:"name"`
	Port intstr.IntOrString `json:"port"`
}

// unsupported are the peer's spec fields tgc has no equivalent for, and
// why moving such a binding would change what happens to its targets.
var unsupported = map[string]string{
	"networking":           "the peer manages security-group rules for spec.networking and tgc does not; move the rules to your own security-group management first, then remove spec.networking from the peer's binding",
	"targetGroupProtocol":  "tgc has no targetGroupProtocol; remove it from the peer's binding if the target group's own protocol is the same",
	"vpcID":                "tgc reads the target group's VPC from AWS and has no vpcID; remove it from the peer's binding",
	"iamRoleArnToAssume":   "tgc has no cross-account role per binding",
	"assumeRoleExternalId": "tgc has no cross-account role per binding",
}

// known are the spec fields convert carries over.
var known = []string{"targetGroupARN", "targetGroupName", "targetType", "serviceRef", "ipAddressType", "nodeSelector", "multiClusterTargetGroup"}

// migration is one peer binding and what becomes of it.
type migration struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Binding is the tgc binding to create; nil when Refused.
	Binding *v1alpha1.TargetGroupBinding `json:"binding,omitempty"`
	// Refused says why the binding is not migrated.
	Refused []string `json:"refused,omitempty"`
}

// convert maps a peer binding onto a tgc binding of the same name and
// namespace, field by field. A field tgc does not support refuses the
// binding, with the reason.
func convert(u *unstructured.Unstructured) migration {
	m := migration{Namespace: u.GetNamespace(), Name: u.GetName()}
	spec, _, _ := unstructured.NestedMap(u.Object, "spec")
	var fields []string
	for k := range spec {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	for _, f := range fields {
		if why, ok := unsupported[f]; ok {
			m.Refused = append(m.Refused, fmt.Sprintf("spec.%s: %s", f, why))
		} else if !slices.Contains(known, f) {
			m.Refused = append(m.Refused, fmt.Sprintf("spec.%s: unknown to migrate; nothing is dropped silently", f))
		}
	}
	var ps peerSpec
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(spec, &ps); err != nil {
		m.Refused = append(m.Refused, fmt.Sprintf("reading spec: %v", err))
		return m
	}
	if ps.MultiClusterTargetGroup {
		m.Refused = append(m.Refused, "spec.multiClusterTargetGroup: the peer records the targets it registered in a ConfigMap tgc does not read, so tgc would own none of them and never deregister them")
	}
	tt := v1alpha1.TargetType(ps.TargetType)
	switch tt {
	case "", v1alpha1.TargetTypeIP, v1alpha1.TargetTypeInstance:
	default:
		m.Refused = append(m.Refused, fmt.Sprintf("spec.targetType %q: tgc supports ip and instance", ps.TargetType))
	}
	ipt := v1alpha1.IPAddressType(ps.IPAddressType)
	switch ipt {
	case "", v1alpha1.IPAddressTypeIPv4, v1alpha1.IPAddressTypeIPv6:
	default:
		m.Refused = append(m.Refused, fmt.Sprintf("spec.ipAddressType %q: tgc supports ipv4 and ipv6", ps.IPAddressType))
	}
	if ps.TargetGroupARN == "" && ps.TargetGroupName == "" {
		m.Refused = append(m.Refused, "spec: neither targetGroupARN nor targetGroupName is set")
	}
	if len(m.Refused) > 0 {
		return m
	}
	m.Binding = &v1alpha1.TargetGroupBinding{
		TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "TargetGroupBinding"},
		ObjectMeta: metav1.ObjectMeta{
			Name: u.GetName(), Namespace: u.GetNamespace(),
			Labels:      u.GetLabels(),
			Annotations: map[string]string{v1alpha1.MigratedFromAnnotation: peerBindingGVK.GroupKind().String() + "/" + u.GetName()},
		},
		Spec: v1alpha1.TargetGroupBindingSpec{
			TargetGroupARN:  ps.TargetGroupARN,
			TargetGroupName: ps.TargetGroupName,
			TargetType:      tt,
			NodeSelector:    ps.NodeSelector,
			ServiceRef:      v1alpha1.ServiceReference{Name: ps.ServiceRef.Name, Port: ps.ServiceRef.Port},
			IPAddressType:   ipt,
			// Created paused: tgc reads and writes nothing until the
			// peer's binding is gone (see migrate's order).
			Paused: true,
		},
	}
	return m
}
