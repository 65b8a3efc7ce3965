package report

import (
	"fmt"
	"slices"
	"strings"
)

// The table in BENCHMARKS.md lives between these markers; everything
// outside them is prose the harness never touches.
const (
	TableStart = "<!-- bench-table:start -->"
	TableEnd   = "<!-- bench-table:end -->"
)

// tableHeader is the table's heading; rows follow it.
const tableHeader = "| scenario | scale | date | commit | headline figures | targets |\n|---|---|---|---|---|---|"

// Row is one line of the table: the latest run of a (scenario, scale).
type Row struct {
	Scenario, Scale, Date, Commit, Headline, Verdict string
}

// RowOf renders a result as its table row.
func RowOf(r *Result) Row {
	met, checked := r.AllMet()
	verdict := "all met"
	switch {
	case checked == 0:
		verdict = "not judged"
	case !met:
		var missed []string
		for _, t := range r.Targets {
			if t.Met != nil && !*t.Met {
				missed = append(missed, t.Name)
			}
		}
		verdict = "**missed**: " + strings.Join(missed, ", ")
	}
	return Row{
		Scenario: r.Scenario,
		Scale:    r.Scale,
		Date:     r.Started.UTC().Format("2006-01-02 15:04Z"),
		Commit:   r.Commit,
		Headline: r.Headline,
		Verdict:  verdict,
	}
}

func (r Row) line() string {
	esc := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", esc(r.Scenario), esc(r.Scale), esc(r.Date), esc(r.Commit), esc(r.Headline), esc(r.Verdict))
}

// key is the (scenario, scale) a table line is about, read from its first
// two cells.
func key(line string) (string, string, bool) {
	cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
	if len(cells) < 2 {
		return "", "", false
	}
	return strings.TrimSpace(cells[0]), strings.TrimSpace(cells[1]), true
}

// Upsert puts row into the table between the markers of doc, replacing the
// row of the same scenario and scale, and keeps rows ordered by scenario
// (in the order given by order, others last) then scale. A document
// without markers gets the table appended.
func Upsert(doc string, row Row, order []string) string {
	start := strings.Index(doc, TableStart)
	end := strings.Index(doc, TableEnd)
	if start < 0 || end < start {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + TableStart + "\n" + tableHeader + "\n" + row.line() + "\n" + TableEnd + "\n"
	}
	body := doc[start+len(TableStart) : end]
	var rows []string
	for line := range strings.SplitSeq(body, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") || strings.HasPrefix(line, "|---") {
			continue
		}
		s, sc, ok := key(line)
		if !ok || s == "scenario" || (s == row.Scenario && sc == row.Scale) {
			continue
		}
		rows = append(rows, line)
	}
	rows = append(rows, row.line())
	rank := func(scenario string) int {
		if i := slices.Index(order, scenario); i >= 0 {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(rows, func(a, b string) int {
		sa, ca, _ := key(a)
		sb, cb, _ := key(b)
		if d := rank(sa) - rank(sb); d != 0 {
			return d
		}
		if sa != sb {
			return strings.Compare(sa, sb)
		}
		return strings.Compare(ca, cb)
	})
	return doc[:start] + TableStart + "\n" + tableHeader + "\n" + strings.Join(rows, "\n") + "\n" + doc[end:]
}
