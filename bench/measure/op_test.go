package measure

import (
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

func TestReaction(t *testing.T) {
	const g, other = "tg-a", "tg-b"
	call := func(action, group string, startMs int, result string, ids ...string) emulator.Call {
		return emulator.Call{Action: action, TargetGroupARN: group, Result: result, TargetIDs: ids, Time: at(startMs), Duration: msd(3)}
	}
	cases := map[string]struct {
		calls   []emulator.Call
		targets []string
		dir     Direction
		want    time.Duration
		wantOK  bool
	}{
		"one call carrying the target: its start, not its end": {
			calls:   []emulator.Call{call("RegisterTargets", g, 14, "OK", "a:80")},
			targets: []string{"a:80"}, dir: Up, want: msd(14), wantOK: true,
		},
		"a bulk change split over calls ends at the last call's start": {
			calls: []emulator.Call{
				call("DeregisterTargets", g, 10, "OK", "a:80"),
				call("DeregisterTargets", g, 25, "OK", "b:80"),
			},
			targets: []string{"a:80", "b:80"}, dir: Down, want: msd(25), wantOK: true,
		},
		"calls before the write do not count": {
			calls: []emulator.Call{
				call("RegisterTargets", g, -5, "OK", "a:80"),
				call("RegisterTargets", g, 30, "OK", "a:80"),
			},
			targets: []string{"a:80"}, dir: Up, want: msd(30), wantOK: true,
		},
		"a throttled attempt is not the reaction; its retry is": {
			calls: []emulator.Call{
				call("RegisterTargets", g, 5, Throttled, "a:80"),
				call("RegisterTargets", g, 205, "OK", "a:80"),
			},
			targets: []string{"a:80"}, dir: Up, want: msd(205), wantOK: true,
		},
		"the other direction's action does not carry the change": {
			calls:   []emulator.Call{call("RegisterTargets", g, 5, "OK", "a:80")},
			targets: []string{"a:80"}, dir: Down,
		},
		"another group's call does not carry the change": {
			calls:   []emulator.Call{call("RegisterTargets", other, 5, "OK", "a:80")},
			targets: []string{"a:80"}, dir: Up,
		},
		"a target never carried leaves the reaction unmeasured": {
			calls:   []emulator.Call{call("RegisterTargets", g, 5, "OK", "a:80")},
			targets: []string{"a:80", "b:80"}, dir: Up,
		},
		"no targets is no operation": {dir: Up},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, ok := Reaction(tc.calls, g, tc.targets, tc.dir, t0)
			if ok != tc.wantOK || got != tc.want {
				t.Errorf("Reaction = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestShows(t *testing.T) {
	cases := map[string]struct {
		states map[string]string
		dir    Direction
		want   bool
	}{
		"registered in any state but draining shows a registration": {map[string]string{"a:80": "initial", "b:80": "healthy"}, Up, true},
		"one target still missing does not":                         {map[string]string{"a:80": "initial"}, Up, false},
		"a draining target is not registered":                       {map[string]string{"a:80": "healthy", "b:80": "draining"}, Up, false},
		"gone or draining shows a deregistration":                   {map[string]string{"b:80": "draining", "c:80": "healthy"}, Down, true},
		"a target still serving does not":                           {map[string]string{"a:80": "healthy"}, Down, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Shows(tc.states, []string{"a:80", "b:80"}, tc.dir); got != tc.want {
				t.Errorf("Shows = %v, want %v", got, tc.want)
			}
		})
	}
}
