package rollout

import (
	"bytes"
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
	rec := recording{start: t0, end: at(10), notes: []Note{{At: at(1.5), Text: "rollout <starts>"}, {At: at(1.6), Text: "controller stopped"}, {At: at(12), Text: "after the run"}}}
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

	// The run's own accounting: 2 requests failed, the listener counted
	// 100 sent and 2 failed, and the controller made 5 calls on the
	// group (the harness's, another group's and a late one are not its).
	want := Figures{Sent: 100, Failed: 2, ListenerSent: 100, ListenerFailed: 2, Calls: 5, Writes: 3, Rate: 10}
	if rep.Figures != want {
		t.Errorf("figures = %+v, want %+v", rep.Figures, want)
	}
	page := rep.HTML()
	if err := Verify(page, want); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if _, err := html.Parse(bytes.NewReader(page)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(page), "<svg "); n != 4 {
		t.Errorf("the page holds %d drawings, want 4 (calls, traffic, targets, pods)", n)
	}
	drawn, err := drawing(page)
	if err != nil {
		t.Fatal(err)
	}
	spans := map[string]int{}
	for _, e := range drawn["span"] {
		spans[classOf(e)]++
	}
	if spans["span state-healthy"] != 2 || spans["span state-draining"] != 1 || spans["span state-initial"] != 1 {
		t.Errorf("target spans by state = %v, want a's healthy and draining, b's initial and healthy", spans)
	}
	phases := map[string]int{}
	for _, e := range drawn["phase"] {
		phases[classOf(e)]++
	}
	for _, p := range []string{"starting", "ready", "prestop", "stopping", "exited"} {
		if phases["phase phase-"+p] == 0 {
			t.Errorf("no pod lane shows the %s phase (phases drawn: %v)", p, phases)
		}
	}
	if n := len(drawn["mark-gate"]); n != 2 {
		t.Errorf("the page marks %d gates turning True, want 2", n)
	}
	if len(rep.Notes) != 2 || !strings.Contains(string(page), "<li>+1.50s rollout &lt;starts&gt;</li>") {
		t.Errorf("notes = %+v; the page should list the two notes of the run's window, escaped", rep.Notes)
	}
	if n := len(drawn["note"]); n != 4*2 {
		t.Errorf("the page draws %d note lines, want each of the 2 notes on each of the 4 drawings", n)
	}
	if labels := drawn["note-label"]; len(labels) != 2 || attr(labels[0], "y") == attr(labels[1], "y") {
		t.Errorf("note numbers %v: two notes 0.1 s apart should be numbered on two rows", labels)
	}
	if !strings.Contains(string(page), "<td>502 Bad Gateway</td><td>2</td>") {
		t.Error("the failed requests are not summed up by cause")
	}
	if !strings.Contains(string(page), "rolling &lt;update&gt; &amp; test") {
		t.Error("the title is not escaped in the page")
	}
}

func TestVerifyRejects(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cfg, rec, load, calls := recordedRollout(t0)
	rep := build(cfg, rec, load, calls)
	good := string(rep.HTML())
	cases := map[string]struct {
		page    string
		figures func(*Figures)
		want    string
	}{
		"a script from the network": {
			page: strings.Replace(good, "</head>", `<script src="https://cdn.example/chart.js"></script></head>`, 1),
			want: "<script> element",
		},
		"a web font": {
			page: strings.Replace(good, "body{", `@font-face{font-family:x;src:url(https://fonts.example/x.woff)}body{`, 1),
			want: "https://",
		},
		"an SVG that is not well-formed": {
			page: strings.Replace(good, "</title></line>", "</title>", 1),
			want: "not well-formed",
		},
		"a call the drawing lacks": {
			page:    good,
			figures: func(f *Figures) { f.Calls++ },
			want:    "call ticks",
		},
		"a failure the drawing lacks": {
			page:    good,
			figures: func(f *Figures) { f.Failed++ },
			want:    "failed requests",
		},
		"requests the bars do not add up to": {
			page:    good,
			figures: func(f *Figures) { f.ListenerSent += 7 },
			want:    "traffic bars",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f := rep.Figures
			if tc.figures != nil {
				tc.figures(&f)
			}
			err := Verify([]byte(tc.page), f)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want an error about %q", err, tc.want)
			}
		})
	}
}

func TestReportPageOfAnEmptyRunStillDrawsEveryLane(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	rep := build(Config{Title: "nothing happened"}, recording{start: t0, end: t0}, loadgen.Result{}, nil)
	page := rep.HTML()
	if err := Verify(page, rep.Figures); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"no target was registered during the run", "no pod was seen"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("an empty run's page does not say %q", want)
		}
	}
}
