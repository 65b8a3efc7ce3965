package manager

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

// tgcAnnotationPrefix is the domain of tgc's own annotations (the Service
// shortcut's tgc.dev/target-group-arn and tgc.dev/target-group-port). A
// Service keeps every annotation in it, so that a new tgc annotation is not
// silently dropped from the cache before this file learns its name.
const tgcAnnotationPrefix = "tgc.dev/"

// CacheTransform is the transform every object passes through before it
// enters the manager's informer cache. tgc watches every Pod, Service and
// EndpointSlice in its namespaces, most of which no binding uses (10,000
// pods and 2,000 Services nobody binds must not cost their full size), so each is cut down to the fields some tgc code path reads; every
// kept field names its reader below. Other types only lose their managed
// fields, which tgc never reads.
//
// The cut-down objects are what the manager's cached client returns, so no
// code may Update a Pod, Service, EndpointSlice or Namespace read from it:
// the update would erase what was cut. tgc only patches (status conditions of
// pods, with a patch built from scratch), which is safe.
//
// Why a transform rather than a narrower informer: tgc must see every pod
// and Service a binding may name, so no label or field selector can tell
// the bound ones apart before the bindings are read; and a metadata-only pod
// informer would lose spec.terminationGracePeriodSeconds, spec.readinessGates
// and status.conditions, which the grace-period check and the readiness gate
// controller read. Pods are cached even with readiness gates off: the
// grace-period and deletion-timing checks Get them from the cache, which
// starts the informer on first use.
//
// client-go's DeltaFIFO may hand the same object to the transform twice
// (after a relist) and hands over DeletedFinalStateUnknown tombstones whose
// inner object was already transformed, so the transform is idempotent and
// passes unknown values through.
func CacheTransform() toolscache.TransformFunc {
	strip := cacheStripManagedFields()
	return func(in any) (any, error) {
		switch o := in.(type) {
		case *corev1.Pod:
			return trimPod(o), nil
		case *corev1.Service:
			return trimService(o), nil
		case *discoveryv1.EndpointSlice:
			return trimEndpointSlice(o), nil
		case *corev1.Namespace:
			return trimNamespace(o), nil
		case *corev1.Node:
			return trimNode(o), nil
		}
		return strip(in)
	}
}

// cacheStripManagedFields drops managed fields, which nothing in tgc reads
// and which are often the largest part of a small object.
func cacheStripManagedFields() toolscache.TransformFunc {
	return func(in any) (any, error) {
		if o, ok := in.(metav1.Object); ok {
			o.SetManagedFields(nil)
		}
		return in, nil
	}
}

// identity is the metadata every cached object keeps: the key the cache
// stores it under (namespace, name), the UID the controllers compare to tell
// a recreated object from the old one (binding/graceperiod.go and
// binding/deletion.go compare pod UIDs; serviceannotation owns bindings by
// the Service's UID), and the resourceVersion that Events' involvedObject
// and the informer's update events carry.
func identity(m *metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:       m.Namespace,
		Name:            m.Name,
		UID:             m.UID,
		ResourceVersion: m.ResourceVersion,
	}
}

// trimPod keeps what the binding and readiness gate controllers read of a
// pod. Containers, volumes, env, labels and annotations are never read, and
// they are nearly all of a pod's size.
func trimPod(p *corev1.Pod) *corev1.Pod {
	out := &corev1.Pod{TypeMeta: p.TypeMeta, ObjectMeta: identity(&p.ObjectMeta)}
	// readinessgate/reconcile.go: pendingSince and the ready-seconds metric
	// count from the pod's creation.
	out.CreationTimestamp = p.CreationTimestamp
	// binding/deletion.go (DeletionRequested) and readinessgate (Decide,
	// Registrable, PodChanged): when and how the pod is being deleted.
	out.DeletionTimestamp = p.DeletionTimestamp
	out.DeletionGracePeriodSeconds = p.DeletionGracePeriodSeconds
	// binding/graceperiod.go (workloadOf): metav1.GetControllerOf names the
	// workload a grace-period warning goes to; other owners are not read.
	if ref := metav1.GetControllerOfNoCopy(p); ref != nil {
		out.OwnerReferences = []metav1.OwnerReference{*ref}
	}
	// binding/graceperiod.go (GracePeriodTooShort).
	out.Spec.TerminationGracePeriodSeconds = p.Spec.TerminationGracePeriodSeconds
	// binding/graceperiod.go (PreStopTooShort, through
	// drain.ServingContainer and drain.PreStopDuration): each container's
	// name, port names and numbers, and preStop; only for pods with a
	// preStop at all, since a pod without one has none that is too short.
	if hasPreStop(p) {
		out.Spec.Containers = make([]corev1.Container, len(p.Spec.Containers))
		for i, c := range p.Spec.Containers {
			out.Spec.Containers[i] = corev1.Container{Name: c.Name}
			for _, port := range c.Ports {
				out.Spec.Containers[i].Ports = append(out.Spec.Containers[i].Ports, corev1.ContainerPort{Name: port.Name, ContainerPort: port.ContainerPort})
			}
			if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
				out.Spec.Containers[i].Lifecycle = &corev1.Lifecycle{PreStop: c.Lifecycle.PreStop}
			}
		}
	}
	// binding/drain.go (staleDrains): the delay the webhook sized the
	// pod's drain from.
	if v, ok := p.Annotations[v1alpha1.AnnotationDrain]; ok {
		out.Annotations = map[string]string{v1alpha1.AnnotationDrain: v}
	}
	// targets.Desired (checkPod): an endpoint's address becomes a target
	// only if it is one of its Pod's IPs, for every pod a Service may list,
	// gated or not. status.podIPs holds every family of a dual-stack pod and
	// always includes status.podIP (the API server requires podIPs[0] ==
	// podIP), so podIP itself is kept only for gated pods, below.
	out.Status.PodIPs = p.Status.PodIPs
	// binding/brake.go (PodLeaving, PodIPIndex): whether the pod behind a
	// target that left the endpoints is going (finished, or not Ready), for
	// every pod: the brake asks about pods no slice lists any more. Of the
	// Ready condition only its status is read.
	out.Status.Phase = p.Status.Phase
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			out.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: c.Status}}
		}
	}

	// Everything else is read only for pods carrying a tgc readiness gate:
	// the readiness gate controller finds its pods through PodGateIndex and
	// its predicates pass only gated pods, and the binding controller's pod
	// watch uses the same predicates. spec.readinessGates is immutable, so a
	// pod without a tgc gate never gains one.
	if len(podgate.Gates(p)) == 0 {
		return out
	}
	// readinessgate (IndexPods, Registrable, EnqueueGatedBindings): which
	// gates the pod carries, tgc's and others'.
	out.Spec.ReadinessGates = p.Spec.ReadinessGates
	// readinessgate (PodChanged): a new pod IP can move the pod's target.
	out.Status.PodIP = p.Status.PodIP
	// readinessgate: ContainersReady (Registrable, Decide, PodChanged,
	// pendingSince with its transition time) and the condition of every
	// readiness gate (tgc's for Decide and warnStuck, with reason and
	// message; others' status for Registrable). Ready's status is kept
	// above; PodScheduled and the rest are not read.
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.ContainersReady || hasReadinessGate(p, c.Type) {
			out.Status.Conditions = append(out.Status.Conditions, c)
		}
	}
	return out
}

func hasPreStop(p *corev1.Pod) bool {
	for _, c := range p.Spec.Containers {
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
			return true
		}
	}
	return false
}

func hasReadinessGate(p *corev1.Pod, t corev1.PodConditionType) bool {
	for _, g := range p.Spec.ReadinessGates {
		if g.ConditionType == t {
			return true
		}
	}
	return false
}

// trimService keeps what desired state, the Service annotation shortcut and
// the readiness gate webhook read of a Service. Status (load balancer
// ingress), cluster IPs, session affinity, labels and every other annotation
// (kubectl's last-applied-configuration often doubles a Service's size) are
// not read.
func trimService(s *corev1.Service) *corev1.Service {
	out := &corev1.Service{TypeMeta: s.TypeMeta, ObjectMeta: identity(&s.ObjectMeta)}
	// serviceannotation (annotated, Reconcile, servicePort): the shortcut's
	// annotations.
	for k, v := range s.Annotations {
		if strings.HasPrefix(k, tgcAnnotationPrefix) {
			if out.Annotations == nil {
				out.Annotations = map[string]string{}
			}
			out.Annotations[k] = v
		}
	}
	// targets.Desired (servicePort, slicePort) matches the binding's port by
	// number or name and the slice's port by name and protocol;
	// serviceannotation (servicePort) takes the first port's number;
	// binding (ServiceFingerprint) counts a changed targetPort or nodePort
	// as an edit that explains the removal of the old port's targets;
	// targets.Desired registers nodes on the nodePort (targetType
	// instance). appProtocol is not read.
	if len(s.Spec.Ports) > 0 {
		out.Spec.Ports = make([]corev1.ServicePort, len(s.Spec.Ports))
		for i, p := range s.Spec.Ports {
			out.Spec.Ports[i] = corev1.ServicePort{Name: p.Name, Protocol: p.Protocol, Port: p.Port, TargetPort: p.TargetPort, NodePort: p.NodePort}
		}
	}
	// targets.Desired (the NoNodePort message names the type, and
	// externalTrafficPolicy chooses the nodes) and binding
	// (checkHealthCheckPort, ServiceFingerprint).
	out.Spec.Type = s.Spec.Type
	out.Spec.ExternalTrafficPolicy = s.Spec.ExternalTrafficPolicy
	out.Spec.HealthCheckNodePort = s.Spec.HealthCheckNodePort
	// targets.Desired (checkFamily) and readinessgate (family).
	out.Spec.IPFamilies = s.Spec.IPFamilies
	// webhook/gateinjector (input, GatesToAdd): which Services select a new
	// pod.
	out.Spec.Selector = s.Spec.Selector
	return out
}

// trimEndpointSlice keeps what targets.Desired and the binding controller
// read of an EndpointSlice. Topology (zone, hints, deprecatedTopology),
// hostnames, the serving condition, owner references and
// the labels the EndpointSlice controller copies from the Service are not.
func trimEndpointSlice(s *discoveryv1.EndpointSlice) *discoveryv1.EndpointSlice {
	out := &discoveryv1.EndpointSlice{TypeMeta: s.TypeMeta, ObjectMeta: identity(&s.ObjectMeta)}
	// binding (desired, bindingsOfSlice) and readinessgate (podEndpoints)
	// find a Service's slices by this label, in the cache.
	if svc, ok := s.Labels[discoveryv1.LabelServiceName]; ok {
		out.Labels = map[string]string{discoveryv1.LabelServiceName: svc}
	}
	// binding (newestTrigger): the start of the endpoint-change latency.
	if t, ok := s.Annotations[corev1.EndpointsLastChangeTriggerTime]; ok {
		out.Annotations = map[string]string{corev1.EndpointsLastChangeTriggerTime: t}
	}
	// targets.Desired (sliceFamily).
	out.AddressType = s.AddressType
	// targets.Desired (slicePort): name, protocol and number; appProtocol is
	// not read.
	if len(s.Ports) > 0 {
		out.Ports = make([]discoveryv1.EndpointPort, len(s.Ports))
		for i, p := range s.Ports {
			out.Ports[i] = discoveryv1.EndpointPort{Name: p.Name, Protocol: p.Protocol, Port: p.Port}
		}
	}
	if len(s.Endpoints) > 0 {
		out.Endpoints = make([]discoveryv1.Endpoint, len(s.Endpoints))
		for i := range s.Endpoints {
			out.Endpoints[i] = trimEndpoint(&s.Endpoints[i], out.Namespace)
		}
	}
	return out
}

// trimEndpoint cuts one endpoint of a slice in namespace ns.
func trimEndpoint(ep *discoveryv1.Endpoint, ns string) discoveryv1.Endpoint {
	var out discoveryv1.Endpoint
	// targets.Desired (addSlice) reads only the first address: the API
	// gives the others no defined meaning, and kube-proxy ignores them too.
	if len(ep.Addresses) > 0 {
		out.Addresses = ep.Addresses[:1:1]
	}
	// targets.Desired (addSlice): ready and terminating decide the target's
	// bucket; serving is not read.
	out.Conditions = discoveryv1.EndpointConditions{Ready: ep.Conditions.Ready, Terminating: ep.Conditions.Terminating}
	// targets.Desired (addSlice): a pod endpoint is matched to its pod by
	// kind and UID (GatedPods, PodEndpoint) and named by name (grace period
	// and deletion checks); checkPod also reads the namespace, which only a
	// hand-written slice sets to another than its own. The EndpointSlice
	// controller's namespace equals the slice's, so it shares the slice's
	// string rather than keeping a copy per endpoint.
	if ref := ep.TargetRef; ref != nil {
		refNS := ref.Namespace
		if refNS == ns {
			refNS = ns
		}
		out.TargetRef = &corev1.ObjectReference{Kind: ref.Kind, Namespace: refNS, Name: ref.Name, UID: ref.UID}
	}
	// targets.Desired (onNode): with externalTrafficPolicy Local, the nodes
	// running a ready endpoint are an instance binding's targets.
	out.NodeName = ep.NodeName
	return out
}

// trimNode keeps what targets.Desired and the binding controller's node
// watch (NodeFingerprint) read of a Node: labels (nodeSelector, the
// exclude-from-external-load-balancers label), taints, the provider ID
// (its EC2 instance), deletion, and the Ready condition's status. Images,
// addresses, capacity, node info and the heartbeat timestamps of the
// conditions are not read, and they are most of a node's size.
func trimNode(n *corev1.Node) *corev1.Node {
	out := &corev1.Node{TypeMeta: n.TypeMeta, ObjectMeta: identity(&n.ObjectMeta)}
	out.Labels = n.Labels
	out.DeletionTimestamp = n.DeletionTimestamp
	out.Spec.ProviderID = n.Spec.ProviderID
	out.Spec.Taints = n.Spec.Taints
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: c.Status}}
		}
	}
	return out
}

// trimNamespace keeps what the readiness gate webhook reads of a Namespace:
// its labels (the opt-in label, webhook/gateinjector.input).
func trimNamespace(n *corev1.Namespace) *corev1.Namespace {
	out := &corev1.Namespace{TypeMeta: n.TypeMeta, ObjectMeta: identity(&n.ObjectMeta)}
	out.Labels = n.Labels
	return out
}
