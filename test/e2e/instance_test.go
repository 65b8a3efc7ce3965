package e2e

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// The instance scenarios bind the Service with targetType instance: the
// targets are the suite's nodes (suiteNodes loopback kubelets, each its own
// EC2 instance at its own loopback address), and the load balancer reaches
// the pods through each node's kube-proxy on the Service's NodePort.

// instanceMode is how a scenario's Service routes its NodePort.
type instanceMode struct {
	policy corev1.ServiceExternalTrafficPolicy
}

// shape makes the app's Service one whose nodes tgc can register: type
// LoadBalancer, so that the API server allocates node ports and, with
// Local, a healthCheckNodePort; a load balancer class no controller
// serves, so that nothing but tgc acts on it.
func (m *instanceMode) shape(svc *corev1.Service) {
	svc.Spec.Type = corev1.ServiceTypeLoadBalancer
	svc.Spec.LoadBalancerClass = ptr.To("tgc.dev/external")
	svc.Spec.ExternalTrafficPolicy = m.policy
}

// group is the target group of type instance, checked on the Service's
// healthCheckNodePort when the setup says so.
func (m *instanceMode) group(svc *corev1.Service, su setup) groupSpec {
	g := groupSpec{targetType: types.TargetTypeEnumInstance}
	if su.healthCheckNodePort && m.policy == corev1.ServiceExternalTrafficPolicyLocal {
		g.healthCheckPort = strconv.Itoa(int(svc.Spec.HealthCheckNodePort))
	}
	return g
}

// instanceSetups are the two ways the instance scenarios run. The
// recommended setup is the recipe of docs/zero-downtime.md for instance
// targets: no readiness gate (there is no pod target to wait for), a
// preStop sleep so that a pod keeps serving while its node leaves the group
// and kube-proxy still sends it connections, minReadySeconds so that a
// rollout waits for the load balancer to find a new pod's node healthy,
// the health check on the healthCheckNodePort, and a drain announced with
// Karpenter's taint. The naive setup has none of it.
func instanceSetups() []setup {
	return []setup{
		{
			name:                "recommended",
			preStopSeconds:      preStopSeconds,
			gracePeriodSeconds:  terminationGracePeriodSeconds,
			minReadySeconds:     instanceMinReadySeconds,
			healthCheckNodePort: true,
			announceDrain:       true,
			mustNotFail:         true,
		},
		{name: "naive", gracePeriodSeconds: 30},
	}
}

func instanceScenarios() []scenario {
	local := &instanceMode{policy: corev1.ServiceExternalTrafficPolicyLocal}
	cluster := &instanceMode{policy: corev1.ServiceExternalTrafficPolicyCluster}
	return []scenario{
		{
			name: "instance-local-rolling-update", short: "ilocal",
			title:    "Instance targets, externalTrafficPolicy Local: rolling update of 2 replicas onto other nodes",
			replicas: 2, instance: local, pools: true,
			action: func(r *run) error { return r.updateTemplateOnto(poolGreen) },
		},
		{
			name: "instance-cluster-rolling-update", short: "icluster",
			title:    fmt.Sprintf("Instance targets, externalTrafficPolicy Cluster: rolling update of 4 replicas on %d nodes", suiteNodes),
			replicas: 4, instance: cluster, full: true,
			action: func(r *run) error { return r.updateTemplate("registry.example/web:2", nil) },
		},
		{
			name: "instance-node-drain", short: "idrain",
			title:    "Instance targets, Cluster: a node drained and terminated (recommended: announced by Karpenter's taint; naive: cordoned)",
			replicas: 4, instance: cluster, full: true,
			action: (*run).drainNode,
		},
	}
}

// Node pools: the suite's nodes, sorted by name, first half blue, second
// half green. A scenario with pools starts its pods on the blue nodes, and
// its rolling update moves them to the green ones, as a migration to a new
// node group does: every node's set of pods changes, and so does the group.
const (
	poolLabel = "e2e.tgc.dev/pool"
	poolBlue  = "blue"
	poolGreen = "green"
)

// labelPools labels the suite's nodes with their pool.
func (r *run) labelPools() error {
	var nodes corev1.NodeList
	if err := r.s.kube.List(r.ctx, &nodes); err != nil {
		return fmt.Errorf("listing nodes: %w", err)
	}
	slices.SortFunc(nodes.Items, func(a, b corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	for i, n := range nodes.Items {
		pool := poolBlue
		if i >= len(nodes.Items)/2 {
			pool = poolGreen
		}
		if n.Labels[poolLabel] == pool {
			continue
		}
		if err := r.patchNode(n.Name, func(n *corev1.Node) { n.Labels[poolLabel] = pool }); err != nil {
			return err
		}
	}
	return nil
}

// updateTemplateOnto starts a rolling update that moves the pods onto the
// nodes of pool.
func (r *run) updateTemplateOnto(pool string) error {
	var d appsv1.Deployment
	if err := r.s.kube.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: appName}, &d); err != nil {
		return fmt.Errorf("reading deployment %s/%s: %w", r.ns, appName, err)
	}
	patch := client.MergeFrom(d.DeepCopy())
	d.Spec.Template.Spec.Containers[0].Image = "registry.example/web:2"
	d.Spec.Template.Spec.NodeSelector = map[string]string{poolLabel: pool}
	if err := r.s.kube.Patch(r.ctx, &d, patch); err != nil {
		return fmt.Errorf("updating the template of %s/%s: %w", r.ns, appName, err)
	}
	r.timeline.note("deployment template updated to image web:2 on the %s nodes", pool)
	return nil
}

// servingNodes are the instances the group should hold: with Local, those
// of the nodes running a ready pod; with Cluster, those of every Ready
// node; in both, no node that is leaving.
func servingNodes(ctx context.Context, kube client.Client, pods []corev1.Pod, policy corev1.ServiceExternalTrafficPolicy) ([]string, error) {
	var nodes corev1.NodeList
	if err := kube.List(ctx, &nodes); err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	hosting := map[string]bool{}
	for i := range pods {
		p := &pods[i]
		if p.DeletionTimestamp == nil && podReady(p) {
			hosting[p.Spec.NodeName] = true
		}
	}
	var out []string
	for i := range nodes.Items {
		n := &nodes.Items[i]
		id, ok := targets.InstanceID(n)
		if !ok || targets.Leaving(n) != "" {
			continue
		}
		if policy == corev1.ServiceExternalTrafficPolicyLocal && !hosting[n.Name] ||
			policy != corev1.ServiceExternalTrafficPolicyLocal && !targets.NodeReady(n) {
			continue
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// drainNode drains a node running a pod of the app and terminates it, as a
// node autoscaler consolidating the cluster does: announce (Karpenter's
// karpenter.sh/disrupted taint) or only cordon the node, evict its pods,
// wait until they are gone, then stop its kubelet (the instance shuts
// down, with its kube-proxy) and delete the Node. The node comes back,
// empty, when the run ends, so that every run starts with suiteNodes nodes.
func (r *run) drainNode() error {
	var pods corev1.PodList
	if err := r.s.kube.List(r.ctx, &pods, client.InNamespace(r.ns), client.MatchingLabels{"app": appName}); err != nil {
		return fmt.Errorf("listing pods in %s: %w", r.ns, err)
	}
	var names []string
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && !slices.Contains(names, p.Spec.NodeName) {
			names = append(names, p.Spec.NodeName)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("no pod of %s runs on a node", appName)
	}
	slices.Sort(names)
	node := names[0]
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := r.s.cluster.StartNode(ctx, node); err != nil {
			r.t.Errorf("bringing node %s back: %v", node, err)
		}
	})

	if err := r.patchNode(node, func(n *corev1.Node) {
		if r.su.announceDrain {
			n.Spec.Taints = append(n.Spec.Taints, corev1.Taint{Key: targets.TaintKarpenterDisrupted, Effect: corev1.TaintEffectNoSchedule})
		} else {
			n.Spec.Unschedulable = true
		}
	}); err != nil {
		return err
	}
	r.timeline.note("node %s %s", node, map[bool]string{true: "tainted karpenter.sh/disrupted", false: "cordoned"}[r.su.announceDrain])

	var evicted []string
	for _, p := range pods.Items {
		if p.Spec.NodeName != node {
			continue
		}
		ev := &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: r.ns, Name: p.Name}}
		if err := r.s.cluster.Client.CoreV1().Pods(r.ns).EvictV1(r.ctx, ev); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("evicting pod %s: %w", p.Name, err)
		}
		evicted = append(evicted, p.Name)
	}
	r.timeline.note("evicted %v from %s", evicted, node)
	for _, name := range evicted {
		if err := r.waitGone(name, 60*time.Second); err != nil {
			return err
		}
	}
	r.timeline.note("pods of %s gone; terminating the node", node)
	if err := r.s.cluster.StopNode(node); err != nil {
		return err
	}
	if err := r.s.kube.Delete(r.ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: node}}); err != nil {
		return fmt.Errorf("deleting node %s: %w", node, err)
	}
	r.timeline.note("node %s terminated and deleted", node)
	return nil
}

func (r *run) patchNode(name string, change func(*corev1.Node)) error {
	var n corev1.Node
	if err := r.s.kube.Get(r.ctx, client.ObjectKey{Name: name}, &n); err != nil {
		return fmt.Errorf("reading node %s: %w", name, err)
	}
	orig := n.DeepCopy()
	change(&n)
	if err := r.s.kube.Patch(r.ctx, &n, client.MergeFrom(orig)); err != nil {
		return fmt.Errorf("changing node %s: %w", name, err)
	}
	return nil
}

func (r *run) waitGone(pod string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		err := r.s.kube.Get(r.ctx, client.ObjectKey{Namespace: r.ns, Name: pod}, &corev1.Pod{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		r.sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("pod %s still there %s after its eviction", pod, timeout)
}
