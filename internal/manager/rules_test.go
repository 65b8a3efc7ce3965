package manager

import (
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

var rulesFile = filepath.Join("..", "..", "prometheus", "rules.yaml")

// ruleQueries reads the expressions of a Prometheus rule file and the names
// its recording rules record.
func ruleQueries(path string) ([]query, map[string]bool, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	// Every key Prometheus accepts, so that parsing can be strict.
	var file struct {
		Groups []struct {
			Name        string            `json:"name"`
			Interval    string            `json:"interval"`
			QueryOffset string            `json:"query_offset"`
			Limit       int               `json:"limit"`
			Labels      map[string]string `json:"labels"`
			Rules       []struct {
				Record        string            `json:"record"`
				Alert         string            `json:"alert"`
				Expr          string            `json:"expr"`
				For           string            `json:"for"`
				KeepFiringFor string            `json:"keep_firing_for"`
				Labels        map[string]string `json:"labels"`
				Annotations   map[string]string `json:"annotations"`
			} `json:"rules"`
		} `json:"groups"`
	}
	if err := yaml.UnmarshalStrict(raw, &file); err != nil {
		// Strict, so that a misspelt key fails here rather than dropping a
		// rule's expression from the check.
		return nil, nil, fmt.Errorf("parsing %s: %w", path, err)
	}
	var qs []query
	recorded := map[string]bool{}
	for _, g := range file.Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				recorded[r.Record] = true
			}
			qs = append(qs, query{where: fmt.Sprintf("rule %s", r.Record+r.Alert), expr: r.Expr})
		}
	}
	return qs, recorded, nil
}
