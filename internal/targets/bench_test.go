package targets

import (
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// benchSlices builds n ready endpoints spread over slices of 100, the
// EndpointSlice controller's default maximum.
func benchSlices(n int) ([]discoveryv1.EndpointSlice, *corev1.Service) {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	}
	var slices []discoveryv1.EndpointSlice
	ip := netip.MustParseAddr("10.244.0.1")
	for i := 0; i < n; i += 100 {
		s := discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "bench", Name: fmt.Sprintf("web-%d", i)},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptr("http"), Port: ptr(int32(8080)), Protocol: ptr(corev1.ProtocolTCP)}},
		}
		for j := i; j < i+100 && j < n; j++ {
			s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
				Addresses:  []string{ip.String()},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr(true)},
			})
			ip = ip.Next()
		}
		slices = append(slices, s)
	}
	return slices, svc
}

func BenchmarkDesired(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		slices, svc := benchSlices(n)
		b.Run(fmt.Sprintf("endpoints=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				res, err := Desired(DesiredInput{Slices: slices, Port: intstr.FromString("http"), Service: svc})
				if err != nil || len(res.Targets) != n {
					b.Fatalf("Desired: %d targets, err %v", len(res.Targets), err)
				}
			}
		})
	}
}

// BenchmarkComputePlan is a rollout step on a large group: one target in
// ten replaced by a new one.
func BenchmarkComputePlan(b *testing.B) {
	for _, n := range []int{100, 1000, 10000} {
		desired := make([]Target, 0, n)
		actual := make([]Health, 0, n)
		ip := netip.MustParseAddr("10.244.0.1")
		for i := 0; i < n; i++ {
			t := Target{IP: ip, Port: 8080}
			ip = ip.Next()
			actual = append(actual, Health{Target: t, State: StateHealthy})
			if i%10 == 0 {
				t = Target{IP: netip.MustParseAddr("10.245.0.1"), Port: int32(1024 + i)}
			}
			desired = append(desired, t)
		}
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				p := ComputePlan(PlanInput{Desired: desired, Actual: actual})
				if len(p.Register) != n/10 || len(p.Deregister) != n/10 {
					b.Fatalf("plan: %d to register, %d to deregister, want %d each", len(p.Register), len(p.Deregister), n/10)
				}
			}
		})
	}
}
