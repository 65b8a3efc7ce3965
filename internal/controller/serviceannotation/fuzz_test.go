package serviceannotation

import (
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// FuzzServicePort reads the port annotation as any user could write it. A
// number is accepted only as a port, 1-65535, and only as itself: never
// wrapped into another port.
func FuzzServicePort(f *testing.F) {
	for _, s := range []string{"80", "web", "4294967376", "-80", "+443", "0", "65536", "0080", "", " 80", "８０"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", Annotations: map[string]string{AnnotationTargetGroupPort: v}},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "web", Port: 8080}}},
		}
		p, err := servicePort(svc)
		if err != nil {
			return
		}
		if p.Type == intstr.String {
			if isNumber(p.StrVal) {
				t.Fatalf("%q kept as the name %q although it is a number", v, p.StrVal)
			}
			return
		}
		if p.IntVal < 1 || p.IntVal > 65535 {
			t.Fatalf("%q accepted as port %d", v, p.IntVal)
		}
		if v != "" {
			if n, err := strconv.ParseInt(v, 10, 64); err != nil || n != int64(p.IntVal) {
				t.Fatalf("%q accepted as port %d, which is not the number written", v, p.IntVal)
			}
		}
	})
}
