package emulator

import (
	"testing"
	"time"
)

func TestTargetHealthStateMachine(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	profile := Profile{RegistrationDelay: 10 * time.Second, HealthCheckInterval: time.Second}
	hc := healthCheck{enabled: true, healthy: 3, unhealthy: 2, interval: 30}
	base := func() healthInputs {
		return healthInputs{now: t0.Add(time.Hour), profile: profile, simulated: true, inUseSince: t0, hc: hc}
	}
	registered := func(mut func(*target)) *target {
		tg := &target{registeredAt: t0}
		if mut != nil {
			mut(tg)
		}
		return tg
	}
	cases := map[string]struct {
		t      *target
		in     func(healthInputs) healthInputs
		state  string
		reason string
	}{
		"draining wins over everything":                          {registered(func(t *target) { t.drainUntil = t0.Add(2 * time.Hour); t.forced = stateHealthy }), nil, stateDraining, reasonDeregistrationInProgress},
		"group without listener is unused":                       {registered(nil), func(in healthInputs) healthInputs { in.inUseSince = time.Time{}; return in }, stateUnused, reasonNotInUse},
		"disabled health checks are unavailable":                 {registered(nil), func(in healthInputs) healthInputs { in.hc.enabled = false; return in }, stateUnavailable, reasonHealthCheckDisabled},
		"registration in progress before the registration delay": {registered(nil), func(in healthInputs) healthInputs { in.now = t0.Add(9 * time.Second); return in }, stateInitial, reasonRegistrationInProgress},
		"registration delay counts from the listener if it came later": {registered(nil), func(in healthInputs) healthInputs {
			in.inUseSince = t0.Add(time.Hour)
			in.now = t0.Add(time.Hour + 5*time.Second)
			return in
		}, stateInitial, reasonRegistrationInProgress},
		"forcing does not skip registration":                          {registered(func(t *target) { t.forced = stateHealthy }), func(in healthInputs) healthInputs { in.now = t0.Add(time.Second); return in }, stateInitial, reasonRegistrationInProgress},
		"simulated initial checks until the healthy threshold passes": {registered(nil), func(in healthInputs) healthInputs { in.now = t0.Add(11 * time.Second); return in }, stateInitial, reasonInitialHealthChecking},
		"simulated healthy once thresholds passed":                    {registered(nil), func(in healthInputs) healthInputs { in.now = t0.Add(12 * time.Second); return in }, stateHealthy, ""},
		"forced unhealthy":          {registered(func(t *target) { t.forced = stateUnhealthy }), nil, stateUnhealthy, reasonFailedHealthChecks},
		"real checks still initial": {registered(nil), func(in healthInputs) healthInputs { in.simulated = false; return in }, stateInitial, reasonInitialHealthChecking},
		"real checks report the probe's reason": {registered(func(t *target) {
			t.probe = probeRecord{status: stateUnhealthy, reason: "Target.Timeout", description: "Request timed out"}
		}), func(in healthInputs) healthInputs { in.simulated = false; return in }, stateUnhealthy, "Target.Timeout"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := base()
			if tc.in != nil {
				in = tc.in(in)
			}
			tc.t.checksStart = healthChecksStart(tc.t, in)
			got := targetHealth(tc.t, in)
			if got.State != tc.state || got.Reason != tc.reason {
				t.Fatalf("targetHealth = %s/%s, want %s/%s", got.State, got.Reason, tc.state, tc.reason)
			}
		})
	}
}

func TestApplyProbeFollowsThresholds(t *testing.T) {
	hc := healthCheck{healthy: 3, unhealthy: 2}
	ok := probeResult(true)
	bad := probeResult(false)
	cases := map[string]struct {
		results []bool
		want    string
	}{
		"initial until healthy threshold passes": {[]bool{true, true}, ""},
		"healthy after healthy threshold":        {[]bool{true, true, true}, stateHealthy},
		"one failure does not flip healthy":      {[]bool{true, true, true, false}, stateHealthy},
		"unhealthy threshold flips healthy":      {[]bool{true, true, true, false, false}, stateUnhealthy},
		"initial target turns unhealthy":         {[]bool{false, false}, stateUnhealthy},
		"a pass interrupts the failure run":      {[]bool{true, true, true, false, true, false}, stateHealthy},
		"recovery needs the full healthy run":    {[]bool{false, false, true, true}, stateUnhealthy},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var r probeRecord
			for _, pass := range tc.results {
				res := bad
				if pass {
					res = ok
				}
				applyProbe(&r, res, hc)
			}
			if r.status != tc.want {
				t.Fatalf("status after %v = %q, want %q", tc.results, r.status, tc.want)
			}
		})
	}
}
