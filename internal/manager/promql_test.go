package manager

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// query is one PromQL expression and where it is used, for messages.
type query struct {
	where, expr string
}

var promql = parser.NewParser(parser.Options{})

// metricsIn parses expr and returns the metric names it selects, in order.
// A selector without a metric name is an error: it cannot be checked.
func metricsIn(expr string) ([]string, error) {
	ast, err := promql.ParseExpr(expr)
	if err != nil {
		return nil, err
	}
	var names []string
	var errs []error
	parser.Inspect(ast, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual {
				name = m.Value
			}
		}
		if name == "" {
			errs = append(errs, fmt.Errorf("selector %s names no metric", vs))
			return nil
		}
		names = append(names, name)
		return nil
	})
	return names, errors.Join(errs...)
}

// checkMetrics fails for each query that does not parse and for each metric
// a query selects that is neither in exported nor in recorded (the names
// the rules record), naming the query and the metric. A histogram's
// _bucket, _sum and _count series belong to the histogram's name.
func checkMetrics(qs []query, exported, recorded map[string]bool) error {
	var errs []error
	for _, q := range qs {
		names, err := metricsIn(q.expr)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", q.where, err))
			continue
		}
		for _, name := range names {
			if !exported[exportedBase(name, exported)] && !recorded[name] {
				errs = append(errs, fmt.Errorf("%s uses %s, which is not a metric tgc exports", q.where, name))
			}
		}
	}
	return errors.Join(errs...)
}

func exportedBase(name string, exported map[string]bool) string {
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && exported[base] {
			return base
		}
	}
	return name
}

// usedMetrics is the set of exported metrics the queries select, by the
// name they have in the registry.
func usedMetrics(qs []query, exported map[string]bool) (map[string]bool, error) {
	used := map[string]bool{}
	for _, q := range qs {
		names, err := metricsIn(q.expr)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.where, err)
		}
		for _, n := range names {
			if b := exportedBase(n, exported); exported[b] {
				used[b] = true
			}
		}
	}
	return used, nil
}
