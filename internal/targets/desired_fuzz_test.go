package targets

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"testing"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// randomDesiredInput draws EndpointSlices of Service web (port 80, named
// http) and the pods behind them: endpoints with or without targetRefs, of
// pods that exist or not, in this namespace or another, with addresses that
// are the pod's or not, of both families, in every condition.
func randomDesiredInput(seed uint64) DesiredInput {
	r := rand.New(rand.NewPCG(seed, ^seed))
	addr := func() string {
		if r.IntN(5) == 0 {
			return netip.AddrFrom16([16]byte{0xfd, 15: byte(r.IntN(8))}).String()
		}
		return netip.AddrFrom4([4]byte{10, 244, 0, byte(r.IntN(8))}).String()
	}
	boolp := func() *bool {
		switch r.IntN(3) {
		case 0:
			return nil
		case 1:
			v := true
			return &v
		}
		v := false
		return &v
	}
	pods := map[string]*corev1.Pod{}
	for i := range r.IntN(6) {
		name := "pod-" + strconv.Itoa(i)
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: name, UID: types.UID(name)}}
		for range 1 + r.IntN(2) {
			p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: addr()})
		}
		p.Status.PodIP = p.Status.PodIPs[0].IP
		pods[name] = p
	}
	var slices []discoveryv1.EndpointSlice
	for s := range 1 + r.IntN(3) {
		sl := discoveryv1.EndpointSlice{
			ObjectMeta:  metav1.ObjectMeta{Namespace: "shop", Name: "web-" + strconv.Itoa(s), Labels: map[string]string{discoveryv1.LabelServiceName: "web"}},
			AddressType: discoveryv1.AddressTypeIPv4,
			Ports:       []discoveryv1.EndpointPort{{Name: ptrTo("http"), Port: ptrTo(int32(8080 + r.IntN(2)))}},
		}
		if r.IntN(4) == 0 {
			sl.AddressType = discoveryv1.AddressTypeIPv6
		}
		for range r.IntN(8) {
			ep := discoveryv1.Endpoint{Addresses: []string{addr()}, Conditions: discoveryv1.EndpointConditions{Ready: boolp(), Serving: boolp(), Terminating: boolp()}}
			switch r.IntN(4) {
			case 0: // no targetRef
			case 1:
				ep.TargetRef = &corev1.ObjectReference{Kind: "Node", Name: "n"}
			default:
				name := "pod-" + strconv.Itoa(r.IntN(8))
				ns := "shop"
				if r.IntN(6) == 0 {
					ns = "other"
				}
				ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: name, UID: types.UID(name)}
			}
			sl.Endpoints = append(sl.Endpoints, ep)
		}
		slices = append(slices, sl)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Port: 80}}}}
	return DesiredInput{Slices: slices, Port: intstr.FromInt32(80), Service: svc, Pods: pods, AnyEndpoint: r.IntN(5) == 0}
}

func ptrTo[T any](v T) *T { return &v }

// FuzzDesired computes desired targets from random slices and pods. It
// never panics, never lists a target twice, never makes a terminating
// endpoint a target, and, unless the binding opted in to any endpoint,
// makes a target only of an address of the Pod its endpoint names, in the
// Service's namespace.
func FuzzDesired(f *testing.F) {
	for seed := range uint64(64) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, seed uint64) {
		in := randomDesiredInput(seed)
		res, err := Desired(in)
		if err != nil {
			return
		}
		seen := map[Key]bool{}
		for _, tg := range res.Targets {
			if seen[tg.Key()] {
				t.Fatalf("seed %d: target %s listed twice", seed, tg)
			}
			seen[tg.Key()] = true
		}
		for _, tg := range res.Terminating {
			if seen[tg.Key()] {
				t.Fatalf("seed %d: terminating endpoint %s is a target", seed, tg)
			}
		}
		if in.AnyEndpoint {
			return
		}
		// The addresses an endpoint may contribute: its Pod's own, where its
		// targetRef names a Pod of the Service's namespace.
		allowed := map[netip.Addr]bool{}
		for _, sl := range in.Slices {
			for _, ep := range sl.Endpoints {
				ref := ep.TargetRef
				if ref == nil || ref.Kind != "Pod" || ref.Namespace != "shop" || in.Pods[ref.Name] == nil {
					continue
				}
				for _, ip := range in.Pods[ref.Name].Status.PodIPs {
					if ip.IP == ep.Addresses[0] {
						allowed[netip.MustParseAddr(ip.IP)] = true
					}
				}
			}
		}
		for _, tg := range res.Targets {
			if !allowed[tg.IP] {
				t.Fatalf("seed %d: %s is a target but no endpoint's own Pod has that address", seed, tg)
			}
		}
	})
}
