package targets

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func ptr[T any](v T) *T { return &v }

func tgt(s string) Target {
	ap := netip.MustParseAddrPort(s)
	return Target{IP: ap.Addr(), Port: int32(ap.Port())}
}

func tgts(ss ...string) []Target {
	var out []Target
	for _, s := range ss {
		out = append(out, tgt(s))
	}
	return out
}

// endpoint builds an endpoint; conditions are "ready", "notready",
// "terminating-serving", "terminating", or "unknown" (all nil).
func endpoint(ip, cond string, uid types.UID) discoveryv1.Endpoint {
	ep := discoveryv1.Endpoint{Addresses: []string{ip}}
	switch cond {
	case "ready":
		ep.Conditions = discoveryv1.EndpointConditions{Ready: ptr(true), Serving: ptr(true), Terminating: ptr(false)}
	case "notready":
		ep.Conditions = discoveryv1.EndpointConditions{Ready: ptr(false), Serving: ptr(false), Terminating: ptr(false)}
	case "terminating-serving":
		ep.Conditions = discoveryv1.EndpointConditions{Ready: ptr(false), Serving: ptr(true), Terminating: ptr(true)}
	case "terminating":
		ep.Conditions = discoveryv1.EndpointConditions{Ready: ptr(false), Serving: ptr(false), Terminating: ptr(true)}
	case "unknown":
	}
	if uid != "" {
		ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: string(uid), UID: uid}
	}
	return ep
}

type slicePortSpec struct {
	name  string
	port  int32
	proto corev1.Protocol
}

func slice(name string, at discoveryv1.AddressType, ports []slicePortSpec, eps ...discoveryv1.Endpoint) discoveryv1.EndpointSlice {
	s := discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
		AddressType: at,
		Endpoints:   eps,
	}
	for _, p := range ports {
		proto := p.proto
		if proto == "" {
			proto = corev1.ProtocolTCP
		}
		s.Ports = append(s.Ports, discoveryv1.EndpointPort{Name: ptr(p.name), Port: ptr(p.port), Protocol: ptr(proto)})
	}
	return s
}

func service(families []corev1.IPFamily, ports ...corev1.ServicePort) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web"},
		Spec:       corev1.ServiceSpec{Ports: ports, IPFamilies: families},
	}
}

var (
	v4       = []corev1.IPFamily{corev1.IPv4Protocol}
	httpPort = corev1.ServicePort{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromString("web")}
	httpSP   = []slicePortSpec{{name: "http", port: 8080}}
)

func TestDesired(t *testing.T) {
	cases := map[string]struct {
		in              DesiredInput
		wantTargets     []Target
		wantTerminating []Target
		wantGated       []Target
		wantNotReady    []Target
		wantReason      Reason // fatal problem expected
		wantWarnings    []Reason
	}{
		"ready endpoints become targets on the resolved container port": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.2", "ready", ""), endpoint("10.244.0.1", "ready", "")),
			}},
			wantTargets: tgts("10.244.0.1:8080", "10.244.0.2:8080"),
		},
		"nil ready condition counts as ready": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "unknown", "")),
			}},
			wantTargets: tgts("10.244.0.1:8080"),
		},
		"not ready endpoint is not a target": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "notready", "p1"), endpoint("10.244.0.2", "ready", "")),
			}},
			wantTargets:  tgts("10.244.0.2:8080"),
			wantNotReady: tgts("10.244.0.1:8080"),
		},
		"terminating endpoint is not a target even while serving": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "terminating-serving", ""), endpoint("10.244.0.2", "terminating", "")),
			}},
			wantTerminating: tgts("10.244.0.1:8080", "10.244.0.2:8080"),
		},
		"terminating in one slice wins over ready in another": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "ready", "")),
				slice("b", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "terminating-serving", "")),
			}},
			wantTerminating: tgts("10.244.0.1:8080"),
		},
		"pod held back only by tgc's gate is registered": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), GatedPods: map[types.UID]bool{"gated": true}, Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "notready", "gated"), endpoint("10.244.0.2", "notready", "other")),
			}},
			wantTargets:  tgts("10.244.0.1:8080"),
			wantGated:    tgts("10.244.0.1:8080"),
			wantNotReady: tgts("10.244.0.2:8080"),
		},
		"gated pod that is terminating is not registered": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), GatedPods: map[types.UID]bool{"gated": true}, Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "terminating", "gated")),
			}},
			wantTerminating: tgts("10.244.0.1:8080"),
		},
		"duplicates across slices are removed": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "ready", ""), endpoint("10.244.0.2", "ready", "")),
				slice("b", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "ready", "")),
			}},
			wantTargets: tgts("10.244.0.1:8080", "10.244.0.2:8080"),
		},
		"named port resolves per slice to different container ports": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromString("http"), Slices: []discoveryv1.EndpointSlice{
				slice("old", discoveryv1.AddressTypeIPv4, []slicePortSpec{{name: "http", port: 8080}}, endpoint("10.244.0.1", "ready", "")),
				slice("new", discoveryv1.AddressTypeIPv4, []slicePortSpec{{name: "http", port: 9090}}, endpoint("10.244.0.2", "ready", "")),
			}},
			wantTargets: tgts("10.244.0.1:8080", "10.244.0.2:9090"),
		},
		"service port is picked among several by number": {
			in: DesiredInput{Service: service(v4, httpPort, corev1.ServicePort{Name: "metrics", Port: 9100}), Port: intstr.FromInt32(9100), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, []slicePortSpec{{name: "http", port: 8080}, {name: "metrics", port: 9101}}, endpoint("10.244.0.1", "ready", "")),
			}},
			wantTargets: tgts("10.244.0.1:9101"),
		},
		"single unnamed service port matches the slice's empty port name": {
			in: DesiredInput{Service: service(v4, corev1.ServicePort{Port: 80}), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, []slicePortSpec{{name: "", port: 8080}}, endpoint("10.244.0.1", "ready", "")),
			}},
			wantTargets: tgts("10.244.0.1:8080"),
		},
		"port of another protocol with the same name is not used": {
			in: DesiredInput{Service: service(v4, corev1.ServicePort{Name: "dns", Port: 53, Protocol: corev1.ProtocolTCP}), Port: intstr.FromString("dns"), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, []slicePortSpec{{name: "dns", port: 5353, proto: corev1.ProtocolUDP}}, endpoint("10.244.0.1", "ready", "")),
			}},
			wantWarnings: []Reason{ReasonEndpointPortMissing},
		},
		"slices of the other address family are skipped": {
			in: DesiredInput{Service: service([]corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}, httpPort), Port: intstr.FromInt32(80), IPFamily: corev1.IPv6Protocol, Slices: []discoveryv1.EndpointSlice{
				slice("v4", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "ready", "")),
				slice("v6", discoveryv1.AddressTypeIPv6, httpSP, endpoint("fd00::1", "ready", "")),
				slice("fqdn", discoveryv1.AddressTypeFQDN, httpSP, endpoint("example.com", "ready", "")),
			}},
			wantTargets: tgts("[fd00::1]:8080"),
		},
		"empty ip family means IPv4": {
			in: DesiredInput{Service: service(nil, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("v6", discoveryv1.AddressTypeIPv6, httpSP, endpoint("fd00::1", "ready", "")),
				slice("v4", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.1", "ready", "")),
			}},
			wantTargets: tgts("10.244.0.1:8080"),
		},
		"address that does not parse is skipped with a warning": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("not-an-ip", "ready", ""), endpoint("10.244.0.1", "ready", "")),
			}},
			wantTargets:  tgts("10.244.0.1:8080"),
			wantWarnings: []Reason{ReasonInvalidAddress},
		},
		"slice without the service port is skipped with a warning": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
				slice("stale", discoveryv1.AddressTypeIPv4, []slicePortSpec{{name: "web", port: 8080}}, endpoint("10.244.0.1", "ready", "")),
				slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.2", "ready", "")),
			}},
			wantTargets:  tgts("10.244.0.2:8080"),
			wantWarnings: []Reason{ReasonEndpointPortMissing},
		},
		"missing service is a problem": {
			in:         DesiredInput{Port: intstr.FromInt32(80)},
			wantReason: ReasonServiceNotFound,
		},
		"unknown port name is a problem": {
			in:         DesiredInput{Service: service(v4, httpPort), Port: intstr.FromString("https")},
			wantReason: ReasonServicePortNotFound,
		},
		"container port number is not a service port": {
			in:         DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(8080)},
			wantReason: ReasonServicePortNotFound,
		},
		"IPv6 target group on an IPv4-only service is a problem": {
			in:         DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), IPFamily: corev1.IPv6Protocol},
			wantReason: ReasonIPFamilyMismatch,
		},
		"no slices means no targets": {
			in: DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Desired(tc.in)
			if tc.wantReason != "" {
				var p *Problem
				if !errors.As(err, &p) || p.Reason != tc.wantReason {
					t.Fatalf("error = %v, want a Problem with reason %s", err, tc.wantReason)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			check(t, "Targets", got.Targets, tc.wantTargets)
			check(t, "Terminating", got.Terminating, tc.wantTerminating)
			check(t, "Gated", got.Gated, tc.wantGated)
			check(t, "NotReady", got.NotReady, tc.wantNotReady)
			var reasons []Reason
			for _, w := range got.Warnings {
				reasons = append(reasons, w.Reason)
			}
			if !slices.Equal(reasons, tc.wantWarnings) {
				t.Errorf("warnings = %v, want reasons %v", got.Warnings, tc.wantWarnings)
			}
		})
	}
}

func check(t *testing.T, what string, got, want []Target) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestDesiredIsDeterministicWhateverTheSliceOrder(t *testing.T) {
	a := slice("a", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.3", "ready", ""), endpoint("10.244.0.1", "ready", ""))
	b := slice("b", discoveryv1.AddressTypeIPv4, httpSP, endpoint("10.244.0.2", "ready", ""), endpoint("10.244.0.1", "ready", ""))
	first, err := Desired(DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := Desired(DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{b, a}})
	if err != nil {
		t.Fatal(err)
	}
	check(t, "Targets", first.Targets, tgts("10.244.0.1:8080", "10.244.0.2:8080", "10.244.0.3:8080"))
	check(t, "Targets in reverse slice order", second.Targets, first.Targets)
}

func TestDesiredMapsEveryPodEndpointToItsTarget(t *testing.T) {
	got, err := Desired(DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{
		slice("a", discoveryv1.AddressTypeIPv4, httpSP,
			endpoint("10.244.0.1", "ready", "ready-pod"),
			endpoint("10.244.0.2", "notready", "gated-pod"),
			endpoint("10.244.0.3", "terminating-serving", "leaving-pod"),
			endpoint("10.244.0.4", "ready", "")),
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[types.UID]PodEndpoint{
		"ready-pod":   {Name: "ready-pod", Target: tgt("10.244.0.1:8080")},
		"gated-pod":   {Name: "gated-pod", Target: tgt("10.244.0.2:8080")},
		"leaving-pod": {Name: "leaving-pod", Target: tgt("10.244.0.3:8080"), Terminating: true},
	}
	if len(got.Pods) != len(want) {
		t.Fatalf("Pods = %v, want %v (an endpoint without targetRef names no pod)", got.Pods, want)
	}
	for uid, w := range want {
		if got.Pods[uid] != w {
			t.Errorf("Pods[%s] = %+v, want %+v", uid, got.Pods[uid], w)
		}
	}
}
