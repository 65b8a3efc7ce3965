package targets

import (
	"fmt"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DesiredInput is everything Desired needs about one binding.
type DesiredInput struct {
	// Slices are the EndpointSlices of Service (label
	// kubernetes.io/service-name). Desired does not filter them by label.
	Slices []discoveryv1.EndpointSlice
	// Port is the binding's serviceRef.port: the Service port number
	// (spec.ports[].port, not the targetPort) or the Service port name.
	Port intstr.IntOrString
	// Service maps Port to the Service port name that EndpointSlices carry.
	// Nil means the Service does not exist.
	Service *corev1.Service
	// IPFamily is the target group's IP address type; empty means IPv4.
	IPFamily corev1.IPFamily
	// GatedPods holds the UIDs of pods that are not Ready only because of
	// tgc's own readiness gates: containers ready, not terminating.
	// Their endpoints are registered even though the slice says not ready,
	// because the gate waits for the target to be healthy, which it can only
	// become once registered. Endpoints are matched through targetRef.uid,
	// which the EndpointSlice controller sets for every pod endpoint. May be
	// nil.
	GatedPods map[types.UID]bool
	// AnyEndpoint makes every ready endpoint address a target, with or
	// without a Pod behind it (spec.targetSelection: AnyEndpoint). By default
	// an address becomes a target only when the endpoint's targetRef names a
	// Pod in the Service's namespace that has that address among its IPs.
	AnyEndpoint bool
	// Pods are the Pods the endpoints' targetRefs name, by name, in the
	// Service's namespace; read unless AnyEndpoint. A Pod missing here is
	// not found.
	Pods map[string]*corev1.Pod
	// Nodes, when set, makes the targets nodes rather than pods
	// (targetType instance): each node's EC2 instance on the Service
	// port's nodePort. IPFamily and GatedPods are then not used.
	Nodes *NodeInput
}

// DesiredResult is the outcome of Desired. Every list is sorted and holds
// each target once.
type DesiredResult struct {
	// Targets should be registered in the target group.
	Targets []Target
	// Gated are the members of Targets registered only because of GatedPods.
	Gated []Target
	// Terminating are endpoints with terminating=true. They are never in
	// Targets, even while serving: a pod that is shutting down must leave the
	// load balancer before it stops answering.
	Terminating []Target
	// NotReady are endpoints that are neither ready nor gated nor terminating.
	NotReady []Target
	// Pods maps every pod endpoint (one with targetRef.uid) to its target,
	// whatever its conditions: the readiness gate controller finds a pod's
	// target here, and the binding controller the pod behind a terminating
	// target. A pod listed in several slices (while it moves between them)
	// has one address, so the last listing wins harmlessly.
	Pods map[types.UID]PodEndpoint
	// Skipped are endpoints that would be targets (ready or gated) but that
	// no Pod of the binding stands behind, sorted by target. A target another
	// listing makes desired is not skipped.
	Skipped []Skipped
	// Warnings are problems that left some endpoints out without making the
	// whole result wrong.
	Warnings []*Problem
	// Stay are node targets that are not added to the group but not
	// removed from it either (targetType instance, externalTrafficPolicy
	// Cluster): nodes that are not Ready. A NotReady node may still
	// forward, and the load balancer's health check, not tgc, decides
	// whether it gets traffic.
	Stay []Target
	// Explained is the evidence Desired itself found for removing node
	// targets (targetType instance), by key; EndpointEvidence includes it.
	Explained map[Key]Evidence
}

// PodEndpoint is the target of one pod, as its EndpointSlice lists it.
type PodEndpoint struct {
	// Name is the pod's name (targetRef.name), in the slice's namespace.
	Name   string
	Target Target
	// Terminating is the endpoint's terminating condition.
	Terminating bool
}

// Desired turns the EndpointSlices of one Service into the targets its
// target group should hold. It returns a *Problem when the input is wrong as
// a whole (no Service, no such port, wrong IP family); the controller shows
// it in the binding's Ready condition and must not act on an empty result
// then.
func Desired(in DesiredInput) (DesiredResult, error) {
	if in.Service == nil {
		return DesiredResult{}, problemf(ReasonServiceNotFound, "the Service does not exist")
	}
	if in.Nodes != nil {
		return desiredInstances(in)
	}
	family := in.IPFamily
	if family == "" {
		family = corev1.IPv4Protocol
	}
	if err := checkFamily(in.Service, family); err != nil {
		return DesiredResult{}, err
	}
	svcPort, err := servicePort(in.Service, in.Port)
	if err != nil {
		return DesiredResult{}, err
	}

	c := newCollector()
	for i := range in.Slices {
		c.addSlice(&in, &in.Slices[i], svcPort, family)
	}
	return c.result(), nil
}

// desiredInstances checks the Service port of an instance binding and reads
// which nodes run its endpoints. The endpoints matter only with
// externalTrafficPolicy Local; those of the Service's primary IP family are
// read, since every family lists the same pods.
func desiredInstances(in DesiredInput) (DesiredResult, error) {
	svcPort, err := servicePort(in.Service, in.Port)
	if err != nil {
		return DesiredResult{}, err
	}
	if svcPort.NodePort == 0 {
		return DesiredResult{}, problemf(ReasonNoNodePort, "Service %s/%s port %s has no nodePort (type %s) to register the nodes on",
			in.Service.Namespace, in.Service.Name, in.Port.String(), serviceType(in.Service))
	}
	c := newCollector()
	if in.Service.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal {
		family := corev1.IPv4Protocol
		if fs := in.Service.Spec.IPFamilies; len(fs) > 0 {
			family = fs[0]
		}
		in.GatedPods = nil
		for i := range in.Slices {
			c.addSlice(&in, &in.Slices[i], svcPort, family)
		}
	}
	return desiredNodes(in, svcPort, c), nil
}

func serviceType(svc *corev1.Service) corev1.ServiceType {
	if svc.Spec.Type == "" {
		return corev1.ServiceTypeClusterIP
	}
	return svc.Spec.Type
}

// checkFamily refuses a Service that cannot have endpoints of the target
// group's family. spec.ipFamilies is set by the API server on every Service
// with a cluster IP; an empty list (headless without selector, old objects)
// is allowed through and the slices' addressType decides.
func checkFamily(svc *corev1.Service, family corev1.IPFamily) error {
	if len(svc.Spec.IPFamilies) == 0 {
		return nil
	}
	for _, f := range svc.Spec.IPFamilies {
		if f == family {
			return nil
		}
	}
	return problemf(ReasonIPFamilyMismatch, "target group wants %s addresses but Service %s/%s has IP families %v",
		family, svc.Namespace, svc.Name, svc.Spec.IPFamilies)
}

// servicePort finds the Service port the binding means. A number matches
// spec.ports[].port, a string matches spec.ports[].name, as in the AWS Load
// Balancer Controller's TargetGroupBinding.
func servicePort(svc *corev1.Service, ref intstr.IntOrString) (corev1.ServicePort, error) {
	for _, p := range svc.Spec.Ports {
		if ref.Type == intstr.Int && p.Port == ref.IntVal {
			return p, nil
		}
		if ref.Type == intstr.String && p.Name == ref.StrVal {
			return p, nil
		}
	}
	var have []string
	for _, p := range svc.Spec.Ports {
		have = append(have, fmt.Sprintf("%d(%q)", p.Port, p.Name))
	}
	return corev1.ServicePort{}, problemf(ReasonServicePortNotFound, "Service %s/%s has no port %s; its ports are %v",
		svc.Namespace, svc.Name, ref.String(), have)
}

// slicePort returns the endpoint port number a slice carries for the Service
// port. Slices name their ports after the Service port (empty for a single
// unnamed port) and hold the resolved container port, which for a named
// targetPort can differ between slices of one Service.
func slicePort(s *discoveryv1.EndpointSlice, svcPort corev1.ServicePort) (int32, bool) {
	for _, p := range s.Ports {
		name := ""
		if p.Name != nil {
			name = *p.Name
		}
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		svcProto := svcPort.Protocol
		if svcProto == "" {
			svcProto = corev1.ProtocolTCP
		}
		// A nil port means "all ports" in the EndpointSlice API, which gives
		// no number to register, so it counts as missing.
		if name == svcPort.Name && proto == svcProto && p.Port != nil {
			return *p.Port, true
		}
	}
	return 0, false
}

func sliceFamily(t discoveryv1.AddressType) (corev1.IPFamily, bool) {
	switch t {
	case discoveryv1.AddressTypeIPv4:
		return corev1.IPv4Protocol, true
	case discoveryv1.AddressTypeIPv6:
		return corev1.IPv6Protocol, true
	}
	return "", false // FQDN slices name no IP
}

type collector struct {
	ready, gated, terminating, notReady map[Target]bool
	pods                                map[types.UID]PodEndpoint
	skipped                             map[Target]Skipped
	warnings                            []*Problem
	// nodes counts the endpoints on each node (endpoint nodeName), for
	// externalTrafficPolicy Local.
	nodes map[string]onNode
}

func newCollector() *collector {
	return &collector{
		ready:       map[Target]bool{},
		gated:       map[Target]bool{},
		terminating: map[Target]bool{},
		notReady:    map[Target]bool{},
		pods:        map[types.UID]PodEndpoint{},
		skipped:     map[Target]Skipped{},
		nodes:       map[string]onNode{},
	}
}

func (c *collector) addSlice(in *DesiredInput, s *discoveryv1.EndpointSlice, svcPort corev1.ServicePort, family corev1.IPFamily) {
	if f, ok := sliceFamily(s.AddressType); !ok || f != family {
		return
	}
	port, ok := slicePort(s, svcPort)
	if !ok {
		if len(s.Endpoints) > 0 {
			c.warnings = append(c.warnings, problemf(ReasonEndpointPortMissing,
				"EndpointSlice %s/%s has no port named %q; its %d endpoints are left out",
				s.Namespace, s.Name, svcPort.Name, len(s.Endpoints)))
		}
		return
	}
	for _, ep := range s.Endpoints {
		if len(ep.Addresses) == 0 {
			continue
		}
		// The API says addresses beyond the first have no defined meaning,
		// and kube-proxy reads only the first; so does tgc.
		ip, err := netip.ParseAddr(ep.Addresses[0])
		if err != nil || ip.Unmap().Is4() != (family == corev1.IPv4Protocol) {
			c.warnings = append(c.warnings, problemf(ReasonInvalidAddress,
				"EndpointSlice %s/%s has address %q, not an %s address", s.Namespace, s.Name, ep.Addresses[0], family))
			continue
		}
		t := Target{IP: ip.Unmap(), Port: port}
		if ref := ep.TargetRef; ref != nil && ref.UID != "" && (ref.Kind == "" || ref.Kind == "Pod") {
			c.pods[ref.UID] = PodEndpoint{Name: ref.Name, Target: t, Terminating: isTrue(ep.Conditions.Terminating, false)}
		}
		// The API says a nil ready condition is an unknown state that
		// consumers should read as ready.
		ready := isTrue(ep.Conditions.Ready, true)
		gated := !ready && ep.TargetRef != nil && ep.TargetRef.UID != "" && in.GatedPods[ep.TargetRef.UID]
		switch {
		case isTrue(ep.Conditions.Terminating, false):
			c.terminating[t] = true
			c.onNode(ep.NodeName, func(n *onNode) { n.terminating++ })
		case !ready && !gated:
			c.notReady[t] = true
			c.onNode(ep.NodeName, func(n *onNode) { n.notReady++ })
		default:
			// Only endpoints that would be registered are checked: a
			// terminating or not ready one never is, and a Pod that just
			// left the cache must not make its leaving endpoint a warning.
			if !in.AnyEndpoint {
				if skip, ok := checkPod(&ep, t.IP, in.Service.Namespace, in.Pods); !ok {
					skip.Target = t
					c.skip(skip)
					continue
				}
			}
			c.ready[t] = true
			c.onNode(ep.NodeName, func(n *onNode) { n.ready++ })
			if gated {
				c.gated[t] = true
			}
		}
	}
}

// onNode counts an endpoint on its node; an endpoint that names no node
// (a hand-written slice) counts on none.
func (c *collector) onNode(name *string, count func(*onNode)) {
	if name == nil || *name == "" {
		return
	}
	n := c.nodes[*name]
	count(&n)
	c.nodes[*name] = n
}

// skip records a skipped endpoint. When slices list one address several
// times for different reasons, the reason first in alphabetical order is
// kept, so that the result does not depend on the order of the slices.
func (c *collector) skip(s Skipped) {
	if prev, ok := c.skipped[s.Target]; ok && prev.Reason <= s.Reason {
		return
	}
	c.skipped[s.Target] = s
}

func isTrue(b *bool, unset bool) bool {
	if b == nil {
		return unset
	}
	return *b
}

// result resolves conflicts between slices: the same address can be listed
// twice while a pod moves between slices. Terminating wins over everything,
// since sending traffic to a dying pod fails requests while waiting a moment
// longer to register only delays; ready wins over not ready, as one ready
// listing means the endpoint controller saw the pod ready.
func (c *collector) result() DesiredResult {
	var r DesiredResult
	for t := range c.ready {
		if c.terminating[t] {
			continue
		}
		r.Targets = append(r.Targets, t)
		if c.gated[t] {
			r.Gated = append(r.Gated, t)
		}
	}
	for t := range c.terminating {
		r.Terminating = append(r.Terminating, t)
	}
	for t := range c.notReady {
		if !c.ready[t] && !c.terminating[t] {
			r.NotReady = append(r.NotReady, t)
		}
	}
	for t, s := range c.skipped {
		if c.ready[t] {
			continue // desired through another listing, with a Pod behind it
		}
		r.Skipped = append(r.Skipped, s)
	}
	slices.SortFunc(r.Skipped, func(a, b Skipped) int { return Compare(a.Target, b.Target) })
	Sort(r.Targets)
	Sort(r.Gated)
	Sort(r.Terminating)
	Sort(r.NotReady)
	r.Pods = c.pods
	r.Warnings = c.warnings
	return r
}
