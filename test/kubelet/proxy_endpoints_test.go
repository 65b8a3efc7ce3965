package kubelet

import (
	"net/netip"
	"slices"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/utils/ptr"
)

// ep is an endpoint at ip on node; state is "ready", "terminating-serving",
// "terminating" or "notready".
func ep(ip, node, state string) discoveryv1.Endpoint {
	e := discoveryv1.Endpoint{Addresses: []string{ip}, NodeName: ptr.To(node)}
	switch state {
	case "ready":
		e.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(true), Serving: ptr.To(true), Terminating: ptr.To(false)}
	case "terminating-serving":
		e.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(true), Terminating: ptr.To(true)}
	case "terminating":
		e.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(false), Terminating: ptr.To(true)}
	case "notready":
		e.Conditions = discoveryv1.EndpointConditions{Ready: ptr.To(false), Serving: ptr.To(false), Terminating: ptr.To(false)}
	}
	return e
}

func webSlice(eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	return &discoveryv1.EndpointSlice{
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(8080))}},
		Endpoints:   eps,
	}
}

func TestEndpointsFor(t *testing.T) {
	cases := map[string]struct {
		eps   []discoveryv1.Endpoint
		local bool
		want  []string
	}{
		"Cluster sends to every ready endpoint": {
			eps:  []discoveryv1.Endpoint{ep("10.244.0.1", "a", "ready"), ep("10.244.0.2", "b", "ready"), ep("10.244.0.3", "b", "terminating-serving")},
			want: []string{"10.244.0.1:8080", "10.244.0.2:8080"},
		},
		"Local sends only to the node's ready endpoints": {
			eps:   []discoveryv1.Endpoint{ep("10.244.0.1", "a", "ready"), ep("10.244.0.2", "b", "ready")},
			local: true, want: []string{"10.244.0.1:8080"},
		},
		"Local with no endpoint on the node sends nowhere": {
			eps:   []discoveryv1.Endpoint{ep("10.244.0.2", "b", "ready")},
			local: true,
		},
		"with no ready endpoint left, terminating ones that serve take the connections": {
			eps:   []discoveryv1.Endpoint{ep("10.244.0.1", "a", "terminating-serving"), ep("10.244.0.2", "a", "terminating")},
			local: true, want: []string{"10.244.0.1:8080"},
		},
		"Cluster falls back to any node's terminating endpoint that serves": {
			eps:  []discoveryv1.Endpoint{ep("10.244.0.1", "b", "terminating-serving"), ep("10.244.0.2", "a", "notready")},
			want: []string{"10.244.0.1:8080"},
		},
		"a ready endpoint elsewhere does not stop Local's fallback to a local serving one": {
			eps:   []discoveryv1.Endpoint{ep("10.244.0.1", "a", "terminating-serving"), ep("10.244.0.2", "b", "ready")},
			local: true, want: []string{"10.244.0.1:8080"},
		},
		"not ready endpoints take nothing": {
			eps: []discoveryv1.Endpoint{ep("10.244.0.1", "a", "notready")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, ap := range endpointsFor([]*discoveryv1.EndpointSlice{webSlice(tc.eps...)}, "http", "a", tc.local) {
				got = append(got, ap.String())
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("endpointsFor = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEndpointsForMatchesThePortByName(t *testing.T) {
	s := webSlice(ep("10.244.0.1", "a", "ready"))
	if got := endpointsFor([]*discoveryv1.EndpointSlice{s}, "metrics", "a", false); len(got) != 0 {
		t.Fatalf("endpoints on a port the slice lacks: %v", got)
	}
	if got := endpointsFor([]*discoveryv1.EndpointSlice{s}, "http", "a", false); !slices.Equal(got, []netip.AddrPort{netip.MustParseAddrPort("10.244.0.1:8080")}) {
		t.Fatalf("endpoints = %v", got)
	}
}

func TestLocalReadyCountsOnlyTheNodesReadyEndpoints(t *testing.T) {
	s := webSlice(ep("10.244.0.1", "a", "ready"), ep("10.244.0.2", "a", "terminating-serving"), ep("10.244.0.3", "b", "ready"))
	if n := localReady([]*discoveryv1.EndpointSlice{s}, "a"); n != 1 {
		t.Fatalf("localReady = %d, want 1", n)
	}
	if n := localReady([]*discoveryv1.EndpointSlice{webSlice(ep("10.244.0.2", "a", "terminating-serving"))}, "a"); n != 0 {
		t.Fatalf("localReady with only a terminating endpoint = %d, want 0: the load balancer must stop sending", n)
	}
}
