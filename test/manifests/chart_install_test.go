package manifests

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// TestChartInstallsOnARealAPIServer applies the chart rendered with default
// values, then with every option on, to kube-apiserver serving the
// Prometheus Operator's CRDs, with server-side apply and strict field
// validation: a field no schema knows is refused rather than pruned.
func TestChartInstallsOnARealAPIServer(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane")
	}
	cluster := harness.Cluster(t, testcluster.Options{NoKubelet: true})
	kc := cluster.Kubeconfig
	installPrometheusOperatorCRDs(t, kc)
	kubectl(t, kc, "create", "namespace", "tgc-system")
	kubectl(t, kc, "create", "namespace", "monitoring")
	ssa := []string{"apply", "--server-side", "--validate=strict", "--field-manager=helm", "-f", "-"}

	kubectlStdin(t, kc, render(t), ssa...)
	kubectl(t, kc, "-n", "tgc-system", "get", "deployment/targetgroupcontroller", "poddisruptionbudget/targetgroupcontroller",
		"service/tgc-webhook-service", "service/targetgroupcontroller-metrics")

	// Every option on, over the default install, as `helm upgrade` would.
	kubectlStdin(t, kc, render(t, allOptions(t)), ssa...)
	var dep struct {
		Spec struct {
			Replicas int
			Template struct {
				Spec struct {
					PriorityClassName string
					Containers        []struct {
						Image string
						Args  []string
					}
				}
			}
		}
	}
	getJSON(t, kc, &dep, "-n", "tgc-system", "deployment/targetgroupcontroller")
	c := dep.Spec.Template.Spec.Containers[0]
	for _, arg := range []string{"--aws-region=eu-west-1", "--aws-account-id=123456789012", "--watch-namespace=shop,payments", "--webhook-port=9444", "--metrics-bind-address=:9443", "--drift-check-interval=2m"} {
		if !slices.Contains(c.Args, arg) {
			t.Errorf("the Deployment's arguments %v lack %s", c.Args, arg)
		}
	}
	if want := "registry.example.com/tgc@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"; c.Image != want {
		t.Errorf("image = %s, want the digest reference %s", c.Image, want)
	}
	if dep.Spec.Replicas != 3 || dep.Spec.Template.Spec.PriorityClassName != "system-cluster-critical" {
		t.Errorf("replicas %d, priorityClassName %q: the values did not reach the Deployment", dep.Spec.Replicas, dep.Spec.Template.Spec.PriorityClassName)
	}
	var sa struct {
		Metadata struct{ Annotations map[string]string }
	}
	getJSON(t, kc, &sa, "-n", "tgc-system", "serviceaccount/targetgroupcontroller")
	if got := sa.Metadata.Annotations["eks.amazonaws.com/role-arn"]; got != "arn:aws:iam::123456789012:role/targetgroupcontroller" {
		t.Errorf("the ServiceAccount's IRSA annotation is %q", got)
	}
	kubectl(t, kc, "-n", "tgc-system", "get", "secret/tgc-static-keys", "servicemonitor/targetgroupcontroller")
	kubectl(t, kc, "get", "clusterrolebinding/targetgroupcontroller-metrics-reader")
	storesTheRuleFile(t, kc, "tgc-system")

	var cm struct{ Data map[string]string }
	getJSON(t, kc, &cm, "-n", "monitoring", "configmap/targetgroupcontroller-dashboard")
	want, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "grafana", "tgc.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got, wantJSON any
	if err := json.Unmarshal([]byte(cm.Data["tgc.json"]), &got); err != nil {
		t.Fatalf("the dashboard ConfigMap holds no JSON: %v", err)
	}
	if err := json.Unmarshal(want, &wantJSON); err != nil {
		t.Fatal(err)
	}
	gotB, _ := json.Marshal(got)
	wantB, _ := json.Marshal(wantJSON)
	if !bytes.Equal(gotB, wantB) {
		t.Error("the dashboard ConfigMap differs from config/grafana/tgc.json")
	}
}
