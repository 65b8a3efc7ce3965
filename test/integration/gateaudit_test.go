package integration

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/gateaudit"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// The readiness-gate webhook's failurePolicy is Ignore, so pods created
// while it is down are admitted without their gate. Here no webhook runs at
// all: a namespace that asks for gates gets pods without them, and each is
// reported with a Warning Event on the pod.
func TestAPodAdmittedWithoutItsGateWhileTheWebhookWasDownIsReported(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	arn := e.targetGroup()
	e.labelNamespace(v1alpha1.ReadinessGateInjectLabel, v1alpha1.ReadinessGateInjectEnabled)
	e.binding("web", "web", intstr.FromString("web"), arn)
	e.startController(e.controllerOptions())
	// The binding is older than the pods by more than the API's one-second
	// resolution, so the webhook would have given them its gate.
	time.Sleep(1100 * time.Millisecond)
	// The Service before its pods, as the webhook would need it too: a pod
	// created before any Service selects it is no binding's to gate.
	app := testcluster.App{Name: "web", Replicas: 1, ContainerPort: 8080, ServicePortName: "web"}
	e.create(app.Service())
	e.create(app.Deployment())
	labels := app.Labels()
	e.eventually(30*time.Second, "a pod of the app", func() (bool, string) {
		return len(e.pods(labels)) == 1, "no pod yet"
	})
	pod := e.pods(labels)[0]
	e.waitEvent(pod.Name, corev1.EventTypeWarning, gateaudit.ReasonGateMissing, 30*time.Second)
}
