package manifests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// TestServiceMonitorAndPrometheusRuleApplyServerSide applies config/prometheus
// to kube-apiserver serving the Prometheus Operator's CRDs, with server-side
// apply and strict field validation: a field the operator's schema does not
// know is refused rather than pruned. The stored rules must be the rule
// file's, so the schema dropped nothing either.
func TestServiceMonitorAndPrometheusRuleApplyServerSide(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the local control plane")
	}
	cluster := harness.Cluster(t, testcluster.Options{NoKubelet: true})
	root := repoRoot(t)
	kc := cluster.Kubeconfig
	installPrometheusOperatorCRDs(t, kc)

	kubectl(t, kc, "create", "namespace", "tgc-system")
	kubectl(t, kc, "apply", "--server-side", "--validate=strict", "--field-manager=tgc", "-n", "tgc-system",
		"-k", filepath.Join(root, "config", "prometheus"))

	var sm struct {
		Spec struct {
			Endpoints []struct {
				Port, Scheme, BearerTokenFile string
				HonorLabels                   bool
			}
		}
	}
	getJSON(t, kc, &sm, "-n", "tgc-system", "servicemonitor/targetgroupcontroller")
	if len(sm.Spec.Endpoints) != 1 {
		t.Fatalf("ServiceMonitor endpoints = %+v, want one", sm.Spec.Endpoints)
	}
	ep := sm.Spec.Endpoints[0]
	if ep.Port != "metrics" || ep.Scheme != "https" || ep.BearerTokenFile == "" || !ep.HonorLabels {
		t.Errorf("ServiceMonitor endpoint = %+v, want port metrics over https with the ServiceAccount token and the binding's namespace label kept", ep)
	}

	storesTheRuleFile(t, kc, "tgc-system")
}

// storesTheRuleFile checks that the PrometheusRule the API server stores
// in namespace holds exactly the groups of prometheus/rules.yaml, so the
// operator's schema dropped nothing.
func storesTheRuleFile(t *testing.T, kc, namespace string) {
	t.Helper()
	var stored struct {
		Spec struct {
			Groups any `json:"groups"`
		} `json:"spec"`
	}
	getJSON(t, kc, &stored, "-n", namespace, "prometheusrule/targetgroupcontroller")
	raw, err := os.ReadFile(filepath.Join(repoRoot(t), "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups any `json:"groups"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(stored.Spec.Groups, file.Groups) {
		t.Errorf("the API server stores other rules than prometheus/rules.yaml:\nstored %v\nfile   %v", stored.Spec.Groups, file.Groups)
	}
}

// installPrometheusOperatorCRDs applies the operator's CRDs at the version
// hack/versions.env pins, and waits until they are served.
func installPrometheusOperatorCRDs(t *testing.T, kc string) {
	t.Helper()
	crds, err := testcluster.PrometheusOperatorCRDs(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// The CRDs are too large for client-side apply's last-applied annotation.
	args := []string{"apply", "--server-side", "--field-manager=prometheus-operator"}
	for _, crd := range crds {
		args = append(args, "-f", crd)
	}
	kubectl(t, kc, args...)
	waitEstablished(t, kc, "servicemonitors.monitoring.coreos.com", "prometheusrules.monitoring.coreos.com")
}

func getJSON(t *testing.T, kubeconfig string, into any, args ...string) {
	t.Helper()
	out := kubectl(t, kubeconfig, append([]string{"get", "-o", "json"}, args...)...)
	if err := json.NewDecoder(strings.NewReader(out)).Decode(into); err != nil {
		t.Fatalf("decoding kubectl get %s: %v", strings.Join(args, " "), err)
	}
}

// waitEstablished polls until each CRD is Established. kubectl wait (and
// a jsonpath filter) fails instead of waiting on a CRD whose status has no
// conditions yet, as one applied a moment ago may not.
func waitEstablished(t *testing.T, kubeconfig string, crds ...string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for _, crd := range crds {
		for !established(t, kubeconfig, crd) {
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not Established after a minute", crd)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func established(t *testing.T, kubeconfig, crd string) bool {
	var obj struct {
		Status struct {
			Conditions []struct{ Type, Status string }
		}
	}
	getJSON(t, kubeconfig, &obj, "crd", crd)
	for _, c := range obj.Status.Conditions {
		if c.Type == "Established" && c.Status == "True" {
			return true
		}
	}
	return false
}
