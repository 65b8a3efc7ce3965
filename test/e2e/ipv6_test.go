package e2e

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// ipv6Group is a group of pod IPv6 addresses behind a dualstack load
// balancer.
var ipv6Group = groupSpec{targetType: ipGroup.targetType, ipv6: true}

// ipv6RollingUpdate is the rolling update with the pods' IPv6 addresses as
// targets: the dual-stack Service's IPv6 EndpointSlice, an ipv6 group, a
// dualstack listener, health checks and traffic sent through the dial map
// to the pods' loopback addresses. Two replicas keep it lean enough for
// `make test`.
func ipv6RollingUpdate() scenario {
	return scenario{
		name: "ipv6-rolling-update", short: "roll6", title: "IPv6: rolling update, 2 replicas, ipv6 group behind a dualstack ALB",
		replicas: 2, ipv6: true,
		action: func(r *run) error { return r.updateTemplate("registry.example/web:2", nil) },
	}
}

// dualStack makes the Service ask for both families, so that the
// EndpointSlice controller writes an IPv6 slice beside the IPv4 one.
func dualStack(svc *corev1.Service) {
	svc.Spec.IPFamilyPolicy = ptr.To(corev1.IPFamilyPolicyRequireDualStack)
	svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
}

// podIP is the pod's address the run's targets use: its primary one, or its
// IPv6 one for an IPv6 run; "" when it has none yet.
func (tg targeting) podIP(p *corev1.Pod) string {
	if !tg.ipv6 {
		return p.Status.PodIP
	}
	for _, ip := range p.Status.PodIPs {
		if a, err := netip.ParseAddr(ip.IP); err == nil && a.Is6() {
			return a.String()
		}
	}
	return ""
}
