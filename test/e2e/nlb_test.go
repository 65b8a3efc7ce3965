package e2e

import (
	"fmt"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// The NLB timing: the emulator's realistic NLB profile (--profile realistic
// --nlb: 180 s from registration to the first health check, 120 s of
// propagation after deregistration) scaled down about 25 times, as the
// health checks and the deregistration delay are (timing_test.go). Both
// windows are then far longer than the ALB figures the other scenarios use
// (500 ms and 1 s). The listener stays HTTP, so that the load and its
// accounting are the same as in every other scenario; only the timings are
// the NLB's.
const (
	nlbRegistrationDelay = 180 * time.Second / 25
	nlbPropagation       = 120 * time.Second / 25
	// nlbPropagationMargin is what both recipes add to the delay on an
	// NLB: its propagation, plus what the ALB recipe keeps over the ALB's.
	nlbPropagationMargin = nlbPropagation + 2*time.Second
	// nlbDelaySeconds is the group's deregistration delay: longer than the
	// propagation, as an NLB's must be, or a request the load balancer
	// still sends at the end of the propagation is cut when the drain
	// ends at the same moment.
	nlbDelaySeconds = 6
)

func nlbScenario() scenario {
	preStop := int64(nlbDelaySeconds) + int64((nlbPropagationMargin+time.Second-1)/time.Second)
	return scenario{
		name: "nlb-timing", short: "nlb",
		title: fmt.Sprintf("Rolling update, 4 replicas, with NLB timings (registration %s, propagation %s, deregistration delay %d s)",
			nlbRegistrationDelay.Round(100*time.Millisecond), nlbPropagation.Round(100*time.Millisecond), nlbDelaySeconds),
		replicas: 4, full: true,
		profile: func(p emulator.Profile) emulator.Profile {
			p.RegistrationDelay = nlbRegistrationDelay
			p.DeregistrationPropagation = nlbPropagation
			return p
		},
		// The documented NLB settings: the webhook's propagation margin,
		// and the hand recipe's preStop, cover the NLB's propagation.
		propagationMargin:  nlbPropagationMargin,
		delaySeconds:       nlbDelaySeconds,
		handPreStopSeconds: preStop,
		action:             func(r *run) error { return r.updateTemplate("registry.example/web:2", nil) },
	}
}
