package targets

import (
	"fmt"
	"net/netip"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// benchSizes are the endpoint counts of one binding: a small Service, a big
// one, and the 10k-endpoint scale of the cluster-scale benchmarks.
var benchSizes = []int{100, 1000, 10000}

// benchSlices builds n ready endpoints spread over slices of 100, the
// EndpointSlice controller's default maximum. With pods, every endpoint
// carries a targetRef, as the EndpointSlice controller writes it for a pod,
// so that Desired also fills its pod map and checks each address against
// its Pod (the default path); without, the binding is AnyEndpoint.
func benchSlices(n int, pods bool) ([]discoveryv1.EndpointSlice, *corev1.Service, map[string]*corev1.Pod) {
	podsByName := map[string]*corev1.Pod{}
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
			ep := discoveryv1.Endpoint{
				Addresses:  []string{ip.String()},
				Conditions: discoveryv1.EndpointConditions{Ready: ptr(true), Serving: ptr(true), Terminating: ptr(false)},
			}
			if pods {
				ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Name: fmt.Sprintf("web-%d", j), UID: types.UID(fmt.Sprintf("uid-%d", j))}
				podsByName[ep.TargetRef.Name] = &corev1.Pod{
					ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: ep.TargetRef.Name, UID: ep.TargetRef.UID},
					Status:     corev1.PodStatus{PodIP: ip.String(), PodIPs: []corev1.PodIP{{IP: ip.String()}}},
				}
			}
			s.Endpoints = append(s.Endpoints, ep)
			ip = ip.Next()
		}
		slices = append(slices, s)
	}
	return slices, svc, podsByName
}

func BenchmarkDesired(b *testing.B) {
	for _, pods := range []bool{false, true} {
		for _, n := range benchSizes {
			slices, svc, podsByName := benchSlices(n, pods)
			b.Run(fmt.Sprintf("pods=%t/endpoints=%d", pods, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					res, err := Desired(DesiredInput{Slices: slices, Port: intstr.FromString("http"), Service: svc, AnyEndpoint: !pods, Pods: podsByName})
					if err != nil || len(res.Targets) != n {
						b.Fatalf("Desired: %d targets, err %v", len(res.Targets), err)
					}
				}
			})
		}
	}
}

// planInput is a group of n healthy targets and a desired set in which one
// target in every changeEvery is replaced by a new one (0: none).
func planInput(n, changeEvery int) PlanInput {
	desired := make([]Target, 0, n)
	actual := make([]Health, 0, n)
	ip := netip.MustParseAddr("10.244.0.1")
	for i := 0; i < n; i++ {
		t := Target{IP: ip, Port: 8080}
		ip = ip.Next()
		actual = append(actual, Health{Target: t, State: StateHealthy})
		if changeEvery > 0 && i%changeEvery == 0 {
			t = Target{IP: netip.MustParseAddr("10.245.0.1"), Port: int32(1024 + i)}
		}
		desired = append(desired, t)
	}
	return PlanInput{Desired: desired, Actual: actual}
}

func BenchmarkComputePlan(b *testing.B) {
	cases := map[string]struct {
		changeEvery int
		changed     func(n int) int
	}{
		// The common sync: nothing changed, and the plan must say so.
		"in sync": {changeEvery: 0, changed: func(int) int { return 0 }},
		// A rollout step on a large group: one target in ten replaced.
		"tenth replaced": {changeEvery: 10, changed: func(n int) int { return n / 10 }},
	}
	for name, tc := range cases {
		for _, n := range benchSizes {
			in := planInput(n, tc.changeEvery)
			want := tc.changed(n)
			b.Run(fmt.Sprintf("%s/targets=%d", name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					p := ComputePlan(in)
					if len(p.Register) != want || len(p.Deregister) != want {
						b.Fatalf("plan: %d to register, %d to deregister, want %d each", len(p.Register), len(p.Deregister), want)
					}
				}
			})
		}
	}
}

// BenchmarkBatches splits a whole group's registration into API calls.
func BenchmarkBatches(b *testing.B) {
	for _, n := range benchSizes {
		ts := planInput(n, 0).Desired
		want := (n + MaxTargetsPerCall - 1) / MaxTargetsPerCall
		b.Run(fmt.Sprintf("targets=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if got := Batches(ts, 0); len(got) != want {
					b.Fatalf("%d batches, want %d", len(got), want)
				}
			}
		})
	}
}
