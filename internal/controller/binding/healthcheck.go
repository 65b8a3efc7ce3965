package binding

import (
	"context"
	"strconv"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// ReasonHealthCheckPortMismatch is the Warning Event on an instance binding
// of a Service with externalTrafficPolicy Local whose target group does not
// check the Service's healthCheckNodePort.
const ReasonHealthCheckPortMismatch = "HealthCheckPortMismatch"

// healthCheckWarnings remembers, in memory only, the pair of ports each
// binding was last warned about, so that a mismatch is announced once per
// controller process and again when either port changes.
type healthCheckWarnings struct {
	mu     sync.Mutex
	warned map[types.NamespacedName]string
}

func newHealthCheckWarnings() *healthCheckWarnings {
	return &healthCheckWarnings{warned: map[types.NamespacedName]string{}}
}

// first records pair for key and reports whether it is new.
func (w *healthCheckWarnings) first(key types.NamespacedName, pair string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.warned[key] == pair {
		return false
	}
	w.warned[key] = pair
	return true
}

func (w *healthCheckWarnings) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.warned, key)
}

// checkHealthCheckPort warns when a Local Service's nodes are checked on
// another port than its healthCheckNodePort. There kube-proxy answers 200
// only while the node runs a ready endpoint of the Service, and 503 once
// its last one terminates, so the load balancer stops sending to a node
// that is losing its pods even before tgc deregisters it. A check on the
// traffic port passes as long as kube-proxy forwards to a terminating pod
// that still serves. A Service without a healthCheckNodePort (type
// NodePort allocates none) has nothing better to check.
func (c *Controller) checkHealthCheckPort(ctx context.Context, tgb *v1alpha1.TargetGroupBinding, tg elbv2.TargetGroup, svc *corev1.Service) {
	if svc == nil || targetType(tgb) != v1alpha1.TargetTypeInstance ||
		svc.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal || svc.Spec.HealthCheckNodePort == 0 {
		return
	}
	want := strconv.Itoa(int(svc.Spec.HealthCheckNodePort))
	have := tg.HealthCheckPort
	if have == "" {
		have = "traffic-port" // the API default
	}
	if have == want {
		c.hcWarnings.forget(bindingKey(tgb))
		return
	}
	if !c.hcWarnings.first(bindingKey(tgb), have+"/"+want) {
		return
	}
	log.FromContext(ctx).Info("target group health check does not use the Service's healthCheckNodePort",
		"targetGroupARN", tg.ARN, "healthCheckPort", have, "healthCheckNodePort", want)
	c.event(tgb, true, ReasonHealthCheckPortMismatch, "CheckHealthCheck",
		"target group %s checks port %s, but Service %s has externalTrafficPolicy Local and healthCheckNodePort %s, where kube-proxy answers 200 only while the node runs a ready endpoint; set the group's health check port to %s (aws elbv2 modify-target-group --health-check-port %s)",
		tg.ARN, have, svc.Name, want, want, want)
}
