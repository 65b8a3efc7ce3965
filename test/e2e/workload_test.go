package e2e

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

const (
	appName       = "web"
	bindingName   = "web"
	containerPort = 8080
	// startDelayAnnotation makes the loopback kubelet's app listen only
	// after a delay (test/kubelet/doc.go).
	startDelayAnnotation = "kubelet.tgc.dev/start-delay"
)

// setup is how the workload is configured for zero downtime, or not.
type setup struct {
	name string
	// gate writes tgc's readiness gate into the pod template by hand, the
	// documented alternative to the injection webhook.
	gate bool
	// preStopSeconds keeps the app serving after deletion; 0 means no hook.
	preStopSeconds int64
	// gracePeriodSeconds is terminationGracePeriodSeconds.
	gracePeriodSeconds int64
	// mustNotFail makes any failed request fail the test.
	mustNotFail bool
	// minReadySeconds holds a rollout until a new pod has been ready this
	// long: for instance targets, until the load balancer found its node
	// healthy, since no readiness gate can wait for that.
	minReadySeconds int32
	// healthCheckNodePort points an instance group of a Local Service at
	// the Service's healthCheckNodePort instead of the traffic port.
	healthCheckNodePort bool
	// announceDrain taints a node Karpenter-style before draining it;
	// without it the drain only cordons, as kubectl drain does.
	announceDrain bool
	// automatic runs tgc's pod webhook for the namespace, labelled for
	// injection, and the binding sets drain.inject: the pod template
	// carries no gate, no preStop and no grace period, all of which the
	// webhook adds (automatic_test.go).
	automatic bool
}

// setups are the three ways every scenario runs: tgc's recommended setup
// written by hand and the automatic one, which must drop nothing, and the
// naive one, whose failures show what the other two prevent.
func setups() []setup {
	return []setup{
		{
			name:               "recommended",
			gate:               true,
			preStopSeconds:     preStopSeconds,
			gracePeriodSeconds: terminationGracePeriodSeconds,
			mustNotFail:        true,
		},
		{
			// No gate, no preStop and no grace period in the template:
			// the webhook adds them, sized from the target group.
			name:        "automatic",
			automatic:   true,
			mustNotFail: true,
		},
		{
			// No gate and no preStop; the Kubernetes default grace period,
			// which does not matter since the app exits at SIGTERM.
			name:               "naive",
			gracePeriodSeconds: 30,
		},
	}
}

// app is the workload: every pod serves HTTP on containerPort and passes
// its readiness probe once it listens.
func app(namespace string, replicas int32) testcluster.App {
	return testcluster.App{
		Name:           appName,
		Namespace:      namespace,
		Replicas:       replicas,
		Image:          "registry.example/web:1",
		ContainerPort:  containerPort,
		ReadinessProbe: true,
	}
}

// deployment is the app's Deployment in setup s. Its rollingUpdate is
// maxSurge 1, maxUnavailable 0, the setting that should never lose
// capacity.
func deployment(namespace string, s setup, replicas int32) *appsv1.Deployment {
	d := app(namespace, replicas).Deployment()
	d.Spec.MinReadySeconds = s.minReadySeconds
	pod := &d.Spec.Template.Spec
	if s.gracePeriodSeconds > 0 {
		pod.TerminationGracePeriodSeconds = ptr.To(s.gracePeriodSeconds)
	}
	if s.gate {
		pod.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: podgate.ConditionType(bindingName)}}
	}
	if s.preStopSeconds > 0 {
		pod.Containers[0].Lifecycle = &corev1.Lifecycle{
			PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: s.preStopSeconds}},
		}
	}
	return d
}

// service is the app's Service, port 80 named "http" to the pods' "http".
func service(namespace string) *corev1.Service { return app(namespace, 0).Service() }

func binding(namespace, targetGroupARN string) *v1alpha1.TargetGroupBinding {
	return &v1alpha1.TargetGroupBinding{
		ObjectMeta: metav1.ObjectMeta{Name: bindingName, Namespace: namespace},
		Spec: v1alpha1.TargetGroupBindingSpec{
			TargetGroupARN: targetGroupARN,
			TargetType:     v1alpha1.TargetTypeIP,
			ServiceRef:     v1alpha1.ServiceReference{Name: appName, Port: intstr.FromString("http")},
		},
	}
}
