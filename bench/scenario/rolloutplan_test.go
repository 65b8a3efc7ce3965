package scenario

import (
	"testing"
	"time"
)

func TestRolloutPlanReplacesEveryPodWithoutLosingReadyOnes(t *testing.T) {
	cases := map[string]struct {
		total     int
		d         time.Duration
		wantWaves int
	}{
		"500 pods at 25% surge go in 4 waves of 125":   {500, 60 * time.Second, 4},
		"50 pods at 25% surge round the wave up to 13": {50, 20 * time.Second, 4},
		"3 pods round up to waves of 1":                {3, 8 * time.Second, 3},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			steps := rolloutPlan(tc.total, 0.25, tc.d, defaultRolloutTiming)
			added, ready, terminated, removed := 0, 0, 0, 0
			waves := map[int]bool{}
			oldReady, pending := tc.total, 0
			var last time.Duration
			for _, s := range steps {
				if s.At < last {
					t.Fatalf("steps out of order: %v after %v", s.At, last)
				}
				last = s.At
				waves[s.Wave] = true
				switch s.Kind {
				case stepAdd:
					added += s.Count
					pending += s.Count
				case stepReady:
					ready += s.Count
					pending -= s.Count
				case stepTerminate:
					terminated += s.Count
					oldReady -= s.Count
				case stepRemove:
					removed += s.Count
				}
				if pending < 0 {
					t.Fatalf("more pods turned ready than were added, at %v", s.At)
				}
				// maxUnavailable 0: ready pods never drop below total.
				if s.Kind == stepTerminate && oldReady+ready < tc.total {
					t.Fatalf("at %v only %d pods ready, want at least %d", s.At, oldReady+ready, tc.total)
				}
			}
			if added != tc.total || ready != tc.total || terminated != tc.total || removed != tc.total {
				t.Errorf("added %d, ready %d, terminated %d, removed %d; want %d each", added, ready, terminated, removed, tc.total)
			}
			if len(waves) != tc.wantWaves {
				t.Errorf("%d waves, want %d", len(waves), tc.wantWaves)
			}
			if off := last - tc.d; off < -time.Millisecond || off > time.Millisecond {
				t.Errorf("last step at %v, want the rollout to end at %v", last, tc.d)
			}
		})
	}
}
