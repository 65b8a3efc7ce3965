// Package manifests checks that the install manifests a user applies are
// accepted by a real API server.
package manifests

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func kubectl(t *testing.T, kubeconfig string, args ...string) string {
	t.Helper()
	return kubectlOutput(t, append([]string{"--kubeconfig", kubeconfig}, args...)...)
}

// kubectlOutput runs kubectl with args and returns its output; the test
// fails when it fails.
func kubectlOutput(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(context.Background(), "kubectl", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// TestKustomizeDefaultInstallsOnARealAPIServer is `kubectl apply -k
// config/default`, the one-command install, against kube-apiserver v1.37.
func TestKustomizeDefaultInstallsOnARealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane")
	}
	cluster := harness.Cluster(t, testcluster.Options{NoKubelet: true})
	root := repoRoot(t)

	kubectl(t, cluster.Kubeconfig, "apply", "-k", filepath.Join(root, "config", "default"))

	want := map[string][]string{
		"deployment/targetgroupcontroller":                    {"-n", "tgc-system"},
		"serviceaccount/targetgroupcontroller":                {"-n", "tgc-system"},
		"crd/targetgroupbindings.elbv2.tgc.dev":               nil,
		"mutatingwebhookconfiguration/tgc-pod-readiness-gate": nil,
		"clusterrole/targetgroupcontroller-metrics-reader":    nil,
		"validatingwebhookconfiguration/tgc-validation":       nil,
	}
	for obj, ns := range want {
		kubectl(t, cluster.Kubeconfig, append([]string{"get", obj}, ns...)...)
	}
	// The CRD is served: the sample binding from config/samples validates.
	kubectl(t, cluster.Kubeconfig, "wait", "--for=condition=Established", "crd/targetgroupbindings.elbv2.tgc.dev")
	kubectl(t, cluster.Kubeconfig, "create", "namespace", "sample")
	sample := filepath.Join(root, "config", "samples", "targetgroupbinding.yaml")
	// No controller runs here, so the binding webhook cannot be reached and
	// its failurePolicy: Fail refuses the binding: a binding is never
	// admitted unchecked while tgc is installed.
	cmd := exec.Command("kubectl", "--kubeconfig", cluster.Kubeconfig, "apply", "-n", "sample", "--dry-run=server", "-f", sample)
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "targetgroupbindings.elbv2.tgc.dev") {
		t.Errorf("a binding was admitted with the validating webhook unreachable (err %v): %s", err, out)
	}
	kubectl(t, cluster.Kubeconfig, "delete", "validatingwebhookconfiguration", "tgc-validation")
	kubectl(t, cluster.Kubeconfig, "apply", "-n", "sample", "--dry-run=server", "-f", sample)

	// The controller's ServiceAccount may do what the reconcilers need, and
	// no more than read Secrets cluster-wide.
	as := "system:serviceaccount:tgc-system:targetgroupcontroller"
	for _, verb := range []string{"list targetgroupbindings.elbv2.tgc.dev", "patch targetgroupbindings.elbv2.tgc.dev --subresource=status", "list endpointslices.discovery.k8s.io", "patch pods --subresource=status", "patch mutatingwebhookconfigurations/tgc-pod-readiness-gate", "patch validatingwebhookconfigurations/tgc-validation", "list targetgrouppolicies.elbv2.tgc.dev", "list namespaces", "create events.events.k8s.io",
		// The metrics server's authentication and authorization filter.
		"create tokenreviews.authentication.k8s.io", "create subjectaccessreviews.authorization.k8s.io"} {
		if got := strings.TrimSpace(kubectl(t, cluster.Kubeconfig, append([]string{"auth", "can-i", "--as", as}, strings.Fields(verb)...)...)); got != "yes" {
			t.Errorf("ServiceAccount can-i %s = %q, want yes", verb, got)
		}
	}
	// The shipped metrics-reader role is what a scraper needs: get /metrics.
	kubectl(t, cluster.Kubeconfig, "create", "serviceaccount", "-n", "sample", "scraper")
	kubectl(t, cluster.Kubeconfig, "create", "clusterrolebinding", "scraper-metrics", "--clusterrole=targetgroupcontroller-metrics-reader", "--serviceaccount=sample:scraper")
	if got := strings.TrimSpace(kubectl(t, cluster.Kubeconfig, "auth", "can-i", "--as", "system:serviceaccount:sample:scraper", "get", "/metrics")); got != "yes" {
		t.Errorf("a ServiceAccount bound to targetgroupcontroller-metrics-reader: can-i get /metrics = %q, want yes", got)
	}
	cmd = exec.Command("kubectl", "--kubeconfig", cluster.Kubeconfig, "auth", "can-i", "--as", as, "list", "secrets", "--all-namespaces")
	if out, _ := cmd.Output(); strings.TrimSpace(string(out)) != "no" {
		t.Errorf("ServiceAccount can list Secrets cluster-wide (%q); least privilege says no", strings.TrimSpace(string(out)))
	}
}

// kubectlStdin runs kubectl with args and stdin as its input.
func kubectlStdin(t *testing.T, kubeconfig, stdin string, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(context.Background(), "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("kubectl %s: %v\n%s%s", strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

// tryKubectl runs kubectl with args and returns its output and error.
func tryKubectl(kubeconfig string, args ...string) (string, error) {
	out, err := exec.CommandContext(context.Background(), "kubectl", append([]string{"--kubeconfig", kubeconfig}, args...)...).Output()
	return string(out), err
}
