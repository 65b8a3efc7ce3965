package kubelet

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// endpointsFor returns where a node sends a new connection to a Service
// port, as kube-proxy chooses: the ready endpoints (with
// externalTrafficPolicy Local, only those on the node); while none is
// ready, the ones that terminate but still serve, so that connections
// arriving during a rollout or a drain still reach a pod that answers
// (KEP-1669, "ProxyTerminatingEndpoints"). Only IPv4 slices are read: the
// loopback mapping is IPv4.
func endpointsFor(slices []*discoveryv1.EndpointSlice, portName, node string, local bool) []netip.AddrPort {
	var ready, serving []netip.AddrPort
	for _, s := range slices {
		if s.AddressType != discoveryv1.AddressTypeIPv4 {
			continue
		}
		port, ok := slicePort(s, portName)
		if !ok {
			continue
		}
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) == 0 || (local && (ep.NodeName == nil || *ep.NodeName != node)) {
				continue
			}
			ip, err := netip.ParseAddr(ep.Addresses[0])
			if err != nil {
				continue
			}
			ap := netip.AddrPortFrom(ip, uint16(port))
			switch {
			// A nil ready condition is unknown, which consumers read as
			// ready (EndpointConditions).
			case ep.Conditions.Ready == nil || *ep.Conditions.Ready:
				ready = append(ready, ap)
			case isSet(ep.Conditions.Serving) && isSet(ep.Conditions.Terminating):
				serving = append(serving, ap)
			}
		}
	}
	if len(ready) > 0 {
		return ready
	}
	return serving
}

// localReady counts a node's ready endpoints of a Service, what kube-proxy's
// health check on the Service's healthCheckNodePort reports. Terminating
// ones do not count, so that a load balancer stops sending to a node
// whose last pod is going.
func localReady(slices []*discoveryv1.EndpointSlice, node string) int {
	n := 0
	seen := map[string]bool{}
	for _, s := range slices {
		for _, ep := range s.Endpoints {
			if len(ep.Addresses) == 0 || ep.NodeName == nil || *ep.NodeName != node || seen[ep.Addresses[0]] {
				continue
			}
			if ep.Conditions.Ready == nil || *ep.Conditions.Ready {
				seen[ep.Addresses[0]] = true
				n++
			}
		}
	}
	return n
}

// slicePort is the endpoint port of the Service port named portName: slices
// name their ports after the Service's (empty for a single unnamed port).
func slicePort(s *discoveryv1.EndpointSlice, portName string) (int32, bool) {
	for _, p := range s.Ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		if name == portName && p.Port != nil && (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) {
			return *p.Port, true
		}
	}
	return 0, false
}

func isSet(b *bool) bool { return b != nil && *b }
