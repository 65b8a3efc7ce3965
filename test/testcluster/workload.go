package testcluster

import (
	"cmp"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// Defaults of App.
const (
	// AppImage is the default image. The loopback kubelet runs the same
	// HTTP server whatever the image says; changing it only starts a
	// rollout, as it would on a real cluster.
	AppImage = "tgc.dev/loopback-app"
	// AppContainerPort is the default port the pods serve HTTP on.
	AppContainerPort int32 = 8080
	// AppPortName names the container port, and is the Service's
	// targetPort, so the Service follows the pods whatever number they use.
	AppPortName = "http"
	// AppContainerName names the single container.
	AppContainerName = "app"
)

// App is the workload the loopback kubelet runs in tests and benchmarks: a
// Deployment of pods with one container serving HTTP on a port named
// "http", and a Service on port 80 in front of them. Deployment and Service
// build fresh objects each call; callers apply what their test needs
// (readiness gates, preStop hooks, the grace period, annotations) by
// mutating the result before creating it.
type App struct {
	// Name names the Deployment and the Service; the pods are labelled
	// app=Name, which is what the Service selects.
	Name string
	// Namespace may be empty when the client creating the objects sets it.
	Namespace string
	Replicas  int32
	// Image defaults to AppImage.
	Image string
	// ContainerPort defaults to AppContainerPort.
	ContainerPort int32
	// ServicePortName names the Service's port; it defaults to AppPortName.
	ServicePortName string
	// ReadinessProbe adds an httpGet probe of /healthz every second, which
	// the loopback kubelet runs; without it a pod is ready once it
	// listens.
	ReadinessProbe bool
}

// Labels are the pods' labels, which the Deployment and Service select.
func (a App) Labels() map[string]string { return map[string]string{"app": a.Name} }

// Deployment is the app's Deployment. Its rolling update is maxSurge 1,
// maxUnavailable 0: a new pod must be Ready before an old one goes, so a
// rollout never has less capacity than it started with.
func (a App) Deployment() *appsv1.Deployment {
	// Protocol TCP is what the API server defaults an unset protocol to;
	// writing it keeps the built object equal to the stored one.
	container := corev1.Container{
		Name:  AppContainerName,
		Image: cmp.Or(a.Image, AppImage),
		Ports: []corev1.ContainerPort{{Name: AppPortName, ContainerPort: cmp.Or(a.ContainerPort, AppContainerPort), Protocol: corev1.ProtocolTCP}},
	}
	if a.ReadinessProbe {
		container.ReadinessProbe = &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(AppPortName)}},
			PeriodSeconds: 1,
		}
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: a.Name, Namespace: a.Namespace},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(a.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: a.Labels()},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxSurge:       ptr.To(intstr.FromInt32(1)),
					MaxUnavailable: ptr.To(intstr.FromInt32(0)),
				},
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: a.Labels()},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{container}},
			},
		},
	}
}

// Service is the app's Service: port 80 to the pods' "http" port.
func (a App) Service() *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: a.Name, Namespace: a.Namespace},
		Spec: corev1.ServiceSpec{
			Selector: a.Labels(),
			Ports: []corev1.ServicePort{{
				Name:       cmp.Or(a.ServicePortName, AppPortName),
				Port:       80,
				TargetPort: intstr.FromString(AppPortName),
				Protocol:   corev1.ProtocolTCP,
			}},
		},
	}
}
