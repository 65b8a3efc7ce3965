package integration

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/test/identity"
)

// The tests' controllers authenticate as the shipped ServiceAccount, and
// the API server holds them to its roles: were they the cluster admin, no
// rule missing from config/rbac could fail a test.
func TestControllersRunAsTheShippedServiceAccountNotAsAdmin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	as, err := kubernetes.NewForConfig(e.ControllerConfig)
	if err != nil {
		t.Fatal(err)
	}
	who, err := as.AuthenticationV1().SelfSubjectReviews().Create(e.ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := who.Status.UserInfo.Username, shared.controller.Username(); got != want {
		t.Errorf("controllers authenticate as %s, want %s", got, want)
	}
	if got := who.Status.UserInfo.Groups; strings.Contains(strings.Join(got, ","), "system:masters") {
		t.Errorf("controllers are in the groups %v, system:masters among them", got)
	}
	denied := map[string]authorizationv1.ResourceAttributes{
		"list Secrets in every namespace":                {Verb: "list", Resource: "secrets"},
		"do anything to anything, as admins may":         {Verb: "*", Group: "*", Resource: "*"},
		"create ClusterRoleBindings, to grant them more": {Verb: "create", Group: rbacv1.GroupName, Resource: "clusterrolebindings"},
	}
	for what, attrs := range denied {
		r, err := as.AuthorizationV1().SelfSubjectAccessReviews().Create(e.ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &attrs},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("asking whether controllers may %s: %v", what, err)
		}
		if r.Status.Allowed {
			t.Errorf("controllers may %s", what)
		}
	}
}

// Two replicas elect a leader through a Lease in the controller's own
// namespace; the shipped leader-election Role is all that lets them.
func TestTheShippedRoleLetsTheControllerLeadThroughALeaseInItsNamespace(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	o := e.controllerOptions()
	o.LeaderElect = true
	o.LeaderElectionID = uniq("tgc-identity")
	o.LeaseDuration, o.RenewDeadline, o.RetryPeriod = 4*time.Second, 2*time.Second, 500*time.Millisecond
	c := e.StartController(o)
	select {
	case <-c.Elected():
	case <-time.After(30 * time.Second):
		t.Fatalf("not elected within 30s through Lease %s/%s as %s", o.LeaderElectionNamespace, o.LeaderElectionID, shared.controller.Username())
	}
	var lease coordinationv1.Lease
	if err := e.kube.Get(e.ctx, client.ObjectKey{Namespace: shared.controller.Namespace, Name: o.LeaderElectionID}, &lease); err != nil {
		t.Fatalf("the Lease is not in the controller's namespace: %v", err)
	}
}

// A rule missing from the shipped role fails a test. The controller runs as
// a variant of the shipped identity without patch on pods/status, the rule
// the readiness gate controller writes the gate with: the pod's target is
// registered and healthy, yet the API server refuses the gate, so the pod
// never turns Ready.
func TestARuleMissingFromTheShippedRoleFailsTheControllerThatNeedsIt(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	variant, err := identity.Install(e.ctx, shared.cluster, identity.Options{
		Suffix: "-without-pod-status",
		Revoke: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e.RunAs(variant)
	errs := recordErrors(e)
	arn := e.targetGroup()
	labels := e.gatedApp("gated", 1)
	e.binding("gated", "gated", intstr.FromInt32(80), arn)
	e.startController(e.controllerOptions())

	e.waitHealthy(arn, 1, 30*time.Second)
	e.eventually(30*time.Second, "the API server to refuse the gate to "+variant.Username(), func() (bool, string) {
		return errs.find(func(err error) bool {
			return apierrors.IsForbidden(err) && strings.Contains(err.Error(), `"pods/status"`) && strings.Contains(err.Error(), variant.Username())
		}), fmt.Sprintf("errors logged: %v", errs.all())
	})
	for _, p := range e.pods(labels) {
		if c := podCondition(&p, podgate.ConditionType("gated")); c != nil || isTrue(podCondition(&p, corev1.PodReady)) {
			t.Errorf("pod %s has gate %+v and conditions %+v; want no gate and not Ready", p.Name, c, p.Status.Conditions)
		}
	}
}

// errorLog keeps the errors a controller logs.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

// recordErrors makes e's controllers log through a sink that keeps every
// error it is given, and passes everything on to the test's log.
func recordErrors(e *env) *errorLog {
	l := &errorLog{}
	e.Log = logr.New(errorSink{LogSink: e.Log.GetSink(), log: l})
	return l
}

func (l *errorLog) find(match func(error) bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		if match(err) {
			return true
		}
	}
	return false
}

func (l *errorLog) all() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return errors.Join(l.errs...)
}

type errorSink struct {
	logr.LogSink
	log *errorLog
}

func (s errorSink) Error(err error, msg string, kv ...any) {
	s.log.mu.Lock()
	s.log.errs = append(s.log.errs, err)
	s.log.mu.Unlock()
	s.LogSink.Error(err, msg, kv...)
}

func (s errorSink) WithValues(kv ...any) logr.LogSink {
	return errorSink{LogSink: s.LogSink.WithValues(kv...), log: s.log}
}

func (s errorSink) WithName(name string) logr.LogSink {
	return errorSink{LogSink: s.LogSink.WithName(name), log: s.log}
}
