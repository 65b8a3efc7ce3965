package rollout

import (
	"bytes"
	"fmt"
	"html"
	"os"
	"sort"
	"strings"
	"time"
)

// The page is drawn by hand into strings, not by a template: every
// element's place is arithmetic on the run's times, and the SVG must stay
// well-formed XML, which escaping each text with html.EscapeString (it
// escapes all of & < > ' ") guarantees. Nothing is fetched: no scripts,
// fonts or images, so the file opens the same offline and in a CI artifact.

const (
	pageWidth = 1360
	labelW    = 250 // the lanes' names, left of the plot
	plotX0    = labelW + 10
	plotX1    = pageWidth - 20
	laneH     = 22
	axisH     = 24
)

// stateColors are the ELB target states, the colours the legend shows.
var stateColors = []struct{ state, color, meaning string }{
	{"initial", "#9ecae1", "registered, health checks not yet passed"},
	{"healthy", "#31a354", "passing health checks, taking traffic"},
	{"unhealthy", "#de2d26", "failing health checks"},
	{"draining", "#fd8d3c", "deregistered, in-flight requests finishing"},
	{"unused", "#bdbdbd", "not used by any listener"},
	{"unavailable", "#969696", "health checks disabled"},
}

// podPhases are the segments of a pod's lane.
var podPhases = []struct{ class, color, meaning string }{
	{"starting", "#d9d9d9", "created, not yet Ready"},
	{"ready", "#6baed6", "Ready (the target-health gate True)"},
	{"unready", "#fdd0a2", "no longer Ready, not yet terminating"},
	{"prestop", "#9e9ac8", "terminating: preStop hook running, app still serving"},
	{"stopping", "#fdae6b", "terminating: app signalled, draining"},
	{"exited", "#fcbba1", "containers exited, pod not yet removed"},
}

// targetPalette colours each target's share of the traffic.
var targetPalette = []string{"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#aec7e8", "#98df8a", "#c5b0d5", "#c49c94"}

const failColor = "#d62728"

// WriteFile writes the report's page to path.
func (r Report) WriteFile(path string) error {
	if err := os.WriteFile(path, r.HTML(), 0o644); err != nil {
		return fmt.Errorf("writing the rollout report %s: %w", path, err)
	}
	return nil
}

// Summary is the report's figures on one line.
func (r Report) Summary() string {
	f := r.Figures
	return fmt.Sprintf("%d requests sent at %d/s, %d failed (listener counted %d sent, %d failed); %d AWS calls by tgc, %d of them writes; %d targets, %d pods over %.1fs",
		f.Sent, f.Rate, f.Failed, f.ListenerSent, f.ListenerFailed, f.Calls, f.Writes, len(r.Targets), len(r.Pods), r.End.Sub(r.Start).Seconds())
}

// HTML is the report as one self-contained page.
func (r Report) HTML() []byte {
	var b bytes.Buffer
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	title := r.Title
	if title == "" {
		title = "Rollout report"
	}
	p("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>%s</title>\n<style>\n%s</style>\n</head>\n<body>\n", esc(title), css)
	p("<h1>%s</h1>\n", esc(title))
	p("<p class=\"when\">%s to %s UTC (%.1f s). Times below are seconds since the recording started.</p>\n",
		r.Start.UTC().Format("2006-01-02 15:04:05"), r.End.UTC().Format("15:04:05"), r.End.Sub(r.Start).Seconds())
	r.writeFigures(&b)
	sc := newScale(r.Start, r.End, r.Notes)
	r.writeNotes(&b, sc)

	p("<h2>tgc's AWS calls</h2>\n<p class=\"note\">One tick per call the controller made (the harness's own calls are left out). Hover a tick for its action and result.</p>\n")
	p("%s", legend([]legendItem{{"#31a354", "RegisterTargets", ""}, {"#e6550d", "DeregisterTargets", ""}, {"#636363", "other calls", "(DescribeTargetHealth, …)"}, {failColor, "failed", "an error answer, e.g. Throttling"}}))
	r.writeCalls(&b, sc)
	p("<h2>Requests per second through the listener, by target</h2>\n<p class=\"note\">Each bar is %s of traffic, split by the target that answered, in the colours of the target lanes below; red is requests that failed. Every failed request the load generator saw is a red mark on the strip above the bars.</p>\n", binLabel(r.Traffic))
	colors := r.writeTraffic(&b, sc)
	p("<h2>Targets in the target group</h2>\n<p class=\"note\">One lane per target, from its registration (the lane starts) to its removal (×), coloured by the state the ELB reports.</p>\n")
	p("%s", legend(stateLegend()))
	r.writeTargets(&b, sc, colors)
	p("<h2>Pods</h2>\n<p class=\"note\">One lane per pod, from its creation: ● Ready turned True, ◆ the target-health gate turned True, ✕ the pod left the API. A lane starting at 0 with a hatched edge was already there.</p>\n")
	p("%s", legend(podLegend()))
	r.writePods(&b, sc)
	r.writeFailureList(&b)
	p("</body>\n</html>\n")
	return b.Bytes()
}

const css = `body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;margin:24px;color:#222;max-width:1400px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 4px}
.when,.note{color:#555;margin:2px 0 8px}
table.figures{border-collapse:collapse;margin:10px 0}
table.figures td,table.figures th{border:1px solid #ddd;padding:4px 10px;text-align:right}
table.figures th{text-align:left;background:#f6f6f6;font-weight:600}
.bad{color:#d62728;font-weight:700}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;margin:4px 0 6px;font-size:13px}
.legend span.sw{display:inline-block;width:14px;height:10px;margin-right:5px;vertical-align:middle;border:1px solid #999}
svg{display:block;max-width:100%;height:auto;font:12px system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif}
svg text.label{font-size:12px}svg text.sub{font-size:10px;fill:#666}
svg .grid{stroke:#eee}svg .axis{fill:#666;font-size:11px}
ol.notes{margin:6px 0;padding-left:22px;font-size:13px}
table.failures{border-collapse:collapse;font-size:13px}
table.failures td,table.failures th{border:1px solid #ddd;padding:2px 8px}
`

func (r Report) writeFigures(b *bytes.Buffer) {
	f := r.Figures
	bad := func(n uint64) string {
		if n > 0 {
			return " class=\"bad\""
		}
		return ""
	}
	fmt.Fprintf(b, "<table class=\"figures\">\n<tr><th>Requests sent (load generator)</th><td data-figure=\"sent\">%d</td><th>Failed</th><td data-figure=\"failed\"%s>%d</td><th>Rate</th><td data-figure=\"rate\">%d/s</td></tr>\n",
		f.Sent, bad(uint64(f.Failed)), f.Failed, f.Rate)
	fmt.Fprintf(b, "<tr><th>Through the listener (emulator)</th><td data-figure=\"listener-sent\">%d</td><th>Failed</th><td data-figure=\"listener-failed\"%s>%d</td><th>Targets</th><td data-figure=\"targets\">%d</td></tr>\n",
		f.ListenerSent, bad(f.ListenerFailed), f.ListenerFailed, len(r.Targets))
	fmt.Fprintf(b, "<tr><th>AWS calls by tgc</th><td data-figure=\"calls\">%d</td><th>Writes</th><td data-figure=\"writes\">%d</td><th>Pods</th><td data-figure=\"pods\">%d</td></tr>\n</table>\n",
		f.Calls, f.Writes, len(r.Pods))
}

// scale maps the run's times to x, and carries the notes every drawing
// marks.
type scale struct {
	start, end time.Time
	notes      []Note
}

func newScale(start, end time.Time, notes []Note) scale {
	if !end.After(start) {
		end = start.Add(time.Second)
	}
	return scale{start, end, notes}
}

func (s scale) x(t time.Time) float64 {
	if t.Before(s.start) {
		t = s.start
	}
	if t.After(s.end) {
		t = s.end
	}
	return plotX0 + float64(t.Sub(s.start))/float64(s.end.Sub(s.start))*(plotX1-plotX0)
}

func (s scale) sec(t time.Time) float64 { return t.Sub(s.start).Seconds() }

// step is the gridline spacing: the smallest round step that keeps at
// most about sixteen lines.
func (s scale) step() time.Duration {
	d := s.end.Sub(s.start)
	for _, st := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute} {
		if d/st <= 16 {
			return st
		}
	}
	return 10 * time.Minute
}

// grid draws vertical gridlines from y0 to y1 and the seconds under them,
// and a dashed line at each note.
func (s scale) grid(b *bytes.Buffer, y0, y1 float64) {
	st := s.step()
	for t := time.Duration(0); t <= s.end.Sub(s.start); t += st {
		x := s.x(s.start.Add(t))
		fmt.Fprintf(b, "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", x, y0, x, y1)
		fmt.Fprintf(b, "<text class=\"axis\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%gs</text>\n", x, y1+14, t.Seconds())
	}
	for i, n := range s.notes {
		x := s.x(n.At)
		fmt.Fprintf(b, "<line class=\"note\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" stroke-dasharray=\"3 3\"><title>%d. %+.2fs %s</title></line>\n", x, y0, x, y1, i+1, s.sec(n.At), esc(n.Text))
	}
}

// noteLabels numbers the notes along a strip at y, moving a number down a
// row when it would overlap the one before.
func (s scale) noteLabels(b *bytes.Buffer, y float64) {
	lastX, row := -100.0, 0
	for i, n := range s.notes {
		x := s.x(n.At)
		if x-lastX < 16 {
			row = (row + 1) % 2
		} else {
			row = 0
		}
		lastX = x
		fmt.Fprintf(b, "<text class=\"note-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"11\" font-weight=\"bold\">%d<title>%+.2fs %s</title></text>\n", x, y+float64(row)*12, i+1, s.sec(n.At), esc(n.Text))
	}
}

// writeNotes lists the notes the drawings number.
func (r Report) writeNotes(b *bytes.Buffer, sc scale) {
	if len(r.Notes) == 0 {
		return
	}
	b.WriteString("<ol class=\"notes\">\n")
	for _, n := range r.Notes {
		fmt.Fprintf(b, "<li>%+.2fs %s</li>\n", sc.sec(n.At), esc(n.Text))
	}
	b.WriteString("</ol>\n<p class=\"note\">The numbered dashed lines below mark these moments.</p>\n")
}

func svgOpen(b *bytes.Buffer, id string, height float64) {
	// The viewBox lets a narrower window shrink the drawing rather than
	// scroll it; the CSS keeps its proportions.
	fmt.Fprintf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" role=\"img\">\n", id, pageWidth, height, pageWidth, height)
}

func (r Report) writeCalls(b *bytes.Buffer, sc scale) {
	rows := []struct {
		name string
		is   func(Call) bool
	}{
		{"writes (Register/Deregister)", Call.Write},
		{"reads (Describe…)", func(c Call) bool { return !c.Write() }},
	}
	top := 0.0
	if len(sc.notes) > 0 {
		top = 28
	}
	h := top + float64(len(rows))*laneH + axisH + 6
	svgOpen(b, "calls", h)
	sc.noteLabels(b, 11)
	sc.grid(b, top, top+float64(len(rows))*laneH)
	for i, row := range rows {
		y := top + float64(i)*laneH
		n := 0
		for _, c := range r.Calls {
			if row.is(c) {
				n++
			}
		}
		fmt.Fprintf(b, "<text class=\"label\" x=\"4\" y=\"%.1f\">%s</text><text class=\"sub\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d calls</text>\n", y+15, esc(row.name), labelW, y+15, n)
		for _, c := range r.Calls {
			if !row.is(c) {
				continue
			}
			color := "#636363"
			switch {
			case c.Result != "OK":
				color = failColor
			case c.Action == "RegisterTargets":
				color = "#31a354"
			case c.Action == "DeregisterTargets":
				color = "#e6550d"
			}
			x := sc.x(c.At)
			fmt.Fprintf(b, "<line class=\"call\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\"><title>%+.2fs %s (%d targets): %s</title></line>\n",
				x, y+3, x, y+laneH-3, color, sc.sec(c.At), esc(c.Action), c.Targets, esc(c.Result))
		}
	}
	b.WriteString("</svg>\n")
}

// writeTraffic draws the stacked bars and returns each target's colour,
// for the target lanes' keys.
func (r Report) writeTraffic(b *bytes.Buffer, sc scale) map[string]string {
	colors := map[string]string{}
	for i, l := range r.Targets {
		colors[l.Target] = targetPalette[i%len(targetPalette)]
	}
	var others []string
	for _, bin := range r.Traffic {
		for t := range bin.ByTarget {
			if _, ok := colors[t]; !ok {
				colors[t] = targetPalette[(len(colors))%len(targetPalette)]
				others = append(others, t)
			}
		}
	}
	order := make([]string, 0, len(colors))
	for _, l := range r.Targets {
		order = append(order, l.Target)
	}
	sort.Strings(others)
	order = append(order, others...)

	const stripH, chartH = 16.0, 160.0
	top := stripH + 6
	svgOpen(b, "traffic", top+chartH+axisH+6)
	peak := 1.0
	for _, bin := range r.Traffic {
		peak = max(peak, float64(bin.Total())/bin.To.Sub(bin.From).Seconds())
	}
	peak = niceCeil(peak)
	y := func(rate float64) float64 { return top + chartH - rate/peak*chartH }
	sc.grid(b, top, top+chartH)
	for _, frac := range []float64{0, 0.5, 1} {
		fmt.Fprintf(b, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/><text class=\"axis\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g/s</text>\n",
			plotX0, y(peak*frac), plotX1, y(peak*frac), plotX0-4, y(peak*frac)+4, peak*frac)
	}
	fmt.Fprintf(b, "<text class=\"label\" x=\"4\" y=\"%.1f\">failed requests</text><text class=\"sub\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d failed</text>\n", stripH-3, labelW, stripH-3, len(r.Failures))
	fmt.Fprintf(b, "<text class=\"label\" x=\"4\" y=\"%.1f\">requests/s</text>\n", top+chartH/2)
	for _, f := range r.Failures {
		x := sc.x(f.At)
		fmt.Fprintf(b, "<line class=\"failure\" x1=\"%.1f\" y1=\"1\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1.5\"><title>%+.3fs failed: %s</title></line>\n", x, x, stripH, failColor, sc.sec(f.At), esc(f.Cause))
	}
	for _, bin := range r.Traffic {
		secs := bin.To.Sub(bin.From).Seconds()
		x0, x1 := sc.x(bin.From), sc.x(bin.To)
		w := max(0.5, x1-x0-0.5)
		acc := 0.0
		stack := func(n uint64, color, class, what string) {
			if n == 0 {
				return
			}
			rate := float64(n) / secs
			fmt.Fprintf(b, "<rect class=\"%s\" data-n=\"%d\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%+.2fs: %d requests %s</title></rect>\n",
				class, n, x0, y(acc+rate), w, y(acc)-y(acc+rate), color, sc.sec(bin.From), n, esc(what))
			acc += rate
		}
		for _, t := range order {
			stack(bin.ByTarget[t], colors[t], "served", "answered by "+t)
		}
		stack(bin.Failed, failColor, "failed", "failed")
	}
	b.WriteString("</svg>\n")
	return colors
}

func (r Report) writeTargets(b *bytes.Buffer, sc scale, colors map[string]string) {
	n := max(1, len(r.Targets))
	h := float64(n)*laneH + axisH + 6
	svgOpen(b, "targets", h)
	sc.grid(b, 0, float64(n)*laneH)
	if len(r.Targets) == 0 {
		fmt.Fprintf(b, "<text class=\"label\" x=\"4\" y=\"15\">no target was registered during the run</text>\n")
	}
	for i, l := range r.Targets {
		y := float64(i) * laneH
		fmt.Fprintf(b, "<rect x=\"4\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>", y+6, colors[l.Target])
		fmt.Fprintf(b, "<text class=\"label\" x=\"18\" y=\"%.1f\">%s</text>", y+15, esc(l.Target))
		if l.Pod != "" {
			fmt.Fprintf(b, "<text class=\"sub\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>", labelW, y+15, esc(shortPod(l.Pod)))
		}
		b.WriteString("\n")
		for _, s := range l.Spans {
			x0, x1 := sc.x(s.From), sc.x(s.To)
			fmt.Fprintf(b, "<rect class=\"span state-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s %s from %+.2fs to %+.2fs</title></rect>\n",
				esc(s.State), x0, y+4, max(1, x1-x0), laneH-8, stateColor(s.State), esc(s.State), esc(s.Reason), sc.sec(s.From), sc.sec(s.To))
		}
		if len(l.Spans) > 0 {
			first, last := l.Spans[0], l.Spans[len(l.Spans)-1]
			if first.From.After(sc.start.Add(150 * time.Millisecond)) {
				x := sc.x(first.From)
				fmt.Fprintf(b, "<line class=\"registered\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#000\" stroke-width=\"2\"><title>registered at %+.2fs</title></line>\n", x, y+2, x, y+laneH-2, sc.sec(first.From))
			}
			if last.Gone {
				fmt.Fprintf(b, "<text class=\"gone\" x=\"%.1f\" y=\"%.1f\" font-size=\"14\">×<title>gone at %+.2fs</title></text>\n", sc.x(last.To)+2, y+16, sc.sec(last.To))
			}
		}
	}
	b.WriteString("</svg>\n")
}

func (r Report) writePods(b *bytes.Buffer, sc scale) {
	n := max(1, len(r.Pods))
	h := float64(n)*laneH + axisH + 6
	svgOpen(b, "pods", h)
	b.WriteString("<defs><pattern id=\"before\" width=\"4\" height=\"4\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect width=\"2\" height=\"4\" fill=\"#888\"/></pattern></defs>\n")
	sc.grid(b, 0, float64(n)*laneH)
	if len(r.Pods) == 0 {
		fmt.Fprintf(b, "<text class=\"label\" x=\"4\" y=\"15\">no pod was seen</text>\n")
	}
	for i, p := range r.Pods {
		y := float64(i) * laneH
		fmt.Fprintf(b, "<text class=\"label\" x=\"4\" y=\"%.1f\">%s</text><text class=\"sub\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", y+15, esc(shortPod(p.Name)), labelW, y+15, esc(p.IP))
		end := sc.end
		if !p.Gone.IsZero() {
			end = p.Gone
		}
		for _, seg := range podSegments(p, end) {
			x0, x1 := sc.x(seg.from), sc.x(seg.to)
			if x1-x0 < 0.2 {
				continue
			}
			fmt.Fprintf(b, "<rect class=\"phase phase-%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"%s\"><title>%s %s from %+.2fs to %+.2fs</title></rect>\n",
				seg.class, x0, y+4, x1-x0, laneH-8, phaseColor(seg.class), esc(p.Name), seg.class, sc.sec(seg.from), sc.sec(seg.to))
		}
		if p.Before {
			fmt.Fprintf(b, "<rect x=\"%d\" y=\"%.1f\" width=\"6\" height=\"%d\" fill=\"url(#before)\"/>\n", plotX0, y+4, laneH-8)
		}
		if !p.Ready.IsZero() {
			fmt.Fprintf(b, "<circle class=\"mark-ready\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#08519c\"><title>Ready at %+.2fs</title></circle>\n", sc.x(p.Ready), y+laneH/2, sc.sec(p.Ready))
		}
		if !p.GateTrue.IsZero() {
			x, cy := sc.x(p.GateTrue), y+laneH/2
			fmt.Fprintf(b, "<path class=\"mark-gate\" d=\"M%.1f %.1f l4 -5 l4 5 l-4 5 z\" fill=\"#006d2c\" stroke=\"#fff\" stroke-width=\"0.8\"><title>gate True at %+.2fs</title></path>\n", x-4, cy, sc.sec(p.GateTrue))
		}
		if !p.Gone.IsZero() {
			fmt.Fprintf(b, "<text class=\"gone\" x=\"%.1f\" y=\"%.1f\" font-size=\"13\">✕<title>gone at %+.2fs</title></text>\n", sc.x(p.Gone)+2, y+16, sc.sec(p.Gone))
		}
	}
	b.WriteString("</svg>\n")
}

type segment struct {
	class    string
	from, to time.Time
}

// podSegments cuts a pod's lane at each change of phase.
func podSegments(p PodLane, end time.Time) []segment {
	type mark struct {
		at    time.Time
		class string
	}
	marks := []mark{{p.Created, "starting"}}
	add := func(at time.Time, class string) {
		if !at.IsZero() {
			marks = append(marks, mark{at, class})
		}
	}
	add(p.Ready, "ready")
	add(p.Unready, "unready")
	add(p.Terminating, "prestop")
	stop := p.PreStopEnd
	if stop.IsZero() {
		stop = p.Terminating
	}
	add(stop, "stopping")
	add(p.Exited, "exited")
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].at.Before(marks[j].at) })
	var out []segment
	for i, m := range marks {
		to := end
		if i+1 < len(marks) {
			to = marks[i+1].at
		}
		if to.After(end) {
			to = end
		}
		if to.After(m.at) {
			out = append(out, segment{m.class, m.at, to})
		}
	}
	return out
}

// writeFailureList sums the failed requests up by cause, with when each
// cause was first and last seen; the marks above the bars show each one.
func (r Report) writeFailureList(b *bytes.Buffer) {
	if len(r.Failures) == 0 {
		b.WriteString("<h2>Failed requests</h2>\n<p class=\"note\">None: every request the load generator sent got a 2xx answer.</p>\n")
		return
	}
	type tally struct {
		n           int
		first, last time.Time
	}
	byCause := map[string]*tally{}
	var causes []string
	for _, f := range r.Failures {
		c := byCause[f.Cause]
		if c == nil {
			c = &tally{first: f.At, last: f.At}
			byCause[f.Cause] = c
			causes = append(causes, f.Cause)
		}
		c.n++
		if f.At.Before(c.first) {
			c.first = f.At
		}
		if f.At.After(c.last) {
			c.last = f.At
		}
	}
	sort.Slice(causes, func(i, j int) bool { return byCause[causes[i]].first.Before(byCause[causes[j]].first) })
	fmt.Fprintf(b, "<h2>Failed requests</h2>\n<table class=\"failures\">\n<tr><th>Cause</th><th>Requests</th><th>First</th><th>Last</th></tr>\n")
	for _, cause := range causes {
		c := byCause[cause]
		fmt.Fprintf(b, "<tr><td>%s</td><td>%d</td><td>%+.3fs</td><td>%+.3fs</td></tr>\n", esc(cause), c.n, c.first.Sub(r.Start).Seconds(), c.last.Sub(r.Start).Seconds())
	}
	b.WriteString("</table>\n")
}

type legendItem struct{ color, name, meaning string }

func legend(items []legendItem) string {
	var b strings.Builder
	b.WriteString("<div class=\"legend\">")
	for _, it := range items {
		fmt.Fprintf(&b, "<span><span class=\"sw\" style=\"background:%s\"></span><b>%s</b> %s</span>", it.color, esc(it.name), esc(it.meaning))
	}
	b.WriteString("</div>\n")
	return b.String()
}

func stateLegend() []legendItem {
	var out []legendItem
	for _, s := range stateColors {
		out = append(out, legendItem{s.color, s.state, s.meaning})
	}
	return out
}

func podLegend() []legendItem {
	var out []legendItem
	for _, s := range podPhases {
		out = append(out, legendItem{s.color, s.class, s.meaning})
	}
	return out
}

func stateColor(state string) string {
	for _, s := range stateColors {
		if s.state == state {
			return s.color
		}
	}
	return "#000"
}

func phaseColor(class string) string {
	for _, s := range podPhases {
		if s.class == class {
			return s.color
		}
	}
	return "#000"
}

// shortPod keeps a pod's name readable in the label column.
func shortPod(name string) string {
	if len(name) <= 34 {
		return name
	}
	return name[:15] + "…" + name[len(name)-16:]
}

func binLabel(bins []Bin) string {
	if len(bins) == 0 {
		return "a slot"
	}
	return bins[0].To.Sub(bins[0].From).String()
}

// niceCeil rounds a peak up to a round multiple of a power of ten, so the axis
// reads in round numbers.
func niceCeil(v float64) float64 {
	p := 1.0
	for p*10 <= v {
		p *= 10
	}
	for _, m := range []float64{1, 1.5, 2, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func esc(s string) string { return html.EscapeString(s) }
