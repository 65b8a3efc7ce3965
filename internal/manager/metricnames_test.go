package manager

import (
	"regexp"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// exportedMetricNames registers tgc's collectors as the binary does, with
// every optional controller on, and reads back the metric names they
// describe. The dashboard and rule checks compare against it.
func exportedMetricNames(t *testing.T) map[string]bool {
	t.Helper()
	reg := prometheus.NewRegistry()
	if _, err := registerMetrics(reg, Options{ReadinessGates: true}); err != nil {
		t.Fatal(err)
	}
	return describedNames(reg)
}

// describedNames reads the names of the metrics c describes. A registry is
// a collector of everything registered in it.
func describedNames(c prometheus.Collector) map[string]bool {
	descs := make(chan *prometheus.Desc)
	go func() {
		defer close(descs)
		c.Describe(descs)
	}()
	names := map[string]bool{}
	for d := range descs {
		if n := fqName(d); n != "" {
			names[n] = true
		}
	}
	return names
}

var fqNamePattern = regexp.MustCompile(`fqName: "([^"]+)"`)

// fqName is the metric name of d, which client_golang shows only in
// String().
func fqName(d *prometheus.Desc) string {
	if m := fqNamePattern.FindStringSubmatch(d.String()); m != nil {
		return m[1]
	}
	return ""
}

// without describes what c describes except the metric named name: a
// registry lacking one metric, to see the checks fail.
type without struct {
	prometheus.Collector
	name string
}

func (w without) Describe(ch chan<- *prometheus.Desc) {
	all := make(chan *prometheus.Desc)
	go func() {
		defer close(all)
		w.Collector.Describe(all)
	}()
	for d := range all {
		if fqName(d) != w.name {
			ch <- d
		}
	}
}
