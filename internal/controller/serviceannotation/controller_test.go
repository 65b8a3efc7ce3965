package serviceannotation

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func TestServicePort(t *testing.T) {
	cases := map[string]struct {
		annotation string // "" leaves it unset
		want       intstr.IntOrString
		wantErr    bool
	}{
		"a port number":                         {annotation: "8443", want: intstr.FromInt32(8443)},
		"a port name":                           {annotation: "https", want: intstr.FromString("https")},
		"no annotation takes the first port":    {want: intstr.FromInt32(80)},
		"the highest port":                      {annotation: "65535", want: intstr.FromInt32(65535)},
		"a number that wraps to 80 in an int32": {annotation: "4294967376", wantErr: true},
		"a number above the port range":         {annotation: "65536", wantErr: true},
		"port zero":                             {annotation: "0", wantErr: true},
		"a negative number":                     {annotation: "-80", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			svc := &corev1.Service{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
				Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
			}
			if tc.annotation != "" {
				svc.Annotations = map[string]string{AnnotationTargetGroupPort: tc.annotation}
			}
			got, err := servicePort(svc)
			if (err != nil) != tc.wantErr {
				t.Fatalf("servicePort = %v, %v; want an error: %v", got, err, tc.wantErr)
			}
			if err == nil && got != tc.want {
				t.Errorf("servicePort = %v, want %v", got, tc.want)
			}
		})
	}
}
