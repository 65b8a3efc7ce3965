package report

import (
	"strings"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
)

func TestRatio(t *testing.T) {
	cases := map[string]struct {
		a, b measure.Summary
		want *float64
	}{
		"tgc's median over the peer's, two decimals": {measure.Summary{N: 3, P50Ms: 14}, measure.Summary{N: 3, P50Ms: 44}, ptr(0.32)},
		"no tgc sample gives no ratio":               {measure.Summary{}, measure.Summary{N: 1, P50Ms: 40}, nil},
		"no peer sample gives no ratio":              {measure.Summary{N: 1, P50Ms: 14}, measure.Summary{}, nil},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Ratio(tc.a, tc.b)
			if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
				t.Errorf("Ratio = %v, want %v", deref(got), deref(tc.want))
			}
		})
	}
}

func TestJudge(t *testing.T) {
	fast := measure.Summary{N: 50, P50Ms: 10}
	slow := measure.Summary{N: 50, P50Ms: 40}
	verdicts := func(rows []Op) map[string]*bool {
		out := map[string]*bool{}
		for _, tg := range Judge(rows) {
			out[tg.Name] = tg.Met
		}
		return out
	}
	t.Run("a row within every limit meets every target", func(t *testing.T) {
		rows := []Op{{Name: "flip", Single: true,
			TGC:  Side{Reaction: fast, EndToEnd: fast, CallsPerOp: 1, Ops: 50, OneWrite: 50},
			Peer: Side{Reaction: slow, EndToEnd: slow, CallsPerOp: 2, Ops: 50}}}
		for name, met := range verdicts(rows) {
			if met == nil || !*met {
				t.Errorf("%s not met", name)
			}
		}
		if rows[0].ReactionRatio == nil || *rows[0].ReactionRatio != 0.25 {
			t.Errorf("Judge did not fill the row's ratio: %v", deref(rows[0].ReactionRatio))
		}
	})
	t.Run("the peer faster, or fewer calls, misses the row's targets", func(t *testing.T) {
		v := verdicts([]Op{{Name: "bulk",
			TGC:  Side{Reaction: slow, EndToEnd: slow, CallsPerOp: 2, Ops: 3},
			Peer: Side{Reaction: fast, EndToEnd: fast, CallsPerOp: 1.33, Ops: 3}}})
		for _, name := range []string{"bulk: reaction tgc/peer", "bulk: end to end tgc/peer", "bulk: AWS calls per operation"} {
			if m := v[name]; m == nil || *m {
				t.Errorf("%s: met = %v, want missed", name, deref(m))
			}
		}
	})
	t.Run("a flip with a read before its write misses the one-write target", func(t *testing.T) {
		v := verdicts([]Op{{Name: "flip", Single: true,
			TGC:  Side{Reaction: fast, EndToEnd: fast, CallsPerOp: 1, Ops: 50, OneWrite: 50, DescribeBefore: 1},
			Peer: Side{Reaction: slow, EndToEnd: slow, CallsPerOp: 2, Ops: 50}}})
		if m := v["flip: one write, no read before it"]; m == nil || *m {
			t.Errorf("met = %v, want missed", deref(m))
		}
	})
	t.Run("an operation that never showed leaves the calls unjudged", func(t *testing.T) {
		v := verdicts([]Op{{Name: "bulk",
			TGC:  Side{Reaction: fast, EndToEnd: fast, CallsPerOp: 0, Ops: 1, Missed: 1},
			Peer: Side{Reaction: slow, EndToEnd: slow, CallsPerOp: 5.5, Ops: 2}}})
		if m, ok := v["bulk: AWS calls per operation"]; !ok || m != nil {
			t.Errorf("met = %v, want unchecked", deref(m))
		}
	})
	t.Run("a side without samples is unchecked, not met", func(t *testing.T) {
		v := verdicts([]Op{{Name: "rollout", TGC: Side{Reaction: fast}}})
		if m, ok := v["rollout: reaction tgc/peer"]; !ok || m != nil {
			t.Errorf("met = %v, want unchecked", deref(m))
		}
	})
}

func TestVersusTableMarksRatiosOverTheLimit(t *testing.T) {
	v := Versus{Scale: "full", Commit: "abc1234", PeerVersion: "v3.5.0", Load: map[string][2]string{"tgc": {"1.0", "2.0"}, "peer": {"2.0", "3.0"}},
		Rows: []Op{{Name: "flip",
			TGC:  Side{Reaction: measure.Summary{N: 2, P50Ms: 30, P99Ms: 31, MinMs: 29, MaxMs: 31}, EndToEnd: measure.Summary{N: 2, P50Ms: 10}, CallsPerOp: 1, MutatingPerOp: 1},
			Peer: Side{Reaction: measure.Summary{N: 2, P50Ms: 40}, EndToEnd: measure.Summary{N: 2, P50Ms: 100}, CallsPerOp: 2, MutatingPerOp: 1, DescribePerOp: 1}}}}
	Judge(v.Rows)
	got := VersusTable(v)
	for _, want := range []string{
		"| flip | 30.0 (p99 31.0, 29.0–31.0; n=2) |",
		"| **0.75** |", // reaction ratio over 0.5 is bold
		"| 0.10 |",     // end-to-end ratio within 0.7 is not
		"| 1.00 (1.00 write + 0.00 read) | 2.00 (1.00 write + 1.00 read) |",
		"peer v3.5.0", "tgc 1.0 -> 2.0",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}

func TestUpsertSection(t *testing.T) {
	cases := map[string]struct{ doc, want string }{
		"a document without markers gets them appended": {"# B\n", "# B\n\n<s>\nnew\n<e>\n"},
		"the body between markers is replaced, the rest kept": {
			"# B\n<s>\nold\n<e>\nafter\n", "# B\n<s>\nnew\n<e>\nafter\n",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := UpsertSection(tc.doc, "<s>", "<e>", "new\n"); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func ptr(f float64) *float64 { return &f }

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestCarryOver(t *testing.T) {
	first := time.Date(2026, 11, 30, 19, 45, 0, 0, time.UTC)
	second := first.Add(time.Hour)
	now := second.Add(time.Hour)
	old := func(name string, p50 float64) Op {
		return Op{Name: name, TGC: Side{Ops: 1, Reaction: measure.Summary{N: 1, P50Ms: p50}}}
	}
	fresh := Op{Name: "restart", TGC: Side{Ops: 1, Reaction: measure.Summary{N: 1, P50Ms: 7}}}
	type want struct {
		rows    map[string]float64 // row -> tgc's reaction median
		carried map[string]time.Time
		idle    int
	}
	cases := map[string]struct {
		prev         Versus
		measured     map[string]bool
		idleMeasured bool
		want         want
	}{
		"rows not measured come from the last run, the measured ones stay": {
			prev:     Versus{Started: first, Rows: []Op{old("flip", 10), old("restart", 99)}, Idle: map[string]measure.CallCounts{"tgc": {Total: 1}}},
			measured: map[string]bool{"restart": true},
			want:     want{rows: map[string]float64{"flip": 10, "restart": 7}, carried: map[string]time.Time{"flip": first, "idle": first}, idle: 1},
		},
		"a row the last run had carried keeps the run that measured it": {
			prev: Versus{Started: second, Rows: []Op{old("flip", 10), old("restart", 99)},
				Carried: []Carried{{Rows: []string{"flip"}, Started: first}}},
			measured: map[string]bool{"restart": true}, idleMeasured: true,
			want: want{rows: map[string]float64{"flip": 10, "restart": 7}, carried: map[string]time.Time{"flip": first}},
		},
		"a row the last run lacks stays empty and is not said to be carried": {
			prev:     Versus{Started: first, Rows: []Op{old("restart", 99)}},
			measured: map[string]bool{"restart": true}, idleMeasured: true,
			want: want{rows: map[string]float64{"flip": 0, "restart": 7}, carried: map[string]time.Time{}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cur := Versus{Started: now, Rows: []Op{{Name: "flip"}, fresh}}
			CarryOver(tc.prev, &cur, tc.measured, tc.idleMeasured)
			for _, r := range cur.Rows {
				if r.TGC.Reaction.P50Ms != tc.want.rows[r.Name] {
					t.Errorf("row %s: reaction %v, want %v", r.Name, r.TGC.Reaction.P50Ms, tc.want.rows[r.Name])
				}
			}
			got := map[string]time.Time{}
			for _, c := range cur.Carried {
				for _, r := range c.Rows {
					got[r] = c.Started
				}
			}
			if len(got) != len(tc.want.carried) {
				t.Errorf("carried %v, want %v", got, tc.want.carried)
			}
			for r, at := range tc.want.carried {
				if !got[r].Equal(at) {
					t.Errorf("row %s carried from %v, want %v", r, got[r], at)
				}
			}
			if cur.Idle["tgc"].Total != tc.want.idle {
				t.Errorf("idle = %v, want %d calls", cur.Idle, tc.want.idle)
			}
		})
	}
}

func TestVersusTableSaysWhenEveryGroupWasReadAfterARestart(t *testing.T) {
	v := Versus{Rows: []Op{{Name: "restart",
		TGC:  Side{Verified: measure.Summary{N: 1, P50Ms: 4200}, GroupsRead: 1000, Groups: 1000},
		Peer: Side{GroupsRead: 3, Groups: 1000}}},
		Carried: []Carried{{Rows: []string{"flip", "idle"}, Started: time.Date(2026, 11, 30, 19, 45, 0, 0, time.UTC), Commit: "6a8ad52"}}}
	got := VersusTable(v)
	for _, want := range []string{
		"tgc 4200 ms (1000 of 1000 groups read), peer not every group (3 of 1000 groups read)",
		"Carried over from the run of 2026-11-30 19:45Z (tgc 6a8ad52",
		": flip; idle.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %q:\n%s", want, got)
		}
	}
}
