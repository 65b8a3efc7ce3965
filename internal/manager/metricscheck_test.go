package manager

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// checkedQueries are the queries of one file the metric check reads, with
// the names that file's recording rules record.
type checkedQueries struct {
	qs       []query
	recorded map[string]bool
}

// checkedFiles reads the dashboard's and the rules' queries.
func checkedFiles(t *testing.T) map[string]checkedQueries {
	t.Helper()
	dash, err := dashboardQueries(readDashboard(t, dashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	rules, recorded, err := ruleQueries(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]checkedQueries{
		"config/grafana/tgc.json": {qs: dash},
		"prometheus/rules.yaml":   {qs: rules, recorded: recorded},
	}
}

// TestDashboardAndRulesUseOnlyExportedMetrics: a panel or an alert on a
// metric tgc does not export stays empty or never fires. The dashboard may
// not lean on recording rules either, which an operator may not load.
func TestDashboardAndRulesUseOnlyExportedMetrics(t *testing.T) {
	exported := exportedMetricNames(t)
	for file, c := range checkedFiles(t) {
		if len(c.qs) == 0 {
			t.Errorf("no query read from %s", file)
		}
		if err := checkMetrics(c.qs, exported, c.recorded); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
}

// TestChecksNameTheMetricARegistryLacks: the check is a guard; against a
// registry without a metric a file uses, it fails and says which.
func TestChecksNameTheMetricARegistryLacks(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := registerMetrics(reg, Options{ReadinessGates: true}); err != nil {
		t.Fatal(err)
	}
	exported := describedNames(reg)
	used := map[string]map[string]bool{}
	for file, c := range checkedFiles(t) {
		var err error
		if used[file], err = usedMetrics(c.qs, exported); err != nil {
			t.Fatal(err)
		}
		for metric := range used[file] {
			err := checkMetrics(c.qs, describedNames(without{Collector: reg, name: metric}), c.recorded)
			if err == nil || !strings.Contains(err.Error(), metric) {
				t.Errorf("%s checked against a registry without %s: err = %v, want one naming it", file, metric, err)
			}
		}
	}
	// So a metric both use going missing fails both checks.
	both := 0
	for m := range used["config/grafana/tgc.json"] {
		if used["prometheus/rules.yaml"][m] {
			both++
		}
	}
	if both == 0 {
		t.Error("the dashboard and the rules share no metric")
	}
}
