package manifests

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// TestHelmUpgrade upgrades a release of the recorded previous chart to the
// current one on a real API server: the CRDs gain their new fields (Helm
// never upgrades crds/, so they are templates here), a binding survives,
// the caBundle the controller wrote into the webhook configurations is kept,
// and uninstalling leaves the CRDs and the binding.
func TestHelmUpgrade(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane")
	}
	cluster := harness.Cluster(t, testcluster.Options{NoKubelet: true})
	kc := cluster.Kubeconfig
	old := filepath.Join(repoRoot(t), "test", "manifests", "testdata", "targetgroupcontroller-0.0.1.tgz")
	release := []string{"--kubeconfig", kc, "--namespace", "tgc-system"}

	helm(t, append([]string{"install", "tgc", old, "--create-namespace"}, release...)...)
	const crd = "crd/targetgroupbindings.elbv2.tgc.dev"
	const newField = "{.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.targetSelection}"
	if got := kubectl(t, kc, "get", crd, "-o", "jsonpath="+newField); got != "" {
		t.Fatalf("the old chart's CRD already has spec.targetSelection (%s); the upgrade would prove nothing", got)
	}

	// What the running controller would have done: fill in both caBundles.
	// No controller serves the binding webhook here, so it is set to Ignore
	// for the binding to be created; the upgrade must set it back to Fail.
	ca := "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==" // base64 of a PEM header is enough for the API server
	kubectl(t, kc, "patch", "mutatingwebhookconfiguration", "tgc-pod-readiness-gate", "--type=json",
		"-p", `[{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"`+ca+`"}]`)
	kubectl(t, kc, "patch", "validatingwebhookconfiguration", "tgc-validation", "--type=json",
		"-p", `[{"op":"add","path":"/webhooks/0/clientConfig/caBundle","value":"`+ca+`"},{"op":"add","path":"/webhooks/1/clientConfig/caBundle","value":"`+ca+`"},{"op":"replace","path":"/webhooks/0/failurePolicy","value":"Ignore"}]`)
	kubectl(t, kc, "create", "namespace", "shop")
	kubectl(t, kc, "apply", "-n", "shop", "-f", filepath.Join(repoRoot(t), "config", "samples", "targetgroupbinding.yaml"))
	binding := kubectl(t, kc, "get", "tgb", "-n", "shop", "-o", "jsonpath={.items[0].metadata.name} {.items[0].metadata.uid}")

	upgraded := helm(t, append([]string{"upgrade", "tgc", chartDir(t)}, release...)...)
	// NOTES.txt tells the user how to bind a first Service and check it.
	for _, want := range []string{"kind: TargetGroupBinding", "kubectl get tgb -A", "elbv2.tgc.dev/pod-readiness-gate-inject=enabled", "serviceAccount.roleARN"} {
		if !strings.Contains(upgraded, want) {
			t.Errorf("helm upgrade printed no %q in its notes:\n%s", want, upgraded)
		}
	}
	t.Logf("helm upgrade:\n%s", upgraded)

	if got := kubectl(t, kc, "get", crd, "-o", "jsonpath="+newField); !strings.Contains(got, "AnyEndpoint") {
		t.Errorf("after helm upgrade the CRD has no spec.targetSelection (%q): the CRDs were not upgraded", got)
	}
	if got := kubectl(t, kc, "get", "tgb", "-n", "shop", "-o", "jsonpath={.items[0].metadata.name} {.items[0].metadata.uid}"); got != binding {
		t.Errorf("the binding %q did not survive the upgrade: now %q", binding, got)
	}
	for _, w := range []struct{ kind, name, path string }{
		{"mutatingwebhookconfiguration", "tgc-pod-readiness-gate", "{.webhooks[0].clientConfig.caBundle}"},
		{"validatingwebhookconfiguration", "tgc-validation", "{.webhooks[0].clientConfig.caBundle}"},
		{"validatingwebhookconfiguration", "tgc-validation", "{.webhooks[1].clientConfig.caBundle}"},
	} {
		if got := kubectl(t, kc, "get", w.kind, w.name, "-o", "jsonpath="+w.path); got != ca {
			t.Errorf("helm upgrade blanked %s %s %s: %q", w.kind, w.name, w.path, got)
		}
	}
	if got := kubectl(t, kc, "get", "validatingwebhookconfiguration", "tgc-validation", "-o", "jsonpath={.webhooks[0].failurePolicy}"); got != "Fail" {
		t.Errorf("after helm upgrade the binding webhook's failurePolicy is %q, want the chart's Fail", got)
	}
	kubectl(t, kc, "get", "poddisruptionbudget", "-n", "tgc-system", "targetgroupcontroller")

	helm(t, append([]string{"uninstall", "tgc"}, release...)...)
	kubectl(t, kc, "get", crd)
	if got := kubectl(t, kc, "get", "tgb", "-n", "shop", "-o", "jsonpath={.items[0].metadata.uid}"); !strings.HasSuffix(binding, got) || got == "" {
		t.Errorf("helm uninstall removed the binding (uid now %q)", got)
	}
}
