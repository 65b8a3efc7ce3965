package rollout

import (
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

func TestTargetLanes(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	st := func(target, state string) emulator.TargetState {
		return emulator.TargetState{Target: target, State: state}
	}
	cases := map[string]struct {
		samples []targetSample
		want    []TargetLane
	}{
		"a state held over samples is one span to the end": {
			samples: []targetSample{{at(0), []emulator.TargetState{st("a:80", "healthy")}}, {at(1), []emulator.TargetState{st("a:80", "healthy")}}},
			want:    []TargetLane{{Target: "a:80", Spans: []Span{{State: "healthy", From: at(0), To: at(9)}}}},
		},
		"each change of state starts a span where the last one ends": {
			samples: []targetSample{{at(0), []emulator.TargetState{st("a:80", "initial")}}, {at(2), []emulator.TargetState{st("a:80", "healthy")}}},
			want:    []TargetLane{{Target: "a:80", Spans: []Span{{State: "initial", From: at(0), To: at(2)}, {State: "healthy", From: at(2), To: at(9)}}}},
		},
		"a target missing from a sample is gone from then": {
			samples: []targetSample{{at(0), []emulator.TargetState{st("a:80", "draining"), st("b:80", "healthy")}}, {at(3), []emulator.TargetState{st("b:80", "healthy")}}},
			want: []TargetLane{
				{Target: "a:80", Spans: []Span{{State: "draining", From: at(0), To: at(3), Gone: true}}},
				{Target: "b:80", Spans: []Span{{State: "healthy", From: at(0), To: at(9)}}},
			},
		},
		"a target registered again gets a new span on its own lane": {
			samples: []targetSample{{at(0), []emulator.TargetState{st("a:80", "healthy")}}, {at(1), nil}, {at(2), []emulator.TargetState{st("a:80", "initial")}}},
			want: []TargetLane{{Target: "a:80", Spans: []Span{
				{State: "healthy", From: at(0), To: at(1), Gone: true}, {State: "initial", From: at(2), To: at(9)},
			}}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := targetLanes(tc.samples, at(9))
			if len(got) != len(tc.want) {
				t.Fatalf("lanes = %+v, want %+v", got, tc.want)
			}
			for i := range got {
				if got[i].Target != tc.want[i].Target || len(got[i].Spans) != len(tc.want[i].Spans) {
					t.Fatalf("lane %d = %+v, want %+v", i, got[i], tc.want[i])
				}
				for j := range got[i].Spans {
					if got[i].Spans[j] != tc.want[i].Spans[j] {
						t.Errorf("lane %s span %d = %+v, want %+v", got[i].Target, j, got[i].Spans[j], tc.want[i].Spans[j])
					}
				}
			}
		})
	}
}

func TestPodLanes(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	cases := map[string]struct {
		samples []podSample
		want    PodLane
	}{
		"a pod there before the run starts at the run's start": {
			samples: []podSample{{At: at(0), Name: "p", Created: t0.Add(-time.Hour), Ready: true, Gate: true}},
			want:    PodLane{Name: "p", Created: at(0), Before: true, Ready: at(0), GateTrue: at(0)},
		},
		"preStop runs from the deletion for the hook's sleep": {
			samples: []podSample{
				{At: at(1), Name: "p", Created: at(1)},
				{At: at(3), Name: "p", Created: at(1), Terminating: true, PreStop: 5 * time.Second},
				{At: at(10), Name: "p", Created: at(1), Terminating: true, Exited: true},
				{At: at(11), Name: "p", Created: at(1), Terminating: true, Exited: true, Deleted: true},
			},
			want: PodLane{Name: "p", Created: at(1), Terminating: at(3), PreStopEnd: at(8), Exited: at(10), Gone: at(11)},
		},
		"preStop cut short by an earlier exit ends at the exit": {
			samples: []podSample{
				{At: at(1), Name: "p", Created: at(1), Ready: true},
				{At: at(2), Name: "p", Created: at(1), Ready: false, Terminating: true, PreStop: 30 * time.Second},
				{At: at(4), Name: "p", Created: at(1), Terminating: true, Exited: true},
			},
			want: PodLane{Name: "p", Created: at(1), Ready: at(1), Unready: at(2), Terminating: at(2), PreStopEnd: at(4), Exited: at(4)},
		},
		"the IP is kept once the pod had one": {
			samples: []podSample{{At: at(1), Name: "p", Created: at(1), IP: "10.0.0.9"}, {At: at(2), Name: "p", Created: at(1), Deleted: true}},
			want:    PodLane{Name: "p", IP: "10.0.0.9", Created: at(1), Gone: at(2)},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := podLanes(tc.samples, t0)
			if len(got) != 1 || got[0] != tc.want {
				t.Fatalf("podLanes = %+v, want [%+v]", got, tc.want)
			}
		})
	}
}

func TestTrafficBinsCountWhatTheListenerCounted(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	samples := []countSample{
		{At: at(0), Listener: emulator.Counts{Success: 7}, Targets: map[string]emulator.Counts{"a:80": {Success: 7}}},
		{At: at(400), Listener: emulator.Counts{Success: 10, NoTarget: 1}, Targets: map[string]emulator.Counts{"a:80": {Success: 10}}},
		{At: at(1100), Listener: emulator.Counts{Success: 15, NoTarget: 1, ServerError: 2}, Targets: map[string]emulator.Counts{"a:80": {Success: 11}, "b:80": {Success: 4}}},
	}
	bins := trafficBins(samples, t0, at(1200), 500*time.Millisecond)
	if len(bins) != 3 {
		t.Fatalf("%d bins for 1.2 s in 500 ms slots, want 3", len(bins))
	}
	want := []struct {
		a, b, failed uint64
	}{{3, 0, 1}, {0, 0, 0}, {1, 4, 2}}
	var total uint64
	for i, w := range want {
		got := bins[i]
		total += got.Total()
		if got.ByTarget["a:80"] != w.a || got.ByTarget["b:80"] != w.b || got.Failed != w.failed {
			t.Errorf("bin %d = %+v, want a %d b %d failed %d", i, got, w.a, w.b, w.failed)
		}
	}
	if total != 11 {
		t.Errorf("the bins count %d requests, the listener counted 11 between the samples", total)
	}
}
