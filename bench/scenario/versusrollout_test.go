package scenario

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/bench/report"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

func TestMarkShown(t *testing.T) {
	t0 := time.Unix(100, 0)
	now := t0.Add(30 * time.Millisecond)
	up := measure.Change{At: t0, Target: "10.0.0.1:8080", Dir: measure.Up}
	down := measure.Change{At: t0, Target: "10.0.0.2:8080", Dir: measure.Down}
	cases := map[string]struct {
		states    map[string]string
		before    map[int]time.Time
		wantShown map[int]time.Time
	}{
		"a registered target shows its endpoint ready": {
			states: map[string]string{"10.0.0.1:8080": "initial", "10.0.0.2:8080": "healthy"}, before: map[int]time.Time{},
			wantShown: map[int]time.Time{0: now},
		},
		"a draining target shows its endpoint gone, and a draining new one is not registered": {
			states: map[string]string{"10.0.0.1:8080": "draining", "10.0.0.2:8080": "draining"}, before: map[int]time.Time{},
			wantShown: map[int]time.Time{1: now},
		},
		"an absent target shows its endpoint gone": {
			states: map[string]string{}, before: map[int]time.Time{},
			wantShown: map[int]time.Time{1: now},
		},
		"a change already shown keeps its first time": {
			states: map[string]string{"10.0.0.1:8080": "healthy"}, before: map[int]time.Time{0: t0.Add(time.Millisecond)},
			wantShown: map[int]time.Time{0: t0.Add(time.Millisecond), 1: now},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			shown := tc.before
			markShown([]measure.Change{up, down}, tc.states, now, shown)
			if len(shown) != len(tc.wantShown) {
				t.Fatalf("shown = %v, want %v", shown, tc.wantShown)
			}
			for i, at := range tc.wantShown {
				if !shown[i].Equal(at) {
					t.Errorf("change %d shown at %v, want %v", i, shown[i], at)
				}
			}
		})
	}
}

func TestRolloutSamplesTakeEachChangeFromItsOwnWrite(t *testing.T) {
	zero := time.Unix(100, 0)
	g := "arn:group"
	changes := []measure.Change{
		{At: zero.Add(time.Second), Group: g, Target: "10.0.0.9:8080", Dir: measure.Up},
		{At: zero.Add(time.Second), Group: g, Target: "10.0.0.1:8080", Dir: measure.Down},
		{At: zero.Add(2 * time.Second), Group: g, Target: "10.0.0.8:8080", Dir: measure.Up},
	}
	window := []emulator.Call{
		{Time: zero.Add(1010 * time.Millisecond), Action: "RegisterTargets", Result: "OK", TargetGroupARN: g, TargetIDs: []string{"10.0.0.9:8080"}},
		{Time: zero.Add(1020 * time.Millisecond), Action: "DeregisterTargets", Result: "OK", TargetGroupARN: g, TargetIDs: []string{"10.0.0.1:8080"}},
		{Time: zero.Add(1030 * time.Millisecond), Action: "DescribeTargetHealth", Result: "OK", TargetGroupARN: g},
	}
	shown := map[int]time.Time{0: zero.Add(1015 * time.Millisecond), 1: zero.Add(1025 * time.Millisecond)}
	got := rolloutSamples("tgc", changes, window, g, shown, zero)
	if len(got) != 3 {
		t.Fatalf("%d samples, want one per change (3)", len(got))
	}
	if got[0].reaction != 10*time.Millisecond || got[1].reaction != 20*time.Millisecond || got[0].endToEnd != 15*time.Millisecond || got[1].endToEnd != 25*time.Millisecond {
		t.Errorf("reaction/end to end = %v/%v and %v/%v, want 10ms/15ms and 20ms/25ms", got[0].reaction, got[0].endToEnd, got[1].reaction, got[1].endToEnd)
	}
	if got[2].ReactionMs != nil || got[2].EndToEndMs != nil {
		t.Errorf("a change no call carried and that never showed has figures: %+v", got[2])
	}
	side := sideOf(got, "tgc", opRollout)
	if side.Ops != 3 || side.CallsPerOp != 1 || side.MutatingPerOp != 0.67 || side.Missed != 1 {
		t.Errorf("side = %+v, want 3 ops at 1 call each (2 writes + 1 read over 3 changes), 1 missed", side)
	}
}

func TestSelectedParts(t *testing.T) {
	cases := map[string]struct {
		in      []string
		want    []string
		wantErr bool
	}{
		"none selects every part":    {nil, VersusParts, false},
		"the parts named, no other":  {[]string{"restart"}, []string{"restart"}, false},
		"an unknown part is refused": {[]string{"rolout"}, nil, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := selectedParts(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("selected %v, want %v", got, tc.want)
			}
			for _, p := range tc.want {
				if !got[p] {
					t.Errorf("%s not selected", p)
				}
			}
		})
	}
}

func TestCarriedSamplesKeepOnlyTheCarriedRowsLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "peer.ops.jsonl")
	lines := `{"controller":"tgc","op":"` + opFlip + `","dir":"down"}
{"controller":"peer","op":"` + opFlip + `","dir":"up"}
{"controller":"tgc","op":"` + opRestart + `","dir":"down"}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := carriedSamples(path, []report.Carried{{Rows: []string{opFlip, "idle"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Op != opFlip || got[1].Controller != "peer" {
		t.Errorf("kept %+v, want the two flip lines", got)
	}
	if _, err := carriedSamples(filepath.Join(t.TempDir(), "none.jsonl"), nil); err == nil {
		t.Error("a missing evidence file is no error")
	}
}
