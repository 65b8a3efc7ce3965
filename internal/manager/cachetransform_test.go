package manager

import (
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/intstr"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/serviceannotation"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
)

var (
	created  = metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	deleting = metav1.NewTime(time.Date(2026, 1, 2, 3, 9, 5, 0, time.UTC))
	tgcGate  = podgate.ConditionType("web")
)

// managedFields is what server-side apply leaves on every object.
func managedFields() []metav1.ManagedFieldsEntry {
	return []metav1.ManagedFieldsEntry{{
		Manager: "kubectl", Operation: metav1.ManagedFieldsOperationApply, APIVersion: "v1",
		FieldsType: "FieldsV1", FieldsV1: metav1.NewFieldsV1(`{"f:metadata":{"f:labels":{"f:app":{}}},"f:spec":{"f:containers":{}}}`),
	}}
}

func controllerRef() metav1.OwnerReference {
	return metav1.OwnerReference{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-5d8f7c", UID: "rs-uid", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}
}

// cachedContainers is what the cache keeps of bigPod's containers, which
// have a preStop: names, ports and the preStop.
func cachedContainers() []corev1.Container {
	var out []corev1.Container
	for _, name := range []string{"app", "sidecar", "metrics"} {
		out = append(out, corev1.Container{Name: name, Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 15}}}})
	}
	return out
}

func container(name string) corev1.Container {
	var env []corev1.EnvVar
	for i := range 20 {
		env = append(env, corev1.EnvVar{Name: fmt.Sprintf("SETTING_%d", i), Value: fmt.Sprintf("value-of-setting-number-%d", i)})
	}
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}}, PeriodSeconds: 5}
	return corev1.Container{
		Name: name, Image: "registry.example.com/team/" + name + ":v1.2.3",
		Args:  []string{"--listen=:8080", "--log-format=json", "--config=/etc/app/config.yaml"},
		Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
		Env:   env,
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		},
		VolumeMounts:   []corev1.VolumeMount{{Name: "config", MountPath: "/etc/app"}, {Name: "tmp", MountPath: "/tmp"}},
		ReadinessProbe: probe, LivenessProbe: probe,
		Lifecycle: &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 15}}},
	}
}

// bigPod is a pod as the API server returns it: several containers with
// env, probes and resources, volumes, labels, annotations, managed fields
// and a full status. gated adds tgc's readiness gate next to another one.
func bigPod(gated bool) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "shop", Name: "web-5d8f7c-abcde", UID: "pod-uid", ResourceVersion: "4711", Generation: 1,
			CreationTimestamp: created, DeletionTimestamp: &deleting, DeletionGracePeriodSeconds: ptr.To(int64(45)),
			Labels:          map[string]string{"app": "web", "pod-template-hash": "5d8f7c", "team": "checkout"},
			Annotations:     map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"apiVersion":"v1","kind":"Pod"}`, "prometheus.io/scrape": "true"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "example.com/v1", Kind: "Tracker", Name: "t", UID: "tracker-uid"}, controllerRef()},
			Finalizers:      []string{"example.com/cleanup"},
			ManagedFields:   managedFields(),
		},
		Spec: corev1.PodSpec{
			InitContainers:                []corev1.Container{container("migrate")},
			Containers:                    []corev1.Container{container("app"), container("sidecar"), container("metrics")},
			Volumes:                       []corev1.Volume{{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "web-config"}}}}, {Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
			TerminationGracePeriodSeconds: ptr.To(int64(45)),
			NodeName:                      "node-1", ServiceAccountName: "web",
			Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(300))}},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, HostIP: "192.0.2.10", PodIP: "10.244.1.7", PodIPs: []corev1.PodIP{{IP: "10.244.1.7"}},
			StartTime: &created, QOSClass: corev1.PodQOSBurstable,
			Conditions: []corev1.PodCondition{
				{Type: corev1.PodReadyToStartContainers, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: created},
				{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ReadinessGatesNotReady", Message: "corresponding condition of pod readiness gate is false", LastTransitionTime: created},
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: created},
			},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "app", Ready: true, Image: "registry.example.com/team/app:v1.2.3", ImageID: "sha256:0123456789abcdef", ContainerID: "containerd://0123456789abcdef"}},
		},
	}
	if gated {
		p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/warmed-up"}, {ConditionType: tgcGate}}
		p.Status.Conditions = append(p.Status.Conditions,
			corev1.PodCondition{Type: "example.com/warmed-up", Status: corev1.ConditionTrue, LastTransitionTime: created},
			corev1.PodCondition{Type: tgcGate, Status: corev1.ConditionFalse, Reason: "Elb.InitialHealthChecking", Message: "target 10.244.1.7:8080 is initial", LastTransitionTime: created})
	}
	return p
}

func bigService() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "shop", Name: "web", UID: "svc-uid", ResourceVersion: "815", CreationTimestamp: created,
			Labels: map[string]string{"app": "web", "team": "checkout"},
			Annotations: map[string]string{
				serviceannotation.AnnotationTargetGroupARN:          "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
				serviceannotation.AnnotationTargetGroupPort:         "http",
				"kubectl.kubernetes.io/last-applied-configuration":  `{"apiVersion":"v1","kind":"Service","metadata":{"name":"web"}}`,
				"service.beta.kubernetes.io/aws-load-balancer-type": "external",
			},
			Finalizers:    []string{"service.kubernetes.io/load-balancer-cleanup"},
			ManagedFields: managedFields(),
		},
		Spec: corev1.ServiceSpec{
			Type:                  corev1.ServiceTypeLoadBalancer,
			ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
			HealthCheckNodePort:   31999,
			Selector:              map[string]string{"app": "web"},
			ClusterIP:             "10.96.0.10",
			ClusterIPs:            []string{"10.96.0.10"},
			IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
			Ports: []corev1.ServicePort{
				{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("http"), NodePort: 30080, AppProtocol: ptr.To("http")},
				{Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(5353), NodePort: 30053},
			},
			SessionAffinity: corev1.ServiceAffinityNone,
		},
		Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: []corev1.LoadBalancerIngress{{Hostname: "web-123.elb.us-east-1.amazonaws.com"}}}},
	}
}

func bigNode() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{
			Name: "ip-10-0-1-7.ec2.internal", UID: "node-uid", ResourceVersion: "77", CreationTimestamp: created, DeletionTimestamp: &deleting,
			Labels:        map[string]string{corev1.LabelHostname: "ip-10-0-1-7", corev1.LabelTopologyZone: "us-east-1a", "karpenter.sh/nodepool": "web"},
			Annotations:   map[string]string{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"},
			ManagedFields: managedFields(),
		},
		Spec: corev1.NodeSpec{
			ProviderID: "aws:///us-east-1a/i-0123456789abcdef0", PodCIDR: "10.244.1.0/24", PodCIDRs: []string{"10.244.1.0/24"}, Unschedulable: true,
			Taints: []corev1.Taint{{Key: "karpenter.sh/disrupted", Effect: corev1.TaintEffectNoSchedule}, {Key: "node.kubernetes.io/unschedulable", Effect: corev1.TaintEffectNoSchedule}},
		},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{
				{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, LastHeartbeatTime: created, Reason: "KubeletHasSufficientMemory"},
				{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: created, LastTransitionTime: created, Reason: "KubeletReady", Message: "kubelet is posting ready status"},
			},
			Addresses: []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "10.0.1.7"}, {Type: corev1.NodeHostName, Address: "ip-10-0-1-7"}},
			Capacity:  corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi")},
			NodeInfo:  corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OSImage: "Bottlerocket", ContainerRuntimeVersion: "containerd://2.0.0"},
			Images:    []corev1.ContainerImage{{Names: []string{"registry.example.com/team/app:v1.2.3"}, SizeBytes: 123456789}, {Names: []string{"registry.example.com/team/sidecar:v4"}, SizeBytes: 23456789}},
		},
	}
}

func bigSlice() *discoveryv1.EndpointSlice {
	s := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "shop", Name: "web-x7k2p", UID: "slice-uid", ResourceVersion: "9001", GenerateName: "web-", Generation: 3,
			Labels: map[string]string{
				discoveryv1.LabelServiceName: "web", discoveryv1.LabelManagedBy: "endpointslice-controller.k8s.io",
				"app": "web", "team": "checkout", // copied from the Service by the EndpointSlice controller
			},
			Annotations:     map[string]string{corev1.EndpointsLastChangeTriggerTime: "2026-01-02T03:04:05.123456Z", "example.com/note": "x"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Service", Name: "web", UID: "svc-uid", Controller: ptr.To(true)}},
			ManagedFields:   managedFields(),
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(int32(8080)), AppProtocol: ptr.To("http")}},
	}
	for i := range 3 {
		s.Endpoints = append(s.Endpoints, discoveryv1.Endpoint{
			Addresses:  []string{fmt.Sprintf("10.244.1.%d", i+7), "10.244.9.9"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(i != 1), Serving: ptr.To(true), Terminating: ptr.To(i == 2)},
			Hostname:   ptr.To(fmt.Sprintf("web-%d", i)),
			NodeName:   ptr.To("node-1"),
			Zone:       ptr.To("us-east-1a"),
			Hints:      &discoveryv1.EndpointHints{ForZones: []discoveryv1.ForZone{{Name: "us-east-1a"}}},
			TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: fmt.Sprintf("web-%d", i), UID: "pod-uid", ResourceVersion: "4711", APIVersion: "v1"},
		})
	}
	return s
}

func TestCacheTransformKeepsWhatTGCReadsAndDropsTheRest(t *testing.T) {
	ident := func(ns, name, uid, rv string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid), ResourceVersion: rv}
	}
	cases := map[string]struct {
		in, want any
	}{
		"pod without a tgc gate keeps identity, deletion, grace period, its controller, its IPs, phase and Ready status only": {
			in: bigPod(false),
			want: &corev1.Pod{
				ObjectMeta: func() metav1.ObjectMeta {
					m := ident("shop", "web-5d8f7c-abcde", "pod-uid", "4711")
					m.CreationTimestamp, m.DeletionTimestamp, m.DeletionGracePeriodSeconds = created, &deleting, ptr.To(int64(45))
					m.OwnerReferences = []metav1.OwnerReference{controllerRef()}
					return m
				}(),
				Spec: corev1.PodSpec{TerminationGracePeriodSeconds: ptr.To(int64(45)), Containers: cachedContainers()},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.244.1.7"}},
					Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}},
			},
		},
		"gated pod also keeps its gates, IP, ContainersReady and every gate's condition": {
			in: bigPod(true),
			want: &corev1.Pod{
				ObjectMeta: func() metav1.ObjectMeta {
					m := ident("shop", "web-5d8f7c-abcde", "pod-uid", "4711")
					m.CreationTimestamp, m.DeletionTimestamp, m.DeletionGracePeriodSeconds = created, &deleting, ptr.To(int64(45))
					m.OwnerReferences = []metav1.OwnerReference{controllerRef()}
					return m
				}(),
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr.To(int64(45)),
					Containers:                    cachedContainers(),
					ReadinessGates:                []corev1.PodReadinessGate{{ConditionType: "example.com/warmed-up"}, {ConditionType: tgcGate}},
				},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.1.7", PodIPs: []corev1.PodIP{{IP: "10.244.1.7"}}, Conditions: []corev1.PodCondition{
					{Type: corev1.PodReady, Status: corev1.ConditionFalse},
					{Type: corev1.ContainersReady, Status: corev1.ConditionTrue, LastTransitionTime: created},
					{Type: "example.com/warmed-up", Status: corev1.ConditionTrue, LastTransitionTime: created},
					{Type: tgcGate, Status: corev1.ConditionFalse, Reason: "Elb.InitialHealthChecking", Message: "target 10.244.1.7:8080 is initial", LastTransitionTime: created},
				}},
			},
		},
		"pod sized by the drain webhook keeps its drain record, and no other annotation": {
			in: func() *corev1.Pod {
				p := bigPod(false)
				p.Annotations[v1alpha1.AnnotationDrain] = `{"deregistrationDelaySeconds":30}`
				return p
			}(),
			want: &corev1.Pod{
				ObjectMeta: func() metav1.ObjectMeta {
					m := ident("shop", "web-5d8f7c-abcde", "pod-uid", "4711")
					m.CreationTimestamp, m.DeletionTimestamp, m.DeletionGracePeriodSeconds = created, &deleting, ptr.To(int64(45))
					m.OwnerReferences = []metav1.OwnerReference{controllerRef()}
					m.Annotations = map[string]string{v1alpha1.AnnotationDrain: `{"deregistrationDelaySeconds":30}`}
					return m
				}(),
				Spec: corev1.PodSpec{TerminationGracePeriodSeconds: ptr.To(int64(45)), Containers: cachedContainers()},
				Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.244.1.7"}},
					Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}},
			},
		},
		"pod without a controller keeps no owner references": {
			in: func() *corev1.Pod {
				p := bigPod(false)
				p.OwnerReferences = p.OwnerReferences[:1]
				p.DeletionTimestamp, p.DeletionGracePeriodSeconds, p.Spec.TerminationGracePeriodSeconds = nil, nil, nil
				return p
			}(),
			want: &corev1.Pod{ObjectMeta: func() metav1.ObjectMeta {
				m := ident("shop", "web-5d8f7c-abcde", "pod-uid", "4711")
				m.CreationTimestamp = created
				return m
			}(), Spec: corev1.PodSpec{Containers: cachedContainers()}, Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.244.1.7"}},
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionFalse}}}},
		},
		"Service keeps tgc annotations, port names, protocols, numbers, target and node ports, type, traffic policy, IP families and selector": {
			in: bigService(),
			want: &corev1.Service{
				ObjectMeta: func() metav1.ObjectMeta {
					m := ident("shop", "web", "svc-uid", "815")
					m.Annotations = map[string]string{
						serviceannotation.AnnotationTargetGroupARN:  "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef",
						serviceannotation.AnnotationTargetGroupPort: "http",
					}
					return m
				}(),
				Spec: corev1.ServiceSpec{
					Type:                  corev1.ServiceTypeLoadBalancer,
					ExternalTrafficPolicy: corev1.ServiceExternalTrafficPolicyLocal,
					HealthCheckNodePort:   31999,
					Selector:              map[string]string{"app": "web"},
					IPFamilies:            []corev1.IPFamily{corev1.IPv4Protocol},
					Ports:                 []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("http"), NodePort: 30080}, {Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(5353), NodePort: 30053}},
				},
			},
		},
		"Service without tgc annotations keeps no annotations": {
			in: func() *corev1.Service {
				s := bigService()
				delete(s.Annotations, serviceannotation.AnnotationTargetGroupARN)
				delete(s.Annotations, serviceannotation.AnnotationTargetGroupPort)
				s.Spec.Selector, s.Spec.IPFamilies = nil, nil
				s.Spec.Type, s.Spec.ExternalTrafficPolicy, s.Spec.HealthCheckNodePort = "", "", 0
				for i := range s.Spec.Ports {
					s.Spec.Ports[i].NodePort = 0
				}
				return s
			}(),
			want: &corev1.Service{
				ObjectMeta: ident("shop", "web", "svc-uid", "815"),
				Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "http", Protocol: corev1.ProtocolTCP, Port: 80, TargetPort: intstr.FromString("http")}, {Name: "dns", Protocol: corev1.ProtocolUDP, Port: 53, TargetPort: intstr.FromInt32(5353)}}},
			},
		},
		"EndpointSlice keeps its Service label, trigger time, ports and each endpoint's first address, ready, terminating, pod and node": {
			in: bigSlice(),
			want: &discoveryv1.EndpointSlice{
				ObjectMeta: func() metav1.ObjectMeta {
					m := ident("shop", "web-x7k2p", "slice-uid", "9001")
					m.Labels = map[string]string{discoveryv1.LabelServiceName: "web"}
					m.Annotations = map[string]string{corev1.EndpointsLastChangeTriggerTime: "2026-01-02T03:04:05.123456Z"}
					return m
				}(),
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(int32(8080))}},
				Endpoints: func() []discoveryv1.Endpoint {
					var eps []discoveryv1.Endpoint
					for i := range 3 {
						eps = append(eps, discoveryv1.Endpoint{
							Addresses:  []string{fmt.Sprintf("10.244.1.%d", i+7)},
							Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(i != 1), Terminating: ptr.To(i == 2)},
							TargetRef:  &corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: fmt.Sprintf("web-%d", i), UID: "pod-uid"},
							NodeName:   ptr.To("node-1"),
						})
					}
					return eps
				}(),
			},
		},
		"EndpointSlice without trigger time or conditions keeps them unset": {
			in: func() *discoveryv1.EndpointSlice {
				s := bigSlice()
				delete(s.Annotations, corev1.EndpointsLastChangeTriggerTime)
				s.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.7"}, NodeName: ptr.To("node-1")}}
				return s
			}(),
			want: &discoveryv1.EndpointSlice{
				ObjectMeta: func() metav1.ObjectMeta {
					m := ident("shop", "web-x7k2p", "slice-uid", "9001")
					m.Labels = map[string]string{discoveryv1.LabelServiceName: "web"}
					return m
				}(),
				AddressType: discoveryv1.AddressTypeIPv4,
				Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Protocol: ptr.To(corev1.ProtocolTCP), Port: ptr.To(int32(8080))}},
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.244.1.7"}, NodeName: ptr.To("node-1")}},
			},
		},
		"Node keeps its labels, taints, provider ID, deletion and Ready status": {
			in: bigNode(),
			want: &corev1.Node{
				ObjectMeta: func() metav1.ObjectMeta {
					m := ident("", "ip-10-0-1-7.ec2.internal", "node-uid", "77")
					m.Labels = bigNode().Labels
					m.DeletionTimestamp = &deleting
					return m
				}(),
				Spec:   corev1.NodeSpec{ProviderID: "aws:///us-east-1a/i-0123456789abcdef0", Taints: bigNode().Spec.Taints},
				Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}},
			},
		},
		"Namespace keeps its labels for the webhook's opt-in": {
			in: &corev1.Namespace{
				ObjectMeta: metav1.ObjectMeta{Name: "shop", UID: "ns-uid", ResourceVersion: "12", Labels: map[string]string{v1alpha1.ReadinessGateInjectLabel: v1alpha1.ReadinessGateInjectEnabled},
					Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": "{}"}, ManagedFields: managedFields()},
				Spec:   corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{corev1.FinalizerKubernetes}},
				Status: corev1.NamespaceStatus{Phase: corev1.NamespaceActive},
			},
			want: &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "shop", UID: "ns-uid", ResourceVersion: "12", Labels: map[string]string{v1alpha1.ReadinessGateInjectLabel: v1alpha1.ReadinessGateInjectEnabled}}},
		},
		"TargetGroupBinding loses only its managed fields": {
			in: &v1alpha1.TargetGroupBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: map[string]string{"a": "b"}, Finalizers: []string{v1alpha1.Finalizer}, ManagedFields: managedFields()},
				Spec:       v1alpha1.TargetGroupBindingSpec{TargetGroupARN: "arn", ServiceRef: v1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)}},
				Status:     v1alpha1.TargetGroupBindingStatus{TargetGroupARN: "arn"},
			},
			want: &v1alpha1.TargetGroupBinding{
				ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", Annotations: map[string]string{"a": "b"}, Finalizers: []string{v1alpha1.Finalizer}},
				Spec:       v1alpha1.TargetGroupBindingSpec{TargetGroupARN: "arn", ServiceRef: v1alpha1.ServiceReference{Name: "web", Port: intstr.FromInt32(80)}},
				Status:     v1alpha1.TargetGroupBindingStatus{TargetGroupARN: "arn"},
			},
		},
		"tombstone passes through untouched": {
			in:   toolscache.DeletedFinalStateUnknown{Key: "shop/web", Obj: &corev1.Pod{}},
			want: toolscache.DeletedFinalStateUnknown{Key: "shop/web", Obj: &corev1.Pod{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			transform := CacheTransform()
			got, err := transform(tc.in)
			if err != nil {
				t.Fatalf("transform: %v", err)
			}
			if !equality.Semantic.DeepEqual(got, tc.want) {
				t.Fatalf("transformed object differs (-got +want):\n%s", diff.Diff(got, tc.want))
			}
			// The DeltaFIFO may transform an object again after a relist.
			again, err := transform(got)
			if err != nil {
				t.Fatalf("second transform: %v", err)
			}
			if !equality.Semantic.DeepEqual(again, tc.want) {
				t.Fatalf("transforming twice changed the object (-got +want):\n%s", diff.Diff(again, tc.want))
			}
		})
	}
}

// BenchmarkCacheTransform is the informer's cost per object it ingests.
// The cut-down object is built anew, so the input can be reused.
func BenchmarkCacheTransform(b *testing.B) {
	cases := map[string]any{
		"unbound pod":   bigPod(false),
		"gated pod":     bigPod(true),
		"Service":       bigService(),
		"EndpointSlice": bigSlice(),
		"Node":          bigNode(),
	}
	for name, obj := range cases {
		b.Run(name, func(b *testing.B) {
			transform := CacheTransform()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := transform(obj); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
