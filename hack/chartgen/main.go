// Command chartgen writes the parts of charts/targetgroupcontroller that
// have another source of truth, so that the chart and config/ never differ:
// the CRDs (config/crd/bases) as templates that `helm upgrade` upgrades, the
// controller's ClusterRole and Role (config/rbac/role.yaml, generated from the
// kubebuilder markers), and the values table of the chart's README (from the
// "# --" comments of values.yaml). `make generate` runs it from the
// repository's root; TestChartIsCurrent fails when its output is stale.
package main

import (
	"fmt"
	"os"
	"path/filepath"
)

// ChartDir is the chart, relative to the repository's root.
const ChartDir = "charts/targetgroupcontroller"

func main() {
	if err := write("."); err != nil {
		fmt.Fprintln(os.Stderr, "chartgen:", err)
		os.Exit(1)
	}
}

// write regenerates every generated file of the chart under root.
func write(root string) error {
	files, err := generate(root)
	if err != nil {
		return err
	}
	crdDir := filepath.Join(root, ChartDir, "templates", "crds")
	// CRDs that no longer exist in config/ must leave the chart too.
	old, _ := filepath.Glob(filepath.Join(crdDir, "*.yaml"))
	for _, f := range old {
		if err := os.Remove(f); err != nil {
			return fmt.Errorf("removing %s: %w", f, err)
		}
	}
	for path, content := range files {
		full := filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return fmt.Errorf("creating the directory of %s: %w", path, err)
		}
		if err := os.WriteFile(full, content, 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// generate returns every generated file of the chart by its path relative
// to root.
func generate(root string) (map[string][]byte, error) {
	out := map[string][]byte{}
	crds, err := filepath.Glob(filepath.Join(root, "config", "crd", "bases", "*.yaml"))
	if err != nil || len(crds) == 0 {
		return nil, fmt.Errorf("finding the CRDs in config/crd/bases: %v", err)
	}
	for _, f := range crds {
		raw, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		tpl, err := crdTemplate(raw)
		if err != nil {
			return nil, fmt.Errorf("templating %s: %w", f, err)
		}
		out[filepath.Join(ChartDir, "templates", "crds", filepath.Base(f))] = tpl
	}

	role, err := os.ReadFile(filepath.Join(root, "config", "rbac", "role.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading config/rbac/role.yaml: %w", err)
	}
	roles, err := rbacTemplate(role)
	if err != nil {
		return nil, fmt.Errorf("templating config/rbac/role.yaml: %w", err)
	}
	out[filepath.Join(ChartDir, "templates", "rbac-generated.yaml")] = roles

	readmePath := filepath.Join(root, ChartDir, "README.md")
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", readmePath, err)
	}
	values, err := os.ReadFile(filepath.Join(root, ChartDir, "values.yaml"))
	if err != nil {
		return nil, fmt.Errorf("reading the chart's values.yaml: %w", err)
	}
	rows, err := valueRows(values)
	if err != nil {
		return nil, fmt.Errorf("documenting the chart's values.yaml: %w", err)
	}
	updated, err := replaceTable(readme, valuesTable(rows))
	if err != nil {
		return nil, fmt.Errorf("updating %s: %w", readmePath, err)
	}
	out[filepath.Join(ChartDir, "README.md")] = updated
	return out, nil
}
