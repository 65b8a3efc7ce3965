package targets

import (
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// NodeInput is what Desired needs, beyond the Service and its slices, to
// choose the nodes of a binding of targetType instance.
type NodeInput struct {
	// Nodes are the cluster's nodes, all of them: Desired applies the
	// selector itself, so that a node it no longer selects is known as
	// such (evidence for its removal) rather than as missing.
	Nodes []corev1.Node
	// Selector is the binding's nodeSelector; nil selects every node.
	Selector labels.Selector
}

// Node signals that announce a node's departure. A node carrying one leaves
// every target group before its pods are evicted, so the load balancer
// stops sending to it while kube-proxy there still forwards.
const (
	// LabelExcludeFromExternalLB takes a node out of every Service load
	// balancer; the Kubernetes service controller honours it too.
	LabelExcludeFromExternalLB = corev1.LabelNodeExcludeBalancers
	// TaintKarpenterDisrupted is Karpenter's (v1) taint on a node it is
	// about to drain and terminate.
	TaintKarpenterDisrupted = "karpenter.sh/disrupted"
	// TaintKarpenterDisruption is the same taint before Karpenter v1, with
	// the value "disrupting".
	TaintKarpenterDisruption = "karpenter.sh/disruption"
	// TaintToBeDeletedByClusterAutoscaler is the Cluster Autoscaler's taint
	// on a node it is scaling down.
	TaintToBeDeletedByClusterAutoscaler = "ToBeDeletedByClusterAutoscaler"
)

// Evidence a node target's removal can have, besides its endpoints'.
const (
	// EvidenceNodeExcluded: the node carries LabelExcludeFromExternalLB.
	EvidenceNodeExcluded Evidence = "NodeExcluded"
	// EvidenceNodeDisrupted: the node carries a taint announcing that
	// Karpenter or the Cluster Autoscaler is removing it.
	EvidenceNodeDisrupted Evidence = "NodeDisrupted"
	// EvidenceNodeDeleting: the node has a deletionTimestamp.
	EvidenceNodeDeleting Evidence = "NodeDeleting"
	// EvidenceNodeDeleted: tgc saw the node's delete event a short while
	// ago. A node merely missing from the cache is not evidence.
	EvidenceNodeDeleted Evidence = "NodeDeleted"
	// EvidenceNodeNotSelected: the node exists but the binding's
	// nodeSelector no longer selects it, a deliberate change of the
	// node's labels or of the selector.
	EvidenceNodeNotSelected Evidence = "NodeNotSelected"
)

// ReasonNodeWithoutInstanceID: a node that would be a target has no
// spec.providerID of the form aws:///<zone>/<instance-id>.
const ReasonNodeWithoutInstanceID Reason = "NodeWithoutInstanceID"

// Leaving returns the evidence that node is going away, or "" when it is
// not. Cordoning (spec.unschedulable) and NotReady are not departures:
// Kubernetes stopped taking such nodes out of Service load balancers
// (KEP-3458), since cordoning a node group for an upgrade would otherwise
// empty the load balancer while every node still forwards.
func Leaving(node *corev1.Node) Evidence {
	switch {
	case node.DeletionTimestamp != nil:
		return EvidenceNodeDeleting
	case hasLabel(node, LabelExcludeFromExternalLB):
		return EvidenceNodeExcluded
	}
	for _, t := range node.Spec.Taints {
		switch t.Key {
		case TaintKarpenterDisrupted, TaintToBeDeletedByClusterAutoscaler:
			return EvidenceNodeDisrupted
		case TaintKarpenterDisruption:
			if t.Value == "disrupting" {
				return EvidenceNodeDisrupted
			}
		}
	}
	return ""
}

func hasLabel(node *corev1.Node, key string) bool {
	_, ok := node.Labels[key]
	return ok
}

// InstanceID reads the EC2 instance ID from a node's spec.providerID, which
// the AWS cloud provider writes as aws:///<zone>/<instance-id> (older
// clusters: aws:////<instance-id>).
func InstanceID(node *corev1.Node) (string, bool) {
	rest, ok := strings.CutPrefix(node.Spec.ProviderID, "aws://")
	if !ok {
		return "", false
	}
	id := rest[strings.LastIndexByte(rest, '/')+1:]
	return id, IsInstanceID(id)
}

// NodeReady reports whether the node's Ready condition is True.
func NodeReady(node *corev1.Node) bool {
	for _, c := range node.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// onNode counts a Service's endpoints on one node by what they say.
type onNode struct{ ready, terminating, notReady int }

// desiredNodes is Desired for targetType instance: every node becomes a
// target on the Service port's nodePort, or is left out with evidence, or
// (not Ready, with externalTrafficPolicy Cluster) may stay if it is there.
//
// With externalTrafficPolicy Local, kube-proxy forwards a node's NodePort
// only to endpoints on that node, so only nodes running a ready endpoint
// are targets; a node whose endpoints are all terminating or not ready
// leaves with that as its evidence. With Cluster, every node forwards to
// every endpoint, so every selected Ready node is a target.
func desiredNodes(in DesiredInput, svcPort corev1.ServicePort, c *collector) DesiredResult {
	local := in.Service.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
	r := DesiredResult{Explained: map[Key]Evidence{}}
	if local {
		r = c.result()
		r.Targets, r.Gated, r.Terminating, r.NotReady, r.Pods = nil, nil, nil, nil, nil
		r.Explained = map[Key]Evidence{}
	}
	sel := in.Nodes.Selector
	if sel == nil {
		sel = labels.Everything()
	}
	nodes := slices.Clone(in.Nodes.Nodes)
	slices.SortFunc(nodes, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	var missingID []string
	for i := range nodes {
		node := &nodes[i]
		id, ok := InstanceID(node)
		if !ok {
			if sel.Matches(labels.Set(node.Labels)) && Leaving(node) == "" && (!local || c.nodes[node.Name].ready > 0) {
				missingID = append(missingID, node.Name)
			}
			continue
		}
		t := Target{Instance: id, Port: svcPort.NodePort}
		here := c.nodes[node.Name]
		switch ev := Leaving(node); {
		case !sel.Matches(labels.Set(node.Labels)):
			r.Explained[t.Key()] = EvidenceNodeNotSelected
		case ev != "":
			r.Explained[t.Key()] = ev
		case local && here.ready > 0:
			r.Targets = append(r.Targets, t)
		case local && here.terminating > 0:
			r.Explained[t.Key()] = EvidenceEndpointTerminating
		case local && here.notReady > 0:
			r.Explained[t.Key()] = EvidenceEndpointNotReady
		case local:
			// No endpoint here: nothing to add, and no evidence either.
		case NodeReady(node):
			r.Targets = append(r.Targets, t)
		default:
			r.Stay = append(r.Stay, t)
		}
	}
	if len(missingID) > 0 {
		r.Warnings = append(r.Warnings, problemf(ReasonNodeWithoutInstanceID,
			"nodes %s have no spec.providerID of the form aws:///<zone>/<instance-id> and cannot be registered", strings.Join(missingID, ", ")))
	}
	// Two nodes claiming one instance (a stale Node object) make one target.
	r.Targets = slices.Compact(Sort(r.Targets))
	r.Stay = slices.Compact(Sort(r.Stay))
	return r
}
