package manager

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestChecksNameTheMetricARegistryLacks: the dashboard and rule checks are
// guards; against a registry without a metric they use, each fails and
// says which.
func TestChecksNameTheMetricARegistryLacks(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := registerMetrics(reg, Options{ReadinessGates: true}); err != nil {
		t.Fatal(err)
	}
	exported := describedNames(reg)
	dashQueries, err := dashboardQueries(readDashboard(t, dashboardFile))
	if err != nil {
		t.Fatal(err)
	}
	ruleQs, recorded, err := ruleQueries(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]func(exported map[string]bool) error{
		"dashboard": func(e map[string]bool) error { return checkMetrics(dashQueries, e, nil) },
		"rules":     func(e map[string]bool) error { return checkMetrics(ruleQs, e, recorded) },
	}
	queries := map[string][]query{"dashboard": dashQueries, "rules": ruleQs}

	used := map[string]map[string]bool{}
	for name, check := range checks {
		if err := check(exported); err != nil {
			t.Fatalf("%s check fails against the full registry: %v", name, err)
		}
		if used[name], err = usedMetrics(queries[name], exported); err != nil {
			t.Fatal(err)
		}
		for metric := range used[name] {
			err := check(describedNames(without{Collector: reg, name: metric}))
			if err == nil || !strings.Contains(err.Error(), metric) {
				t.Errorf("%s check against a registry without %s: err = %v, want one naming it", name, metric, err)
			}
		}
	}
	// So a metric both use going missing fails both checks.
	both := 0
	for m := range used["dashboard"] {
		if used["rules"][m] {
			both++
		}
	}
	if both == 0 {
		t.Error("the dashboard and the rules share no metric")
	}
}
