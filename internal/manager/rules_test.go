package manager

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/yaml"

	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/gateaudit"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// exportedMetricNames registers every collector the binary registers and
// reads back the metric names they describe.
func exportedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	if _, err := binding.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	if _, err := readinessgate.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}
	elbv2.NewMetrics(reg)
	if _, err := gateaudit.NewMetrics(reg); err != nil {
		t.Fatal(err)
	}

	descs := make(chan *prometheus.Desc)
	go func() {
		defer close(descs)
		// A registry is a collector of everything registered in it.
		reg.Describe(descs)
	}()
	fqName := regexp.MustCompile(`fqName: "([^"]+)"`)
	names := map[string]bool{}
	for d := range descs {
		if m := fqName.FindStringSubmatch(d.String()); m != nil {
			names[m[1]] = true
		}
	}
	return names
}

// TestAlertRulesUseOnlyExportedMetrics keeps prometheus/rules.yaml honest:
// an expression on a metric tgc does not export would never fire.
func TestAlertRulesUseOnlyExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "prometheus", "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Groups []struct {
			Rules []struct {
				Record, Alert, Expr string
			}
		}
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("parsing prometheus/rules.yaml: %v", err)
	}
	exported := exportedMetricNames(t)
	used := regexp.MustCompile(`\btgc_[a-z_]+`)
	seen := 0
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			for _, name := range used.FindAllString(r.Expr, -1) {
				seen++
				base := name
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(name, suffix); ok && exported[b] {
						base = b
					}
				}
				if !exported[base] {
					t.Errorf("rule %q uses %s, which tgc does not export", r.Record+r.Alert, name)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("no rule uses a tgc_ metric; the file was not read as expected")
	}
}
