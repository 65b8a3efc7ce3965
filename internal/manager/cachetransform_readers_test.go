package manager

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	gatecontroller "github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook/gateinjector"
)

// These tests run tgc's own readers on an object as the API server sends it
// and on the same object after CacheTransform, and require the same answer:
// a transform that drops a field some reader needs fails here.

func trimmed[T any](t *testing.T, o T) T {
	t.Helper()
	out, err := CacheTransform()(o)
	if err != nil {
		t.Fatalf("transform: %v", err)
	}
	return out.(T)
}

// podView is everything tgc's pod readers conclude about one pod.
type podView struct {
	Bindings      []string
	Registrable   bool
	Gate          *corev1.PodCondition
	TooShort30s   bool
	TooShort60s   bool
	DeletionAt    string
	DeletionKnown bool
	Controller    *metav1.OwnerReference
	Verdicts      []gatecontroller.Verdict
	Leaving       bool
}

func viewPod(p *corev1.Pod) podView {
	v := podView{
		Bindings:    podgate.Bindings(p),
		Registrable: podgate.Registrable(p, "web"),
		Gate:        podgate.GateCondition(p, "web"),
		TooShort30s: binding.GracePeriodTooShort(p, 30*time.Second),
		TooShort60s: binding.GracePeriodTooShort(p, 60*time.Second),
		Controller:  metav1.GetControllerOf(p),
		Leaving:     binding.PodLeaving(p),
	}
	at, known := binding.DeletionRequested(p)
	v.DeletionAt, v.DeletionKnown = at.Format(time.RFC3339Nano), known
	ep := &targets.PodEndpoint{Name: p.Name, Target: targets.Target{IP: netip.MustParseAddr("10.244.1.7"), Port: 8080}}
	for _, st := range []targets.State{targets.StateHealthy, targets.StateInitial, targets.StateDraining} {
		h := map[targets.Key]targets.Health{ep.Target.Key(): {Target: ep.Target, State: st}}
		v.Verdicts = append(v.Verdicts, gatecontroller.Decide(gatecontroller.Observation{Pod: p, Binding: "web", ARN: "arn", Endpoint: ep, Health: h}))
	}
	return v
}

func TestPodReadersSeeTheSameOnTheCachedPod(t *testing.T) {
	cases := map[string]*corev1.Pod{
		"gated terminating pod": bigPod(true),
		"gated serving pod": func() *corev1.Pod {
			p := bigPod(true)
			p.DeletionTimestamp, p.DeletionGracePeriodSeconds = nil, nil
			return p
		}(),
		"gated pod with its gate True": func() *corev1.Pod {
			p := bigPod(true)
			p.DeletionTimestamp = nil
			podgate.GateCondition(p, "web").Status = corev1.ConditionTrue
			return p
		}(),
		"gated pod whose other gate holds it back": func() *corev1.Pod {
			p := bigPod(true)
			p.DeletionTimestamp = nil
			p.Status.Conditions[5].Status = corev1.ConditionFalse
			return p
		}(),
		"ungated pod with a short grace period": func() *corev1.Pod {
			p := bigPod(false)
			p.Spec.TerminationGracePeriodSeconds = new(int64)
			return p
		}(),
		"ungated pod with the default grace period": func() *corev1.Pod {
			p := bigPod(false)
			p.Spec.TerminationGracePeriodSeconds = nil
			return p
		}(),
		"ungated ready running pod": func() *corev1.Pod {
			p := bigPod(false)
			p.DeletionTimestamp = nil
			p.Status.Conditions[3].Status = corev1.ConditionTrue
			return p
		}(),
		"ungated pod that is not ready": func() *corev1.Pod {
			p := bigPod(false)
			p.DeletionTimestamp = nil
			return p
		}(),
		"ungated ready pod that finished": func() *corev1.Pod {
			p := bigPod(false)
			p.DeletionTimestamp = nil
			p.Status.Conditions[3].Status = corev1.ConditionTrue
			p.Status.Phase = corev1.PodSucceeded
			return p
		}(),
	}
	for name, pod := range cases {
		t.Run(name, func(t *testing.T) {
			full, cached := viewPod(pod.DeepCopy()), viewPod(trimmed(t, pod.DeepCopy()))
			if !equality.Semantic.DeepEqual(full, cached) {
				t.Fatalf("readers see the cached pod differently (-full +cached):\n%s", diff.Diff(full, cached))
			}
		})
	}
}

func TestPodChangedSeesTheSameChangesOnCachedPods(t *testing.T) {
	cases := map[string]func(*corev1.Pod){
		"new pod IP":                func(p *corev1.Pod) { p.Status.PodIP = "10.244.1.8" },
		"containers become unready": func(p *corev1.Pod) { p.Status.Conditions[2].Status = corev1.ConditionFalse },
		"tgc gate turns True":       func(p *corev1.Pod) { podgate.GateCondition(p, "web").Status = corev1.ConditionTrue },
		"deletion starts": func(p *corev1.Pod) {
			p.DeletionTimestamp = &metav1.Time{Time: deleting.Add(time.Minute)}
		},
		"kubelet writes a container status only": func(p *corev1.Pod) { p.Status.ContainerStatuses[0].RestartCount++ },
		"Ready condition flips only":             func(p *corev1.Pod) { p.Status.Conditions[3].Status = corev1.ConditionTrue },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			old := bigPod(true)
			cur := old.DeepCopy()
			change(cur)
			full := podgate.PodChanged(old, cur)
			cached := podgate.PodChanged(trimmed(t, old.DeepCopy()), trimmed(t, cur.DeepCopy()))
			if full != cached {
				t.Fatalf("PodChanged = %v on the API objects but %v on the cached ones", full, cached)
			}
		})
	}
}

func TestDesiredIsTheSameFromCachedSlicesAndService(t *testing.T) {
	notReadySlice := func() *discoveryv1.EndpointSlice {
		s := bigSlice()
		s.Endpoints[0].Conditions.Ready = nil // unknown reads as ready
		return s
	}
	// podsBehind are the Pods bigSlice's endpoints name, with their
	// addresses; ips gives each Pod's IPs other than its own address.
	podsBehind := func(gated bool, ips func(own string) []string) []*corev1.Pod {
		var out []*corev1.Pod
		for i := range 3 {
			p := bigPod(gated)
			p.Name = fmt.Sprintf("web-%d", i)
			own := fmt.Sprintf("10.244.1.%d", i+7)
			p.Status.PodIPs = nil
			for _, ip := range ips(own) {
				p.Status.PodIPs = append(p.Status.PodIPs, corev1.PodIP{IP: ip})
			}
			p.Status.PodIP = p.Status.PodIPs[0].IP
			out = append(out, p)
		}
		return out
	}
	own := func(ip string) []string { return []string{ip} }
	dualStack := func(ip string) []string { return []string{"fd00::" + strings.TrimPrefix(ip, "10.244.1."), ip} }
	elsewhere := func(string) []string { return []string{"10.244.200.1"} }
	otherNamespace := func() *discoveryv1.EndpointSlice {
		s := bigSlice()
		s.Endpoints[0].TargetRef.Namespace = "team-b"
		return s
	}
	cases := map[string]struct {
		port        intstr.IntOrString
		slices      []*discoveryv1.EndpointSlice
		gated       map[types.UID]bool
		pods        []*corev1.Pod
		anyEndpoint bool
	}{
		"pods behind the endpoints":        {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}, pods: podsBehind(false, own)},
		"gated pods behind the endpoints":  {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}, pods: podsBehind(true, own)},
		"dual-stack pods, IPv6 first":      {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}, pods: podsBehind(false, dualStack)},
		"pods with other addresses":        {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}, pods: podsBehind(false, elsewhere)},
		"a targetRef to another namespace": {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{otherNamespace()}, pods: podsBehind(false, own)},
		"no pods in the cache":             {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}},
		"any endpoint, pods or not":        {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}, anyEndpoint: true},
		"binding by port number":           {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}, anyEndpoint: true},
		"binding by port name":             {port: intstr.FromString("http"), slices: []*discoveryv1.EndpointSlice{bigSlice()}, anyEndpoint: true},
		"gated pod registered not ready":   {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{bigSlice()}, gated: map[types.UID]bool{"pod-uid": true}, pods: podsBehind(true, own)},
		"unknown ready condition":          {port: intstr.FromInt32(80), slices: []*discoveryv1.EndpointSlice{notReadySlice()}, pods: podsBehind(false, own)},
		"UDP port the slice lacks":         {port: intstr.FromInt32(53), slices: []*discoveryv1.EndpointSlice{bigSlice()}},
		"no such port":                     {port: intstr.FromInt32(443), slices: []*discoveryv1.EndpointSlice{bigSlice()}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			desired := func(svc *corev1.Service, slices []discoveryv1.EndpointSlice, pods map[string]*corev1.Pod) (targets.DesiredResult, error) {
				return targets.Desired(targets.DesiredInput{Slices: slices, Port: tc.port, Service: svc, IPFamily: corev1.IPv4Protocol, GatedPods: tc.gated,
					Pods: pods, AnyEndpoint: tc.anyEndpoint})
			}
			var full, cached []discoveryv1.EndpointSlice
			for _, s := range tc.slices {
				full = append(full, *s.DeepCopy())
				cached = append(cached, *trimmed(t, s.DeepCopy()))
			}
			fullPods, cachedPods := map[string]*corev1.Pod{}, map[string]*corev1.Pod{}
			for _, p := range tc.pods {
				fullPods[p.Name], cachedPods[p.Name] = p.DeepCopy(), trimmed(t, p.DeepCopy())
			}
			wantRes, wantErr := desired(bigService(), full, fullPods)
			gotRes, gotErr := desired(trimmed(t, bigService()), cached, cachedPods)
			if !reflect.DeepEqual(wantRes, gotRes) || (wantErr == nil) != (gotErr == nil) ||
				(wantErr != nil && wantErr.Error() != gotErr.Error()) {
				t.Fatalf("Desired differs on cached objects:\nfull:   %+v %v\ncached: %+v %v", wantRes, wantErr, gotRes, gotErr)
			}
		})
	}
}

func TestWebhookSelectsTheSamePodsThroughCachedServices(t *testing.T) {
	svc := bigService()
	cached := trimmed(t, svc.DeepCopy())
	input := func(s *corev1.Service, podLabels map[string]string) gateinjector.Input {
		return gateinjector.Input{
			NamespaceLabels: map[string]string{v1alpha1.ReadinessGateInjectLabel: v1alpha1.ReadinessGateInjectEnabled},
			PodLabels:       podLabels,
			Services:        []gateinjector.Service{{Name: s.Name, Selector: s.Spec.Selector}},
			Bindings:        []gateinjector.Binding{{Name: "web", ServiceName: "web"}},
		}
	}
	for name, labels := range map[string]map[string]string{
		"selected pod":   {"app": "web"},
		"unselected pod": {"app": "db"},
	} {
		t.Run(name, func(t *testing.T) {
			want := gateinjector.GatesToAdd(input(svc, labels))
			got := gateinjector.GatesToAdd(input(cached, labels))
			if !equality.Semantic.DeepEqual(want, got) {
				t.Fatalf("gates added = %v through the cached Service, want %v", got, want)
			}
		})
	}
}

// TestCachedObjectsAreSmall guards the point of the transform: an unbound
// pod, which a cluster has thousands of, costs a small fraction of its size.
func TestCachedObjectsAreSmall(t *testing.T) {
	cases := map[string]struct {
		full, cached interface{ Size() int }
		maxRatio     float64
	}{
		// Its containers have a preStop, so their names, ports and preStop
		// stay for the PreStopTooShort check.
		"unbound pod":   {full: bigPod(false), cached: trimmed(t, bigPod(false)), maxRatio: 0.08},
		"gated pod":     {full: bigPod(true), cached: trimmed(t, bigPod(true)), maxRatio: 0.15},
		"Service":       {full: bigService(), cached: trimmed(t, bigService()), maxRatio: 0.5},
		"EndpointSlice": {full: bigSlice(), cached: trimmed(t, bigSlice()), maxRatio: 0.5},
		"Node":          {full: bigNode(), cached: trimmed(t, bigNode()), maxRatio: 0.5},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			full, cached := tc.full.Size(), tc.cached.Size()
			if ratio := float64(cached) / float64(full); ratio > tc.maxRatio {
				t.Fatalf("cached object is %d bytes of %d (%.2f), want at most %.2f", cached, full, ratio, tc.maxRatio)
			}
			t.Logf("protobuf size %d -> %d bytes", full, cached)
		})
	}
}

// TestBrakeSeesTheSameEditsOnCachedServices: a Service edit the brake
// counts as deliberate (selector, ports, target ports) must change the
// cached Service's fingerprint exactly when it changes the full one's.
func TestBrakeSeesTheSameEditsOnCachedServices(t *testing.T) {
	cases := map[string]func(*corev1.Service){
		"selector switch":    func(s *corev1.Service) { s.Spec.Selector = map[string]string{"app": "web", "slot": "green"} },
		"target port change": func(s *corev1.Service) { s.Spec.Ports[0].TargetPort = intstr.FromInt32(9090) },
		"new port": func(s *corev1.Service) {
			s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Name: "admin", Port: 9000})
		},
		"node port only":      func(s *corev1.Service) { s.Spec.Ports[0].NodePort = 30081 },
		"traffic policy":      func(s *corev1.Service) { s.Spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster },
		"label only":          func(s *corev1.Service) { s.Labels["team"] = "payments" },
		"load balancer class": func(s *corev1.Service) { s.Spec.LoadBalancerClass = ptr.To("example.com/lb") },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			old := bigService()
			cur := old.DeepCopy()
			change(cur)
			full := binding.ServiceFingerprint(old) != binding.ServiceFingerprint(cur)
			cached := binding.ServiceFingerprint(trimmed(t, old.DeepCopy())) != binding.ServiceFingerprint(trimmed(t, cur.DeepCopy()))
			if full != cached {
				t.Fatalf("edit seen = %v on the API objects but %v on the cached ones", full, cached)
			}
		})
	}
}

// TestInstanceTargetsAreTheSameFromCachedNodes: which nodes an instance
// binding registers, and why others leave, must not change when the
// nodes, the Service and its slices come from the cache.
func TestInstanceTargetsAreTheSameFromCachedNodes(t *testing.T) {
	ready := func(n *corev1.Node) *corev1.Node {
		n.DeletionTimestamp, n.Spec.Taints = nil, nil
		return n
	}
	nodes := map[string]*corev1.Node{
		"a disrupted node being deleted": bigNode(),
		"a Ready node":                   ready(bigNode()),
		"a NotReady node": func() *corev1.Node {
			n := ready(bigNode())
			n.Status.Conditions[1].Status = corev1.ConditionFalse
			return n
		}(),
		"a node excluded from load balancers": func() *corev1.Node {
			n := ready(bigNode())
			n.Labels[corev1.LabelNodeExcludeBalancers] = ""
			return n
		}(),
		"a node the selector does not select": func() *corev1.Node {
			n := ready(bigNode())
			n.Labels["karpenter.sh/nodepool"] = "batch"
			return n
		}(),
	}
	for name, n := range nodes {
		for _, policy := range []corev1.ServiceExternalTrafficPolicy{corev1.ServiceExternalTrafficPolicyLocal, corev1.ServiceExternalTrafficPolicyCluster} {
			t.Run(name+" with "+string(policy), func(t *testing.T) {
				n := n.DeepCopy()
				n.Name = "node-1" // bigSlice's endpoints run there
				desired := func(svc *corev1.Service, slice *discoveryv1.EndpointSlice, node *corev1.Node) targets.DesiredResult {
					svc.Spec.ExternalTrafficPolicy = policy
					r, err := targets.Desired(targets.DesiredInput{Slices: []discoveryv1.EndpointSlice{*slice}, Port: intstr.FromInt32(80), Service: svc, AnyEndpoint: true,
						Nodes: &targets.NodeInput{Nodes: []corev1.Node{*node}, Selector: labels.SelectorFromSet(labels.Set{"karpenter.sh/nodepool": "web"})}})
					if err != nil {
						t.Fatal(err)
					}
					return r
				}
				want := desired(bigService(), bigSlice(), n.DeepCopy())
				got := desired(trimmed(t, bigService()), trimmed(t, bigSlice()), trimmed(t, n.DeepCopy()))
				if !reflect.DeepEqual(want, got) {
					t.Fatalf("Desired differs on cached objects:\nfull:   %+v\ncached: %+v", want, got)
				}
			})
		}
	}
}

// TestNodeWatchSeesTheSameChangesOnCachedNodes: the node watch's filter
// must pass a change of a cached node exactly when it passes the change of
// the full one, and drop a heartbeat either way.
func TestNodeWatchSeesTheSameChangesOnCachedNodes(t *testing.T) {
	cases := map[string]func(*corev1.Node){
		"heartbeat": func(n *corev1.Node) {
			n.Status.Conditions[1].LastHeartbeatTime = metav1.NewTime(created.Add(time.Minute))
		},
		"new image":         func(n *corev1.Node) { n.Status.Images = n.Status.Images[:1] },
		"cordon":            func(n *corev1.Node) { n.Spec.Unschedulable = false },
		"taint":             func(n *corev1.Node) { n.Spec.Taints = nil },
		"label":             func(n *corev1.Node) { n.Labels["karpenter.sh/nodepool"] = "batch" },
		"NotReady":          func(n *corev1.Node) { n.Status.Conditions[1].Status = corev1.ConditionUnknown },
		"provider ID":       func(n *corev1.Node) { n.Spec.ProviderID = "aws:///us-east-1b/i-0123456789abcdef1" },
		"deletion canceled": func(n *corev1.Node) { n.DeletionTimestamp = nil },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			old := bigNode()
			cur := old.DeepCopy()
			change(cur)
			full := binding.NodeFingerprint(old) != binding.NodeFingerprint(cur)
			cached := binding.NodeFingerprint(trimmed(t, old.DeepCopy())) != binding.NodeFingerprint(trimmed(t, cur.DeepCopy()))
			if full != cached {
				t.Fatalf("change seen = %v on the API objects but %v on the cached ones", full, cached)
			}
		})
	}
}
