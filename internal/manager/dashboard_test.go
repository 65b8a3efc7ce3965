package manager

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var dashboardFile = filepath.Join("..", "..", "config", "grafana", "tgc.json")

// The parts of a Grafana dashboard these tests read.
type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int            `json:"id"`
	Type       string         `json:"type"`
	Title      string         `json:"title"`
	Datasource *datasourceRef `json:"datasource"`
	GridPos    struct {
		X int `json:"x"`
		Y int `json:"y"`
		W int `json:"w"`
		H int `json:"h"`
	} `json:"gridPos"`
	FieldConfig struct {
		Defaults struct {
			Unit string `json:"unit"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
	Targets []struct {
		Expr       string         `json:"expr"`
		Datasource *datasourceRef `json:"datasource"`
	} `json:"targets"`
	// A collapsed row holds its panels.
	Panels []panel `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Datasource *datasourceRef  `json:"datasource"`
	Query      json.RawMessage `json:"query"`
}

func readDashboard(t *testing.T, path string) dashboard {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("parsing %s: %v", path, err)
	}
	return d
}

// allPanels flattens collapsed rows.
func (d dashboard) allPanels() []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// queryText is a variable's query: a string, or in current Grafana an
// object whose "query" field is the string.
func (v variable) queryText() (string, error) {
	if len(v.Query) == 0 {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(v.Query, &s); err == nil {
		return s, nil
	}
	var obj struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &obj); err != nil {
		return "", fmt.Errorf("variable %s: query is neither a string nor an object: %w", v.Name, err)
	}
	return obj.Query, nil
}

var (
	// Grafana's interval variables stand where PromQL wants a duration.
	grafanaInterval = regexp.MustCompile(`\$\{?__(rate_interval|interval|range)(_ms|_s)?\}?`)
	// Any other variable: $name, ${name} or ${name:format}.
	grafanaVariable = regexp.MustCompile(`\$\{(\w+)(:\w+)?\}|\$(\w+)`)
	labelValues     = regexp.MustCompile(`^\s*label_values\((.*),\s*(\w+)\s*\)\s*$`)
	queryResult     = regexp.MustCompile(`^\s*query_result\((.*)\)\s*$`)
)

// toPromQL replaces Grafana's variables by values of the right shape, so
// that the PromQL parser reads the query as Prometheus will.
func toPromQL(expr string) string {
	expr = grafanaInterval.ReplaceAllString(expr, "5m")
	return grafanaVariable.ReplaceAllString(expr, "grafana_variable")
}

// dashboardQueries are every PromQL expression of the dashboard: its
// panels' targets and its query variables (label_values with a selector,
// query_result).
func dashboardQueries(d dashboard) ([]query, error) {
	var qs []query
	for _, p := range d.allPanels() {
		for i, tg := range p.Targets {
			qs = append(qs, query{where: fmt.Sprintf("panel %q query %d", p.Title, i+1), expr: toPromQL(tg.Expr)})
		}
	}
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		text, err := v.queryText()
		if err != nil {
			return nil, err
		}
		where := fmt.Sprintf("variable %s", v.Name)
		switch {
		case labelValues.MatchString(text):
			qs = append(qs, query{where: where, expr: toPromQL(labelValues.FindStringSubmatch(text)[1])})
		case queryResult.MatchString(text):
			qs = append(qs, query{where: where, expr: toPromQL(queryResult.FindStringSubmatch(text)[1])})
		default:
			// label_values(label) and label_names() name no metric: they
			// would list every series Prometheus holds, not tgc's.
			return nil, fmt.Errorf("%s: query %q is not label_values(selector, label) or query_result(expr)", where, text)
		}
	}
	return qs, nil
}

// TestDashboardUsesEveryVariable: a variable no query uses is a selector
// that selects nothing, which misleads whoever sets it.
func TestDashboardUsesEveryVariable(t *testing.T) {
	d := readDashboard(t, dashboardFile)
	// Where variables can be used: queries and data sources of panels and
	// of the other variables.
	var uses []string
	ds := func(r *datasourceRef) string {
		if r == nil {
			return ""
		}
		return r.UID
	}
	for _, p := range d.allPanels() {
		uses = append(uses, ds(p.Datasource))
		for _, tg := range p.Targets {
			uses = append(uses, tg.Expr, ds(tg.Datasource))
		}
	}
	for _, v := range d.Templating.List {
		others := slices.Clone(uses)
		for _, o := range d.Templating.List {
			if o.Name != v.Name {
				text, err := o.queryText()
				if err != nil {
					t.Fatal(err)
				}
				others = append(others, text, ds(o.Datasource))
			}
		}
		ref := regexp.MustCompile(`\$(\{` + regexp.QuoteMeta(v.Name) + `(:\w+)?\}|` + regexp.QuoteMeta(v.Name) + `\b)`)
		if !ref.MatchString(strings.Join(others, "\n")) {
			t.Errorf("variable %s is used by no panel, query or data source", v.Name)
		}
	}
}

// TestDashboardPanelsTileTheGrid: every panel fits Grafana's 24 columns
// without overlapping another, queries the dashboard's data source
// variable, and a graph says its unit.
func TestDashboardPanelsTileTheGrid(t *testing.T) {
	d := readDashboard(t, dashboardFile)
	panels := d.allPanels()
	ids := map[int]string{}
	for i, p := range panels {
		if other, dup := ids[p.ID]; dup {
			t.Errorf("panels %q and %q share id %d", p.Title, other, p.ID)
		}
		ids[p.ID] = p.Title
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v is outside the 24 columns", p.Title, g)
		}
		for _, o := range panels[:i] {
			h := o.GridPos
			if g.X < h.X+h.W && h.X < g.X+g.W && g.Y < h.Y+h.H && h.Y < g.Y+g.H {
				t.Errorf("panels %q and %q overlap", p.Title, o.Title)
			}
		}
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: datasource %+v, want the ${datasource} variable", p.Title, p.Datasource)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		if p.Type == "timeseries" && p.FieldConfig.Defaults.Unit == "" {
			t.Errorf("panel %q: a graph without a unit", p.Title)
		}
	}
}
