package report

import (
	"strings"
	"testing"
	"time"
)

func TestUpsertReplacesTheRowOfTheSameScenarioAndScale(t *testing.T) {
	order := []string{"restart", "adopt", "flip"}
	row := func(s, scale, head string) Row {
		return Row{Scenario: s, Scale: scale, Date: "d", Commit: "c", Headline: head, Verdict: "all met"}
	}
	doc := "# Benchmarks\n\nprose\n\n" + TableStart + "\n" + tableHeader + "\n" +
		row("restart", "full", "old").line() + "\n" + row("flip", "quick", "f").line() + "\n" + TableEnd + "\n\nafter\n"
	cases := map[string]struct {
		doc       string
		row       Row
		wantLines []string // table lines, in order, after the header
		wantKeep  []string // prose that must survive
	}{
		"a rerun replaces its row": {
			doc: doc, row: row("restart", "full", "new"),
			wantLines: []string{row("restart", "full", "new").line(), row("flip", "quick", "f").line()},
			wantKeep:  []string{"prose", "after"},
		},
		"another scale gets its own row next to the first": {
			doc: doc, row: row("restart", "quick", "q"),
			wantLines: []string{row("restart", "full", "old").line(), row("restart", "quick", "q").line(), row("flip", "quick", "f").line()},
		},
		"a new scenario is placed in the given order": {
			doc: doc, row: row("adopt", "full", "a"),
			wantLines: []string{row("restart", "full", "old").line(), row("adopt", "full", "a").line(), row("flip", "quick", "f").line()},
		},
		"a document without markers gets the table appended": {
			doc: "# Benchmarks\n", row: row("flip", "full", "x"),
			wantLines: []string{row("flip", "full", "x").line()},
			wantKeep:  []string{"# Benchmarks"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Upsert(tc.doc, tc.row, order)
			table := got[strings.Index(got, TableStart)+len(TableStart) : strings.Index(got, TableEnd)]
			lines := strings.Split(strings.TrimSpace(table), "\n")
			if len(lines) < 2 || lines[0]+"\n"+lines[1] != tableHeader {
				t.Fatalf("table lost its header:\n%s", table)
			}
			lines = lines[2:]
			if strings.Join(lines, "\n") != strings.Join(tc.wantLines, "\n") {
				t.Errorf("rows =\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(tc.wantLines, "\n"))
			}
			for _, keep := range tc.wantKeep {
				if !strings.Contains(got, keep) {
					t.Errorf("prose %q was lost", keep)
				}
			}
			if again := Upsert(got, tc.row, order); again != got {
				t.Errorf("upserting the same row twice changed the document:\n%s\nvs\n%s", got, again)
			}
		})
	}
}

func TestRowOfSaysWhichTargetsWereMissed(t *testing.T) {
	started := time.Date(2026, 3, 4, 5, 6, 0, 0, time.UTC)
	cases := map[string]struct {
		targets []Target
		want    string
	}{
		"every checked target met":      {[]Target{Check("p99", "<1s", "3ms", true), Unchecked("ratio", "<=1.2x", "no floor")}, "all met"},
		"a missed target is named":      {[]Target{Check("p99", "<1s", "3ms", true), Check("throttled", "0", "4", false)}, "**missed**: throttled"},
		"nothing checked is not judged": {[]Target{Unchecked("ratio", "<=1.2x", "no floor")}, "not judged"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := RowOf(&Result{Scenario: "s", Scale: "quick", Started: started, Commit: "abc", Headline: "h | x", Targets: tc.targets})
			if r.Verdict != tc.want {
				t.Errorf("verdict = %q, want %q", r.Verdict, tc.want)
			}
			if r.Date != "2026-03-04 05:06Z" {
				t.Errorf("date = %q", r.Date)
			}
			if !strings.Contains(r.line(), `h \| x`) {
				t.Errorf("a pipe in the headline is not escaped: %s", r.line())
			}
		})
	}
}

func TestPathPutsQuickResultsInTheirOwnDirectory(t *testing.T) {
	if got := Path("bench/results", "full", "restart"); got != "bench/results/restart.json" {
		t.Errorf("full path = %s", got)
	}
	if got := Path("bench/results", "quick", "restart"); got != "bench/results/quick/restart.json" {
		t.Errorf("quick path = %s", got)
	}
}

func TestParseMemTotalReadsKilobytes(t *testing.T) {
	if got := parseMemTotal([]byte("MemTotal:       24576000 kB\nMemFree: 1 kB\n")); got != 24576000*1024 {
		t.Errorf("parseMemTotal = %d", got)
	}
}

func TestCommitNamesTheCheckedOutCommit(t *testing.T) {
	got, err := Commit(t.Context(), ".")
	if err != nil {
		t.Skipf("no git checkout: %v", err)
	}
	head, _, _ := strings.Cut(got, "-")
	if len(head) < 7 || strings.Trim(head, "0123456789abcdef") != "" {
		t.Errorf("Commit = %q, want a short hex commit, maybe with -dirty", got)
	}
}
