package targets

import (
	"errors"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

func ptr[T any](v T) *T { return &v }

// tgt reads "ip:port" or "i-…:port".
func tgt(s string) Target {
	t, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return t
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

// podOf names the Pod behind an endpoint endpoint() built without a uid:
// "pod-<ip>", as the EndpointSlice controller would write it.
func podOf(ip string) types.UID { return types.UID("pod-" + ip) }

// pod is a Pod in namespace ns with the IPs given, first one as podIP.
func pod(name string, ips ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID(name)}}
	for _, ip := range ips {
		p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
	}
	if len(ips) > 0 {
		p.Status.PodIP = ips[0]
	}
	return p
}

// withPods gives every endpoint of the input that has no targetRef one to a
// Pod with its address, and fills Pods with every Pod the targetRefs name,
// holding their addresses: the world the EndpointSlice controller makes,
// where these cases check something other than the pod check.
func withPods(in DesiredInput) DesiredInput {
	pods := map[string]*corev1.Pod{}
	var out []discoveryv1.EndpointSlice
	for _, s := range in.Slices {
		s = *s.DeepCopy()
		for i := range s.Endpoints {
			ep := &s.Endpoints[i]
			if len(ep.Addresses) == 0 {
				continue
			}
			if ep.TargetRef == nil {
				uid := podOf(ep.Addresses[0])
				ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: string(uid), UID: uid}
			}
			if p, ok := pods[ep.TargetRef.Name]; ok {
				p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ep.Addresses[0]})
				continue
			}
			pods[ep.TargetRef.Name] = pod(ep.TargetRef.Name, ep.Addresses[0])
		}
		out = append(out, s)
	}
	in.Slices, in.Pods = out, pods
	return in
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
			got, err := Desired(withPods(tc.in))
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
	first, err := Desired(withPods(DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{a, b}}))
	if err != nil {
		t.Fatal(err)
	}
	second, err := Desired(withPods(DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Slices: []discoveryv1.EndpointSlice{b, a}}))
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

// bare is a ready endpoint at ip with the targetRef given (nil: none), as a
// hand-written EndpointSlice may list it.
func bare(ip string, ref *corev1.ObjectReference) discoveryv1.Endpoint {
	ep := endpoint(ip, "ready", "")
	ep.TargetRef = ref
	return ep
}

func podRef(name string) *corev1.ObjectReference {
	return &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: name, UID: types.UID(name)}
}

func TestDesiredOnlyPodsAreTargets(t *testing.T) {
	web := pod("web-1", "10.244.0.1")
	cases := map[string]struct {
		endpoints   []discoveryv1.Endpoint
		pods        []*corev1.Pod
		anyEndpoint bool
		wantTargets []Target
		wantSkipped []Skipped
	}{
		"the address of a Pod in the namespace is a target": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.0.1", podRef("web-1"))},
			pods:        []*corev1.Pod{web},
			wantTargets: tgts("10.244.0.1:8080"),
		},
		"an endpoint without targetRef is skipped": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.1.99", nil), bare("10.244.0.1", podRef("web-1"))},
			pods:        []*corev1.Pod{web},
			wantTargets: tgts("10.244.0.1:8080"),
			wantSkipped: []Skipped{{Target: tgt("10.244.1.99:8080"), Reason: SkipNoTargetRef}},
		},
		"an endpoint whose targetRef is not a Pod is skipped": {
			endpoints:   []discoveryv1.Endpoint{bare("10.0.5.5", &corev1.ObjectReference{Kind: "Node", Name: "node-1"})},
			wantSkipped: []Skipped{{Target: tgt("10.0.5.5:8080"), Reason: SkipTargetRefNotPod, Ref: "Node /node-1"}},
		},
		"a Pod in another namespace is skipped": {
			endpoints: []discoveryv1.Endpoint{bare("10.244.0.1", &corev1.ObjectReference{Kind: "Pod", Namespace: "team-b", Name: "web-1", UID: "web-1"})},
			// Even a Pod of the same name and address in this namespace
			// does not make another namespace's endpoint one of ours.
			pods:        []*corev1.Pod{web},
			wantSkipped: []Skipped{{Target: tgt("10.244.0.1:8080"), Reason: SkipPodInOtherNamespace, Ref: "Pod team-b/web-1"}},
		},
		"a Pod that is not in the cache is skipped, and may appear later": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.0.7", podRef("web-7"))},
			pods:        []*corev1.Pod{web},
			wantSkipped: []Skipped{{Target: tgt("10.244.0.7:8080"), Reason: SkipPodNotFound, Ref: "Pod ns/web-7", MaybeStale: true}},
		},
		"a Pod of the same name but another UID is not the endpoint's Pod": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.0.1", &corev1.ObjectReference{Kind: "Pod", Namespace: "ns", Name: "web-1", UID: "old-uid"})},
			pods:        []*corev1.Pod{web},
			wantSkipped: []Skipped{{Target: tgt("10.244.0.1:8080"), Reason: SkipPodNotFound, Ref: "Pod ns/web-1", MaybeStale: true}},
		},
		"an address that is not one of the Pod's IPs is skipped": {
			// A hand-written slice naming the tenant's own Pod cannot lend
			// its name to a database's address.
			endpoints:   []discoveryv1.Endpoint{bare("10.0.9.9", podRef("web-1"))},
			pods:        []*corev1.Pod{web},
			wantSkipped: []Skipped{{Target: tgt("10.0.9.9:8080"), Reason: SkipAddressNotPodIP, Ref: "Pod ns/web-1"}},
		},
		"a Pod in the cache without IPs yet may get them later": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.0.1", podRef("web-1"))},
			pods:        []*corev1.Pod{pod("web-1")},
			wantSkipped: []Skipped{{Target: tgt("10.244.0.1:8080"), Reason: SkipAddressNotPodIP, Ref: "Pod ns/web-1", MaybeStale: true}},
		},
		"a dual-stack Pod's IPv4 address is matched through status.podIPs": {
			// status.podIP holds only the first family, here IPv6.
			endpoints:   []discoveryv1.Endpoint{bare("10.244.0.5", podRef("dual"))},
			pods:        []*corev1.Pod{pod("dual", "fd00::5", "10.244.0.5")},
			wantTargets: tgts("10.244.0.5:8080"),
		},
		"an endpoint with a targetRef of empty kind is checked as a Pod": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.0.1", &corev1.ObjectReference{Name: "web-1"})},
			pods:        []*corev1.Pod{web},
			wantTargets: tgts("10.244.0.1:8080"),
		},
		"a not ready or terminating endpoint is never checked, as it is never a target": {
			endpoints: []discoveryv1.Endpoint{
				endpoint("10.244.1.1", "notready", ""),
				endpoint("10.244.1.2", "terminating", ""),
			},
		},
		"an address a Pod's listing makes desired is not skipped for another listing": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.0.1", nil), bare("10.244.0.1", podRef("web-1"))},
			pods:        []*corev1.Pod{web},
			wantTargets: tgts("10.244.0.1:8080"),
		},
		"AnyEndpoint registers every ready address, Pod or not": {
			endpoints:   []discoveryv1.Endpoint{bare("10.244.1.99", nil), bare("10.0.9.9", podRef("web-1")), bare("10.244.0.1", podRef("web-1"))},
			pods:        []*corev1.Pod{web},
			anyEndpoint: true,
			wantTargets: tgts("10.0.9.9:8080", "10.244.0.1:8080", "10.244.1.99:8080"),
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pods := map[string]*corev1.Pod{}
			for _, p := range tc.pods {
				pods[p.Name] = p
			}
			got, err := Desired(DesiredInput{
				Service: service(v4, httpPort), Port: intstr.FromInt32(80),
				Slices:      []discoveryv1.EndpointSlice{slice("a", discoveryv1.AddressTypeIPv4, httpSP, tc.endpoints...)},
				Pods:        pods,
				AnyEndpoint: tc.anyEndpoint,
			})
			if err != nil {
				t.Fatal(err)
			}
			check(t, "Targets", got.Targets, tc.wantTargets)
			if !slices.Equal(got.Skipped, tc.wantSkipped) {
				t.Errorf("Skipped = %+v, want %+v", got.Skipped, tc.wantSkipped)
			}
		})
	}
}

func TestDesiredSkipsTheSameWhateverTheSliceOrder(t *testing.T) {
	// One address listed twice with different wrong targetRefs.
	a := slice("a", discoveryv1.AddressTypeIPv4, httpSP, bare("10.0.9.9", nil))
	b := slice("b", discoveryv1.AddressTypeIPv4, httpSP, bare("10.0.9.9", podRef("web-1")))
	in := DesiredInput{Service: service(v4, httpPort), Port: intstr.FromInt32(80), Pods: map[string]*corev1.Pod{"web-1": pod("web-1", "10.244.0.1")}}
	in.Slices = []discoveryv1.EndpointSlice{a, b}
	first, _ := Desired(in)
	in.Slices = []discoveryv1.EndpointSlice{b, a}
	second, _ := Desired(in)
	if !slices.Equal(first.Skipped, second.Skipped) || len(first.Skipped) != 1 {
		t.Fatalf("Skipped = %+v in one order, %+v in the other; want one and the same", first.Skipped, second.Skipped)
	}
}
