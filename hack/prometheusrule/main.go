// Command prometheusrule writes the PrometheusRule object that carries
// prometheus/rules.yaml to the Prometheus Operator. `make generate` runs it,
// and hack/verify-generated.sh fails when its output is stale, so the rule
// file and the object never differ.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	rules := flag.String("rules", "prometheus/rules.yaml", "the Prometheus rule file")
	out := flag.String("out", "config/prometheus/prometheusrule.yaml", "where to write the PrometheusRule")
	flag.Parse()
	if err := run(*rules, *out); err != nil {
		fmt.Fprintln(os.Stderr, "prometheusrule:", err)
		os.Exit(1)
	}
}

func run(rulesPath, outPath string) error {
	src, err := os.ReadFile(rulesPath)
	if err != nil {
		return err
	}
	obj, err := wrap(src, rulesPath)
	if err != nil {
		return fmt.Errorf("wrapping %s: %w", rulesPath, err)
	}
	return os.WriteFile(outPath, obj, 0o644)
}
