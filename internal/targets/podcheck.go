package targets

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
)

// SkipReason says why an endpoint that would be a target is not one: by
// default only the address of a Pod in the binding's namespace becomes a
// target, so that a hand-written EndpointSlice (or mirrored Endpoints)
// cannot put another team's pod, or any address in the VPC, behind the
// binding's load balancer.
type SkipReason string

const (
	// SkipNoTargetRef: the endpoint names nothing behind its address, as a
	// hand-written EndpointSlice of a selectorless Service may.
	SkipNoTargetRef SkipReason = "NoTargetRef"
	// SkipTargetRefNotPod: the endpoint's targetRef is of another kind.
	SkipTargetRefNotPod SkipReason = "TargetRefNotPod"
	// SkipPodInOtherNamespace: the targetRef names a Pod outside the
	// binding's namespace.
	SkipPodInOtherNamespace SkipReason = "PodInOtherNamespace"
	// SkipPodNotFound: no Pod of that name (and UID, when the targetRef has
	// one) is in the binding's namespace.
	SkipPodNotFound SkipReason = "PodNotFound"
	// SkipAddressNotPodIP: the address is none of the Pod's IPs.
	SkipAddressNotPodIP SkipReason = "AddressNotPodIP"
)

// SkipReasons lists every SkipReason, for metrics and docs.
var SkipReasons = []SkipReason{SkipNoTargetRef, SkipTargetRefNotPod, SkipPodInOtherNamespace, SkipPodNotFound, SkipAddressNotPodIP}

// Skipped is an endpoint left out because no Pod of the binding stands
// behind its address.
type Skipped struct {
	Target Target
	Reason SkipReason
	// Ref is the endpoint's targetRef as "Kind namespace/name", empty when it
	// has none.
	Ref string
	// MaybeStale: the Pod is missing from the cache, or is there without
	// IPs. The EndpointSlice and Pod informers are separate watches, so the
	// cache may not have caught up with a Pod the slice already lists; a
	// later sync may find it. Every other reason stays until the slice or
	// the binding changes.
	MaybeStale bool
}

// checkPod decides whether the endpoint's address at ip belongs to a Pod in
// namespace ns. It returns ok, or why not.
//
// A Pod not (yet) in pods is skipped, not trusted: registering on the word
// of the targetRef alone would let any slice name a Pod that does not exist.
// Skipping only delays the registration of a real Pod until the cache has
// it; it never deregisters anything a Pod of the binding holds.
func checkPod(ep *discoveryv1.Endpoint, ip netip.Addr, ns string, pods map[string]*corev1.Pod) (Skipped, bool) {
	ref := ep.TargetRef
	if ref == nil {
		return Skipped{Reason: SkipNoTargetRef}, false
	}
	s := Skipped{Ref: ref.Kind + " " + ref.Namespace + "/" + ref.Name}
	// The EndpointSlice controller always sets Kind Pod; an empty kind is
	// read as Pod too, since the Pod itself is checked next.
	if ref.Kind != "" && ref.Kind != "Pod" {
		s.Reason = SkipTargetRefNotPod
		return s, false
	}
	// An empty namespace is the slice's, which is the binding's.
	if ref.Namespace != "" && ref.Namespace != ns {
		s.Reason = SkipPodInOtherNamespace
		return s, false
	}
	pod := pods[ref.Name]
	if pod == nil || (ref.UID != "" && pod.UID != ref.UID) {
		s.Reason, s.MaybeStale = SkipPodNotFound, true
		return s, false
	}
	if !hasPodIP(pod, ip) {
		s.Reason = SkipAddressNotPodIP
		s.MaybeStale = pod.Status.PodIP == "" && len(pod.Status.PodIPs) == 0
		return s, false
	}
	return Skipped{}, true
}

// hasPodIP reports whether ip is one of the Pod's IPs. status.podIPs holds
// every family of a dual-stack Pod (status.podIP only the first), so an
// IPv4 target of a Pod whose first IP is IPv6 is found there.
func hasPodIP(pod *corev1.Pod, ip netip.Addr) bool {
	match := func(s string) bool {
		a, err := netip.ParseAddr(s)
		return err == nil && a.Unmap() == ip
	}
	for _, p := range pod.Status.PodIPs {
		if match(p.IP) {
			return true
		}
	}
	return match(pod.Status.PodIP)
}
