package rollout

import (
	"bytes"
	"encoding/xml"
	"errors"

	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
)

const (
	testGroup    = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo/1"
	testListener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/demo/1/1"
	harnessKey   = "AKIDHARNESS"
)

// recordedRollout is a rolling update of one pod as a recorder would have
// sampled it: old pod a (10.0.0.1) is replaced by new pod b (10.0.0.2)
// under 10 requests/s, with two requests failing while a drains.
func recordedRollout(t0 time.Time) (Config, recording, loadgen.Result, []emulator.Call) {
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	cfg := Config{Title: "rolling <update> & test", TargetGroupARN: testGroup, ListenerARN: testListener, HarnessAccessKey: harnessKey, Rate: 10}
	rec := recording{start: t0, end: at(10)}
	a, b := "10.0.0.1:8080", "10.0.0.2:8080"
	state := func(target, s string) emulator.TargetState { return emulator.TargetState{Target: target, State: s} }
	for s := 0.0; s <= 10; s += 0.5 {
		var states []emulator.TargetState
		switch {
		case s < 6:
			states = append(states, state(a, "healthy"))
		case s < 8:
			states = append(states, state(a, "draining"))
		}
		switch {
		case s >= 2 && s < 4:
			states = append(states, state(b, "initial"))
		case s >= 4:
			states = append(states, state(b, "healthy"))
		}
		rec.targets = append(rec.targets, targetSample{At: at(s), States: states})
		// 5 requests per half second: a answers until 6 s, b from 4 s,
		// and the two at 6.5 s fail.
		n := uint64(s * 10)
		var aOK, bOK, bad uint64
		switch {
		case n <= 40:
			aOK = n
		case n <= 60:
			aOK, bOK = 40+(n-40)/2, (n-40)-(n-40)/2
		default:
			if n > 65 {
				bad = 2
			}
			aOK, bOK = 50, n-50-bad
		}
		rec.counts = append(rec.counts, countSample{At: at(s),
			Listener: emulator.Counts{Success: aOK + bOK, ServerError: bad},
			Targets:  map[string]emulator.Counts{a: {Success: aOK}, b: {Success: bOK}}})
	}
	pod := func(s float64, name, ip string, ready, gate, term, exited, deleted bool) podSample {
		return podSample{At: at(s), Name: name, IP: ip, Created: at(s), Ready: ready, Gate: gate, Terminating: term, Exited: exited, Deleted: deleted, PreStop: time.Second}
	}
	pa := pod(0, "echo-a", "10.0.0.1", true, true, false, false, false)
	pa.Created = t0.Add(-time.Minute)
	rec.pods = []podSample{
		pa,
		pod(1.5, "echo-b", "", false, false, false, false, false),
		pod(1.8, "echo-b", "10.0.0.2", false, false, false, false, false),
		pod(4.2, "echo-b", "10.0.0.2", true, true, false, false, false),
		pod(5.9, "echo-a", "10.0.0.1", true, true, true, false, false),
		pod(6.0, "echo-a", "10.0.0.1", false, true, true, false, false),
		pod(8.0, "echo-a", "10.0.0.1", false, true, true, true, false),
		pod(8.1, "echo-a", "10.0.0.1", false, true, true, true, true),
	}
	load := loadgen.Result{Sent: 100, OK: 98, Failures: []loadgen.Failure{
		{At: at(6.4), Status: 502, Cause: "502 Bad Gateway"}, {At: at(6.45), Status: 502, Cause: "502 Bad Gateway"},
	}}
	calls := []emulator.Call{
		{Action: "DescribeTargetHealth", TargetGroupARN: testGroup, Result: "OK", Time: at(0.5), AccessKeyID: "AKIDCONTROLLER"},
		{Action: "RegisterTargets", TargetGroupARN: testGroup, Targets: 1, Result: "OK", Time: at(2), AccessKeyID: "AKIDCONTROLLER"},
		{Action: "DescribeTargetHealth", TargetGroupARN: testGroup, Result: "OK", Time: at(3), AccessKeyID: harnessKey},
		{Action: "DeregisterTargets", TargetGroupARN: testGroup, Targets: 1, Result: "Throttling", Time: at(5.95), AccessKeyID: "AKIDCONTROLLER"},
		{Action: "DeregisterTargets", TargetGroupARN: testGroup, Targets: 1, Result: "OK", Time: at(6), AccessKeyID: "AKIDCONTROLLER"},
		{Action: "RegisterTargets", TargetGroupARN: "arn:other", Targets: 1, Result: "OK", Time: at(6), AccessKeyID: "AKIDCONTROLLER"},
		{Action: "DescribeTargetGroups", Result: "OK", Time: at(7), AccessKeyID: "AKIDCONTROLLER"},
		{Action: "RegisterTargets", TargetGroupARN: testGroup, Result: "OK", Time: at(11), AccessKeyID: "AKIDCONTROLLER"},
	}
	return cfg, rec, load, calls
}

func TestReportPageIsSelfContainedWellFormedAndCountsTheRun(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg, rec, load, calls := recordedRollout(t0)
	rep := build(cfg, rec, load, calls)
	page := rep.HTML()

	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("the page does not parse as HTML: %v", err)
	}
	checkSelfContained(t, doc, page)
	svgs := svgSources(t, page)
	if len(svgs) != 4 {
		t.Fatalf("the page holds %d SVG drawings, want 4 (calls, traffic, targets, pods)", len(svgs))
	}
	elems := map[string][]xml.StartElement{}
	for _, src := range svgs {
		for class, es := range wellFormed(t, src) {
			elems[class] = append(elems[class], es...)
		}
	}

	// The run's own accounting: 2 requests failed, the listener counted
	// 100 sent and 2 failed, and the controller made 5 calls on the
	// group (the harness's, another group's and a late one are not its).
	want := Figures{Sent: 100, Failed: 2, ListenerSent: 100, ListenerFailed: 2, Calls: 5, Writes: 3, Rate: 10}
	if rep.Figures != want {
		t.Errorf("figures = %+v, want %+v", rep.Figures, want)
	}
	figures := dataFigures(doc)
	for name, want := range map[string]string{
		"sent": "100", "failed": "2", "listener-sent": "100", "listener-failed": "2", "calls": "5", "writes": "3", "targets": "2", "pods": "2",
	} {
		if figures[name] != want {
			t.Errorf("the page's %s figure is %q, want %q", name, figures[name], want)
		}
	}
	if n := len(elems["call"]); n != want.Calls {
		t.Errorf("the page draws %d call ticks, want %d", n, want.Calls)
	}
	if n := len(elems["failure"]); n != want.Failed {
		t.Errorf("the page marks %d failed requests, want %d", n, want.Failed)
	}
	served, failed := sumN(t, elems["served"]), sumN(t, elems["failed"])
	if served+failed != want.ListenerSent || failed != want.ListenerFailed {
		t.Errorf("the traffic bars count %d served and %d failed, want %d requests of which %d failed", served, failed, want.ListenerSent, want.ListenerFailed)
	}
	spans := map[string]int{}
	for _, e := range elems["span"] {
		spans[classOf(e)]++
	}
	if spans["span state-healthy"] != 2 || spans["span state-draining"] != 1 || spans["span state-initial"] != 1 {
		t.Errorf("target spans by state = %v, want a's healthy and draining, b's initial and healthy", spans)
	}
	if n := len(elems["mark-gate"]); n != 2 {
		t.Errorf("the page marks %d gates turning True, want 2", n)
	}
	if !strings.Contains(string(page), "rolling &lt;update&gt; &amp; test") {
		t.Error("the title is not escaped in the page")
	}
}

func TestReportPageOfAnEmptyRunStillDrawsEveryLane(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := build(Config{Title: "nothing happened"}, recording{start: t0, end: t0}, loadgen.Result{}, nil)
	page := rep.HTML()
	if _, err := html.Parse(bytes.NewReader(page)); err != nil {
		t.Fatal(err)
	}
	svgs := svgSources(t, page)
	for _, src := range svgs {
		wellFormed(t, src)
	}
	for _, want := range []string{"no target was registered during the run", "no pod was seen"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("an empty run's page does not say %q", want)
		}
	}
}

// checkSelfContained fails on anything the page would fetch: scripts,
// stylesheets, images, frames, or any http(s) reference in an attribute or
// in CSS. The SVG namespace name is an identifier, never fetched.
func checkSelfContained(t *testing.T, doc *html.Node, page []byte) {
	t.Helper()
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "script", "link", "img", "iframe", "object", "embed", "image", "use":
				t.Errorf("the page has a <%s> element", n.Data)
			}
			for _, a := range n.Attr {
				v := strings.ToLower(a.Val)
				if a.Key == "xmlns" {
					continue
				}
				if strings.Contains(v, "http:") || strings.Contains(v, "https:") || strings.Contains(v, "//") && (a.Key == "src" || a.Key == "href") {
					t.Errorf("<%s %s=%q> refers outside the page", n.Data, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	rest := strings.ReplaceAll(string(page), `xmlns="http://www.w3.org/2000/svg"`, "")
	for _, bad := range []string{"http://", "https://", "@import", "url(http", "@font-face"} {
		if strings.Contains(rest, bad) {
			t.Errorf("the page contains %q", bad)
		}
	}
}

// svgSources cuts each <svg>…</svg> out of the page as written.
func svgSources(t *testing.T, page []byte) []string {
	t.Helper()
	var out []string
	rest := string(page)
	for {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			return out
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatal("an <svg> is not closed")
		}
		out = append(out, rest[i:i+j+len("</svg>")])
		rest = rest[i+j:]
	}
}

// wellFormed decodes src as strict XML and returns its elements by their
// first class.
func wellFormed(t *testing.T, src string) map[string][]xml.StartElement {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(src))
	dec.Strict = true
	out := map[string][]xml.StartElement{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("an SVG of the page is not well-formed XML: %v\n%s", err, src[:min(len(src), 400)])
		}
		if se, ok := tok.(xml.StartElement); ok {
			if c := classOf(se); c != "" {
				out[strings.Fields(c)[0]] = append(out[strings.Fields(c)[0]], se.Copy())
			}
		}
	}
}

func classOf(e xml.StartElement) string {
	for _, a := range e.Attr {
		if a.Name.Local == "class" {
			return a.Value
		}
	}
	return ""
}

func sumN(t *testing.T, es []xml.StartElement) uint64 {
	t.Helper()
	var sum uint64
	for _, e := range es {
		for _, a := range e.Attr {
			if a.Name.Local == "data-n" {
				n, err := strconv.ParseUint(a.Value, 10, 64)
				if err != nil {
					t.Fatalf("data-n=%q: %v", a.Value, err)
				}
				sum += n
			}
		}
	}
	return sum
}

// dataFigures reads the summary table's cells by their data-figure name.
func dataFigures(doc *html.Node) map[string]string {
	out := map[string]string{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if a.Key == "data-figure" && n.FirstChild != nil {
					out[a.Val] = strings.TrimSuffix(n.FirstChild.Data, "/s")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}
