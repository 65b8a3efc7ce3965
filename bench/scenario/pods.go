package scenario

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// unrelatedApp names the k-th workload no binding uses.
func unrelatedApp(k int) string { return "other-" + strconv.Itoa(k) }

// unrelatedPod is a pod of realistic size (about 5 KB of JSON): an app
// container, a sidecar and a log shipper, each with environment,
// resources, probes and mounts, plus the labels and annotations a
// Deployment and the usual tooling put on a pod. tgc must not cache such
// pods whole.
func unrelatedPod(app string, i int) *corev1.Pod {
	res := func(cpu, mem string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)},
		}
	}
	env := func(prefix string, n int) []corev1.EnvVar {
		var out []corev1.EnvVar
		for j := range n {
			out = append(out, corev1.EnvVar{Name: fmt.Sprintf("%s_SETTING_%d", prefix, j), Value: fmt.Sprintf("value-%d-for-%s", j, app)})
		}
		out = append(out,
			corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
			corev1.EnvVar{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}})
		return out
	}
	probe := func(path string, port int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromInt32(port)}},
			PeriodSeconds:    10,
			TimeoutSeconds:   2,
			FailureThreshold: 3,
		}
	}
	mounts := []corev1.VolumeMount{
		{Name: "config", MountPath: "/etc/app", ReadOnly: true},
		{Name: "cache", MountPath: "/var/cache/app"},
		{Name: "kube-api-access", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true},
	}
	name := fmt.Sprintf("%s-7d9f8b6c5-%05d", app, i)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: namespace,
			Labels: map[string]string{
				"app": app, "app.kubernetes.io/name": app, "app.kubernetes.io/part-of": "shop",
				"app.kubernetes.io/version": "1.42.7", "pod-template-hash": "7d9f8b6c5", "team": "payments",
			},
			Annotations: map[string]string{
				"checksum/config":                                "4f7d2c9a1b8e6f3d0c5a7b9e2d4f6a8c1e3b5d7f9a0c2e4b6d8f1a3c5e7b9d0f",
				"prometheus.io/scrape":                           "true",
				"prometheus.io/port":                             "9090",
				"kubectl.kubernetes.io/restartedAt":              "2026-01-15T10:20:30Z",
				"cluster-autoscaler.kubernetes.io/safe-to-evict": "true",
			},
		},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{
				{
					Name: "app", Image: "registry.example.com/shop/" + app + ":1.42.7",
					Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "metrics", ContainerPort: 9090}},
					Env:            env("APP", 12),
					Resources:      res("250m", "256Mi"),
					ReadinessProbe: probe("/ready", 8080), LivenessProbe: probe("/healthz", 8080),
					VolumeMounts: mounts,
				},
				{
					Name: "proxy", Image: "registry.example.com/mesh/proxy:2.3.1",
					Args:           []string{"--listen=:15001", "--upstream=127.0.0.1:8080", "--log-level=info"},
					Ports:          []corev1.ContainerPort{{Name: "proxy", ContainerPort: 15001}},
					Env:            env("PROXY", 6),
					Resources:      res("100m", "128Mi"),
					ReadinessProbe: probe("/healthz/ready", 15021),
					VolumeMounts:   mounts[2:],
				},
				{
					Name: "logs", Image: "registry.example.com/obs/log-shipper:0.9.4",
					Env:          env("SHIPPER", 4),
					Resources:    res("50m", "64Mi"),
					VolumeMounts: mounts[1:],
				},
			},
			Volumes: []corev1.Volume{
				{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: app + "-config"}}}},
				{Name: "cache", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{SizeLimit: ptr.To(resource.MustParse("1Gi"))}}},
				{Name: "kube-api-access", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
					// No service account token: the API server refuses one
					// without a ServiceAccount, and this cluster runs no
					// token controller.
					{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "namespace", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
					{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "kube-root-ca.crt"}, Items: []corev1.KeyToPath{{Key: "ca.crt", Path: "ca.crt"}}}},
				}}}},
			},
			TerminationGracePeriodSeconds: ptr.To(int64(30)),
			Tolerations: []corev1.Toleration{
				{Key: "node.kubernetes.io/not-ready", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(300))},
				{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(int64(300))},
			},
		},
	}
}

// unrelatedService selects an unrelated app's pods.
func unrelatedService(app string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: app, Namespace: namespace, Labels: map[string]string{"app": app}},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"app": app},
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// unrelatedSlice is the EndpointSlice the EndpointSlice controller would
// write for an unrelated Service: its pods' addresses with their
// targetRefs.
func unrelatedSlice(app string, pods []*corev1.Pod, ips []string) *discoveryv1.EndpointSlice {
	sl := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Name:      app + "-abcde",
			Namespace: namespace,
			Labels:    map[string]string{discoveryv1.LabelServiceName: app, discoveryv1.LabelManagedBy: managedBy},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http"), Port: ptr.To(int32(8080)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	for i, p := range pods {
		ep := readyEndpoint(ips[i])
		ep.TargetRef = &corev1.ObjectReference{Kind: "Pod", Namespace: namespace, Name: p.Name}
		sl.Endpoints = append(sl.Endpoints, ep)
	}
	return sl
}

// runningStatus is the status a kubelet writes for a running, ready pod at
// ip.
func runningStatus(ip string) corev1.PodStatus {
	now := metav1.Now()
	cond := func(t corev1.PodConditionType) corev1.PodCondition {
		return corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now}
	}
	return corev1.PodStatus{
		Phase:     corev1.PodRunning,
		HostIP:    "192.0.2.10",
		HostIPs:   []corev1.HostIP{{IP: "192.0.2.10"}},
		PodIP:     ip,
		PodIPs:    []corev1.PodIP{{IP: ip}},
		StartTime: &now,
		Conditions: []corev1.PodCondition{
			cond(corev1.PodInitialized), cond(corev1.PodReady), cond(corev1.ContainersReady), cond(corev1.PodScheduled),
		},
	}
}
