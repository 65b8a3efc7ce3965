package report

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
)

// Versus is a side-by-side run of tgc and the peer (the AWS Load Balancer
// Controller) on the same harness: bench/results/peer.json.
type Versus struct {
	Scale       string    `json:"scale"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Commit      string    `json:"commit"`
	PeerVersion string    `json:"peerVersion"`
	Machine     Machine   `json:"machine"`
	// Load is /proc/loadavg's 1-minute figure when each controller's run
	// began and ended, by controller: the machine is shared.
	Load map[string][2]string `json:"loadAverage"`
	// PeerArgs are the flags the peer ran with.
	PeerArgs []string `json:"peerArgs"`
	Rows     []Op     `json:"rows"`
	// Idle are the calls each controller made in the idle window after
	// convergence, by controller.
	Idle       map[string]measure.CallCounts `json:"idle"`
	IdleWindow float64                       `json:"idleWindowSec"`
	Targets    []Target                      `json:"targets"`
	Notes      []string                      `json:"notes,omitempty"`
	// Carried are the rows this run did not measure, taken from an earlier
	// peer.json, grouped by the run that measured them.
	Carried []Carried `json:"carried,omitempty"`
}

// Carried names rows an earlier run measured, and that run.
type Carried struct {
	Rows    []string             `json:"rows"`
	Started time.Time            `json:"started"`
	Commit  string               `json:"commit"`
	Load    map[string][2]string `json:"loadAverage"`
}

// idleRow is the name the idle window goes by in Carried.
const idleRow = "idle"

// ReadVersus reads a peer.json.
func ReadVersus(path string) (Versus, error) {
	var v Versus
	b, err := os.ReadFile(path)
	if err != nil {
		return v, fmt.Errorf("reading %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return v, fmt.Errorf("decoding %s: %w", path, err)
	}
	return v, nil
}

// CarryOver fills the rows of cur that this run did not measure (not in
// measured), and its idle window unless idleMeasured, from prev, and
// records in cur.Carried which run each came from: prev's, or the run prev
// itself had carried it from. A row prev lacks stays empty.
func CarryOver(prev Versus, cur *Versus, measured map[string]bool, idleMeasured bool) {
	origin := func(name string) Carried {
		for _, c := range prev.Carried {
			if slices.Contains(c.Rows, name) {
				return Carried{Started: c.Started, Commit: c.Commit, Load: c.Load}
			}
		}
		return Carried{Started: prev.Started, Commit: prev.Commit, Load: prev.Load}
	}
	add := func(name string) {
		o := origin(name)
		for i := range cur.Carried {
			if cur.Carried[i].Started.Equal(o.Started) {
				cur.Carried[i].Rows = append(cur.Carried[i].Rows, name)
				return
			}
		}
		o.Rows = []string{name}
		cur.Carried = append(cur.Carried, o)
	}
	for i, r := range cur.Rows {
		if measured[r.Name] {
			continue
		}
		j := slices.IndexFunc(prev.Rows, func(p Op) bool { return p.Name == r.Name })
		if j < 0 {
			continue
		}
		cur.Rows[i] = prev.Rows[j]
		add(r.Name)
	}
	if !idleMeasured && len(prev.Idle) > 0 {
		cur.Idle, cur.IdleWindow = prev.Idle, prev.IdleWindow
		add(idleRow)
	}
}

// Op is one row: an operation both controllers ran, and their figures.
type Op struct {
	Name string `json:"op"`
	// Single marks a single-endpoint flip, where the target is exactly one
	// write and no read before it.
	Single bool `json:"single,omitempty"`
	TGC    Side `json:"tgc"`
	Peer   Side `json:"peer"`
	// Ratios are tgc's median over the peer's; nil when either side has no
	// sample.
	ReactionRatio *float64 `json:"reactionRatio"`
	EndToEndRatio *float64 `json:"endToEndRatio"`
}

// Side is one controller's figures for an operation.
type Side struct {
	Reaction measure.Summary `json:"reaction"`
	EndToEnd measure.Summary `json:"endToEnd"`
	Ops      int             `json:"ops"`
	// Calls per operation, all, mutating and Describe, in the operation's
	// window (its first write until the next operation's).
	CallsPerOp    float64 `json:"callsPerOp"`
	MutatingPerOp float64 `json:"mutatingPerOp"`
	DescribePerOp float64 `json:"describePerOp"`
	// DescribeBefore counts operations with a Describe call between the
	// write and the first mutating call.
	DescribeBefore int `json:"opsWithDescribeBeforeWrite"`
	// OneWrite counts operations with exactly one mutating call.
	OneWrite int `json:"opsWithOneWrite"`
	// Missed counts operations whose change never showed.
	Missed int `json:"missed,omitempty"`
	// After a restart: until the last group's first DescribeTargetHealth
	// (none when some group was never read), and how many of how many
	// groups were read.
	Verified   measure.Summary `json:"verified,omitzero"`
	GroupsRead int             `json:"groupsRead,omitempty"`
	Groups     int             `json:"groups,omitempty"`
}

// Ratio is a / b, rounded to two decimals, or nil when either is missing.
func Ratio(a, b measure.Summary) *float64 {
	if a.N == 0 || b.N == 0 || b.P50Ms == 0 {
		return nil
	}
	r := math.Round(a.P50Ms/b.P50Ms*100) / 100
	return &r
}

// The targets the side-by-side run is judged by.
const (
	MaxReactionRatio = 0.5
	MaxEndToEndRatio = 0.7
)

// Judge fills each row's ratios and returns the verdicts: tgc/peer at most
// MaxReactionRatio on every reaction and MaxEndToEndRatio on every end to
// end, no more calls per operation than the peer on any row, and on a
// single-endpoint flip exactly one write with no read before it.
func Judge(rows []Op) []Target {
	var out []Target
	for i := range rows {
		r := &rows[i]
		r.ReactionRatio = Ratio(r.TGC.Reaction, r.Peer.Reaction)
		r.EndToEndRatio = Ratio(r.TGC.EndToEnd, r.Peer.EndToEnd)
		out = append(out,
			ratioTarget(r.Name+": reaction tgc/peer", MaxReactionRatio, r.ReactionRatio),
			ratioTarget(r.Name+": end to end tgc/peer", MaxEndToEndRatio, r.EndToEndRatio),
			callsTarget(r))
		if r.Single {
			out = append(out, Check(r.Name+": one write, no read before it", "every flip",
				fmt.Sprintf("%d of %d flips with one write; %d with a Describe before it", r.TGC.OneWrite, r.TGC.Ops, r.TGC.DescribeBefore),
				r.TGC.Ops > 0 && r.TGC.OneWrite == r.TGC.Ops && r.TGC.DescribeBefore == 0))
		}
	}
	return out
}

// callsTarget compares calls per operation only when both controllers
// completed every operation of the row: an operation that never showed
// may have made no calls, which is no saving.
func callsTarget(r *Op) Target {
	const name, goal = ": AWS calls per operation", "tgc <= peer"
	if r.TGC.Ops == 0 || r.Peer.Ops == 0 || r.TGC.Missed > 0 || r.Peer.Missed > 0 {
		return Unchecked(r.Name+name, goal, fmt.Sprintf("not every operation completed (tgc %d of %d missed, peer %d of %d)", r.TGC.Missed, r.TGC.Ops, r.Peer.Missed, r.Peer.Ops))
	}
	return Check(r.Name+name, goal, fmt.Sprintf("tgc %.2f, peer %.2f", r.TGC.CallsPerOp, r.Peer.CallsPerOp), r.TGC.CallsPerOp <= r.Peer.CallsPerOp)
}

func ratioTarget(name string, limit float64, ratio *float64) Target {
	goal := fmt.Sprintf("<= %.1f", limit)
	if ratio == nil {
		return Unchecked(name, goal, "not measured on both sides")
	}
	return Check(name, goal, fmt.Sprintf("%.2f", *ratio), *ratio <= limit)
}

// Section markers of the side-by-side table in BENCHMARKS.md.
const (
	VersusStart = "<!-- peer-table:start -->"
	VersusEnd   = "<!-- peer-table:end -->"
)

// VersusTable renders the side-by-side table: per row, each controller's
// reaction and end to end (median, p99, min-max, in ms), the ratios and
// the calls per operation.
func VersusTable(v Versus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s scale, %s; tgc %s, peer %s; load average (1 min) tgc %s -> %s, peer %s -> %s on %d cores.\n\n",
		v.Scale, v.Started.UTC().Format("2006-01-02 15:04Z"), v.Commit, v.PeerVersion,
		v.Load["tgc"][0], v.Load["tgc"][1], v.Load["peer"][0], v.Load["peer"][1], v.Machine.Cores)
	for _, c := range v.Carried {
		fmt.Fprintf(&b, "Carried over from the run of %s (tgc %s; load tgc %s -> %s, peer %s -> %s): %s.\n\n",
			c.Started.UTC().Format("2006-01-02 15:04Z"), c.Commit, c.Load["tgc"][0], c.Load["tgc"][1], c.Load["peer"][0], c.Load["peer"][1], strings.Join(c.Rows, "; "))
	}
	b.WriteString("| operation | reaction tgc | reaction peer | ratio | end to end tgc | end to end peer | ratio | calls/op tgc | calls/op peer |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range v.Rows {
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Name,
			latency(r.TGC.Reaction), latency(r.Peer.Reaction), ratio(r.ReactionRatio, MaxReactionRatio),
			latency(r.TGC.EndToEnd), latency(r.Peer.EndToEnd), ratio(r.EndToEndRatio, MaxEndToEndRatio),
			calls(r.TGC), calls(r.Peer))
	}
	if len(v.Idle) > 0 {
		fmt.Fprintf(&b, "| idle %.0f s after convergence | | | | | | | %d calls | %d calls |\n",
			v.IdleWindow, v.Idle["tgc"].Total, v.Idle["peer"].Total)
	}
	for _, r := range v.Rows {
		if r.TGC.Groups == 0 && r.Peer.Groups == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s: every group read again after the restart: tgc %s, peer %s.\n", r.Name, verified(r.TGC), verified(r.Peer))
	}
	return b.String()
}

// verified says when the last group was read after a restart, or how many
// were.
func verified(s Side) string {
	if s.Verified.N > 0 {
		return fmt.Sprintf("%s ms (%d of %d groups read)", num(s.Verified.P50Ms), s.GroupsRead, s.Groups)
	}
	if s.Groups == 0 {
		return "n/a"
	}
	return fmt.Sprintf("not every group (%d of %d groups read)", s.GroupsRead, s.Groups)
}

func latency(s measure.Summary) string {
	if s.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%s (p99 %s, %s–%s; n=%d)", num(s.P50Ms), num(s.P99Ms), num(s.MinMs), num(s.MaxMs), s.N)
}

// num prints a millisecond figure with the precision that matters at its
// size.
func num(ms float64) string {
	if ms >= 100 {
		return fmt.Sprintf("%.0f", ms)
	}
	return fmt.Sprintf("%.1f", ms)
}

func ratio(r *float64, limit float64) string {
	if r == nil {
		return "n/a"
	}
	if *r > limit {
		return fmt.Sprintf("**%.2f**", *r)
	}
	return fmt.Sprintf("%.2f", *r)
}

func calls(s Side) string {
	return fmt.Sprintf("%.2f (%.2f write + %.2f read)", s.CallsPerOp, s.MutatingPerOp, s.DescribePerOp)
}

// UpsertSection replaces what lies between start and end in doc with body,
// or appends the markers and body when doc has none.
func UpsertSection(doc, start, end, body string) string {
	i := strings.Index(doc, start)
	j := strings.Index(doc, end)
	if i < 0 || j < i {
		if doc != "" && !strings.HasSuffix(doc, "\n") {
			doc += "\n"
		}
		return doc + "\n" + start + "\n" + body + end + "\n"
	}
	return doc[:i] + start + "\n" + body + doc[j:]
}

// WriteJSON writes v as indented JSON to path.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
