package kubectltgc

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

func peerTGB(spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(peerBindingGVK)
	u.SetNamespace("shop")
	u.SetName("web")
	u.SetLabels(map[string]string{"team": "payments"})
	return u
}

func TestConvert(t *testing.T) {
	const arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef"
	base := func(extra map[string]any) map[string]any {
		s := map[string]any{"targetGroupARN": arn, "serviceRef": map[string]any{"name": "web", "port": int64(80)}}
		for k, v := range extra {
			s[k] = v
		}
		return s
	}
	cases := map[string]struct {
		spec        map[string]any
		wantRefused string // substring of a refusal; empty means migrated
		check       func(t *testing.T, b *v1alpha1.TargetGroupBinding)
	}{
		"fields carry over one by one, and the binding starts paused": {
			spec: base(map[string]any{"targetType": "ip", "ipAddressType": "ipv4"}),
			check: func(t *testing.T, b *v1alpha1.TargetGroupBinding) {
				if b.Spec.TargetGroupARN != arn || b.Spec.ServiceRef.Name != "web" || b.Spec.ServiceRef.Port != intstr.FromInt32(80) ||
					b.Spec.TargetType != v1alpha1.TargetTypeIP || b.Spec.IPAddressType != v1alpha1.IPAddressTypeIPv4 || !b.Spec.Paused {
					t.Errorf("spec = %+v", b.Spec)
				}
				if b.Name != "web" || b.Namespace != "shop" || b.Labels["team"] != "payments" {
					t.Errorf("meta = %s/%s %v", b.Namespace, b.Name, b.Labels)
				}
				if got := b.Annotations[v1alpha1.MigratedFromAnnotation]; got != "TargetGroupBinding.elbv2.k8s.aws/web" {
					t.Errorf("migrated-from = %q", got)
				}
			},
		},
		"a named port and a target group name carry over": {
			spec: map[string]any{"targetGroupName": "web", "serviceRef": map[string]any{"name": "web", "port": "http"}},
			check: func(t *testing.T, b *v1alpha1.TargetGroupBinding) {
				if b.Spec.TargetGroupName != "web" || b.Spec.ServiceRef.Port != intstr.FromString("http") {
					t.Errorf("spec = %+v", b.Spec)
				}
			},
		},
		"instance bindings keep their node selector": {
			spec: base(map[string]any{"targetType": "instance", "nodeSelector": map[string]any{"matchLabels": map[string]any{"pool": "edge"}}}),
			check: func(t *testing.T, b *v1alpha1.TargetGroupBinding) {
				if b.Spec.TargetType != v1alpha1.TargetTypeInstance || b.Spec.NodeSelector.MatchLabels["pool"] != "edge" {
					t.Errorf("spec = %+v", b.Spec)
				}
			},
		},
		"spec.networking stops the migration: the peer manages its security-group rules": {
			spec:        base(map[string]any{"networking": map[string]any{"ingress": []any{}}}),
			wantRefused: "spec.networking: the peer manages security-group rules",
		},
		"multiClusterTargetGroup stops it: tgc would own none of the peer's targets": {
			spec:        base(map[string]any{"multiClusterTargetGroup": true}),
			wantRefused: "spec.multiClusterTargetGroup",
		},
		"a cross-account role stops it": {
			spec:        base(map[string]any{"iamRoleArnToAssume": "arn:aws:iam::1:role/x"}),
			wantRefused: "spec.iamRoleArnToAssume",
		},
		"a field migrate does not know stops it rather than being dropped": {
			spec:        base(map[string]any{"somethingNew": "x"}),
			wantRefused: "spec.somethingNew: unknown to migrate",
		},
		"an unknown target type stops it": {
			spec:        base(map[string]any{"targetType": "alb"}),
			wantRefused: `spec.targetType "alb"`,
		},
		"no target group stops it": {
			spec:        map[string]any{"serviceRef": map[string]any{"name": "web", "port": int64(80)}},
			wantRefused: "neither targetGroupARN nor targetGroupName",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := convert(peerTGB(tc.spec))
			if tc.wantRefused != "" {
				if m.Binding != nil || !strings.Contains(strings.Join(m.Refused, "\n"), tc.wantRefused) {
					t.Fatalf("binding %v, refused %q; want refused with %q", m.Binding != nil, m.Refused, tc.wantRefused)
				}
				return
			}
			if m.Binding == nil {
				t.Fatalf("refused: %q", m.Refused)
			}
			tc.check(t, m.Binding)
		})
	}
}
