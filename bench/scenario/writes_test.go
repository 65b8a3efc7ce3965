package scenario

import (
	"slices"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/measure"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

func TestChangesOfTurnsWritesIntoEndpointTransitions(t *testing.T) {
	t0 := time.Unix(100, 0)
	writes := []write{
		{At: t0.Add(-time.Second), Group: "g", Ready: []string{"a:1"}},
		{At: t0, Group: "g", Ready: []string{"b:1", "c:1"}, Added: []string{"d:1"}},
		{At: t0.Add(time.Second), Group: "h", NotReady: []string{"a:1"}, Removed: []string{"e:1"}},
	}
	got := changesOf(writes, t0)
	want := []measure.Change{
		{At: t0, Group: "g", Target: "b:1", Dir: measure.Up},
		{At: t0, Group: "g", Target: "c:1", Dir: measure.Up},
		{At: t0.Add(time.Second), Group: "h", Target: "a:1", Dir: measure.Down},
	}
	if !slices.Equal(got, want) {
		t.Errorf("changesOf =\n%+v\nwant (writes before since dropped, added/removed endpoints are no transition)\n%+v", got, want)
	}
}

func TestCountFlipSeparatesDescribesBeforeTheMutation(t *testing.T) {
	t0 := time.Unix(100, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	call := func(action string, startMs, durMs int) emulator.Call {
		return emulator.Call{Action: action, Result: "OK", Time: at(startMs), Duration: time.Duration(durMs) * time.Millisecond}
	}
	applied := measure.Outcome{State: measure.Applied, CallEnd: at(10), Latency: 10 * time.Millisecond}
	cases := map[string]struct {
		window []emulator.Call
		o      measure.Outcome
		want   flipCalls
	}{
		"one mutating call and nothing else": {
			window: []emulator.Call{call("DeregisterTargets", 8, 2)},
			o:      applied,
			want:   flipCalls{Mutating: 1, Latency: 10, State: "applied"},
		},
		"a Describe that completed before the mutation counts as before it": {
			window: []emulator.Call{call("DescribeTargetHealth", 1, 3), call("DeregisterTargets", 8, 2)},
			o:      applied,
			want:   flipCalls{Mutating: 1, Describe: 1, Before: 1, Latency: 10, State: "applied"},
		},
		"a later health read is in the window but not before the mutation": {
			window: []emulator.Call{call("DeregisterTargets", 8, 2), call("DescribeTargetHealth", 500, 1)},
			o:      applied,
			want:   flipCalls{Mutating: 1, Describe: 1, Latency: 10, State: "applied"},
		},
		"a flip that never reached AWS has no Describe before a mutation": {
			window: []emulator.Call{call("DescribeTargetHealth", 1, 1)},
			o:      measure.Outcome{State: measure.Unapplied},
			want:   flipCalls{Describe: 1, State: "unapplied"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := countFlip(tc.window, tc.o); got != tc.want {
				t.Errorf("countFlip = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFlipFiguresAverageOverFlips(t *testing.T) {
	got := flipFigures([]flipCalls{
		{Mutating: 1},
		{Mutating: 1, Describe: 1, Before: 1},
		{Mutating: 2, Describe: 1},
		{Mutating: 0},
	})
	want := flipSummary{MutatingPerFlip: 1, DescribePerFlip: 0.5, OneMutating: 2, DescribesBefore: 1, FlipsWithDescribeBefore: 1}
	if got != want {
		t.Errorf("flipFigures = %+v, want %+v", got, want)
	}
	if (flipFigures(nil) != flipSummary{}) {
		t.Error("no flips should give the zero summary")
	}
}
