package readinessgate

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func TestFamily(t *testing.T) {
	dual := &corev1.Service{Spec: corev1.ServiceSpec{IPFamilies: []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}}}
	v6only := &corev1.Service{Spec: corev1.ServiceSpec{IPFamilies: []corev1.IPFamily{corev1.IPv6Protocol}}}
	spec := func(t v1alpha1.IPAddressType) *v1alpha1.TargetGroupBinding {
		return &v1alpha1.TargetGroupBinding{Spec: v1alpha1.TargetGroupBindingSpec{IPAddressType: t}}
	}
	cases := map[string]struct {
		tgb       *v1alpha1.TargetGroupBinding
		svc       *corev1.Service
		groupType string
		want      corev1.IPFamily
	}{
		"the spec's ipv6 wins":                                     {spec("ipv6"), dual, "", corev1.IPv6Protocol},
		"the spec's ipv4 wins over the Service":                    {spec("ipv4"), v6only, "", corev1.IPv4Protocol},
		"a dual-stack Service on an ipv6 group without spec is v6": {spec(""), dual, "ipv6", corev1.IPv6Protocol},
		"a dual-stack Service on an ipv4 group without spec is v4": {spec(""), dual, "ipv4", corev1.IPv4Protocol},
		"an IPv6-only Service with the group unknown is v6":        {spec(""), v6only, "", corev1.IPv6Protocol},
		"a dual-stack Service with the group unknown is v4":        {spec(""), dual, "", corev1.IPv4Protocol},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := family(tc.tgb, tc.svc, tc.groupType); got != tc.want {
				t.Fatalf("family = %s, want %s", got, tc.want)
			}
		})
	}
}
