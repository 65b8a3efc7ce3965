package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/tgc-dev/targetgroupcontroller/test/harness"
)

// The scenarios' controller binary authenticates as the shipped
// ServiceAccount, not as the cluster admin: the kubeconfig it is started
// with names that user, who may not list Secrets.
func TestTheControllerBinaryRunsAsItsServiceAccount(t *testing.T) {
	ns := harness.Namespace(t, shared.cluster)
	c, err := shared.startController(ns, filepath.Join(shared.logDir, "identity.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.stop(); err != nil {
			t.Error(err)
		}
	})
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfigOf(c))
	if err != nil {
		t.Fatalf("loading the controller's kubeconfig: %v", err)
	}
	as, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	who, err := as.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := who.Status.UserInfo.Username, shared.identity.Username(); got != want {
		t.Errorf("the controller binary authenticates as %s, want %s", got, want)
	}
	r, err := as.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "list", Resource: "secrets"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Status.Allowed {
		t.Error("the controller binary may list Secrets in every namespace")
	}
}

// kubeconfigOf is the KUBECONFIG the process was started with; of several,
// the last, as exec gives a child the last value of a repeated variable.
func kubeconfigOf(c *controller) string {
	path := ""
	for _, kv := range c.Cmd.Env {
		if v, ok := strings.CutPrefix(kv, "KUBECONFIG="); ok {
			path = v
		}
	}
	return path
}
