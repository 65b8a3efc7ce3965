package emulator

import "time"

// Target health states and reasons, as the TargetHealth reference lists them
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_TargetHealth.html).
const (
	stateInitial     = "initial"
	stateHealthy     = "healthy"
	stateUnhealthy   = "unhealthy"
	stateUnused      = "unused"
	stateDraining    = "draining"
	stateUnavailable = "unavailable"

	reasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	reasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	reasonFailedHealthChecks       = "Target.FailedHealthChecks"
	reasonNotRegistered            = "Target.NotRegistered"
	reasonNotInUse                 = "Target.NotInUse"
	reasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	reasonHealthCheckDisabled      = "Target.HealthCheckDisabled"
)

// health is one target's reported health.
type health struct {
	State, Reason, Description string
}

// healthInputs is everything targetHealth looks at; keeping it explicit
// makes the state machine a pure function of time.
type healthInputs struct {
	now        time.Time
	profile    Profile
	simulated  bool // simulated health checks (or a target that cannot be probed)
	inUseSince time.Time
	hc         healthCheck
}

// targetHealth computes what DescribeTargetHealth reports for t. The order of
// the checks follows AWS: a draining target reads as draining whatever else
// is true; a group no listener forwards to reads as unused; with health
// checks disabled targets are unavailable; otherwise a target goes
// initial (registration, then initial checks) -> healthy/unhealthy.
func targetHealth(t *target, in healthInputs) health {
	switch {
	case t.draining():
		return health{stateDraining, reasonDeregistrationInProgress, "Target deregistration is in progress"}
	case in.inUseSince.IsZero():
		return health{stateUnused, reasonNotInUse, "Target group is not configured to receive traffic from the load balancer"}
	case !in.hc.enabled:
		return health{stateUnavailable, reasonHealthCheckDisabled, "Health checks disabled"}
	}
	checksStart := t.checksStart
	if in.now.Before(checksStart) {
		return health{stateInitial, reasonRegistrationInProgress, "Target registration is in progress"}
	}
	switch t.forced {
	case stateHealthy:
		return health{State: stateHealthy}
	case stateUnhealthy:
		return health{stateUnhealthy, reasonFailedHealthChecks, "Health checks failed"}
	}
	if in.simulated {
		// The first check runs when registration completes and one more
		// every interval; the target is healthy after `healthy` passes.
		passes := time.Duration(max(in.hc.healthy-1, 0)) * in.profile.interval(in.hc.interval)
		if in.now.Before(checksStart.Add(passes)) {
			return health{stateInitial, reasonInitialHealthChecking, "Initial health checks in progress"}
		}
		return health{State: stateHealthy}
	}
	switch t.probe.status {
	case stateHealthy:
		return health{State: stateHealthy}
	case stateUnhealthy:
		return health{stateUnhealthy, t.probe.reason, t.probe.description}
	default:
		return health{stateInitial, reasonInitialHealthChecking, "Initial health checks in progress"}
	}
}

// healthChecksStart is when registration propagation ends and checks begin:
// the registration delay after the later of registration and the group
// starting to receive traffic. It is fixed when the history (re)starts, so
// a later profile change does not move targets back into registration.
func healthChecksStart(t *target, in healthInputs) time.Time {
	start := t.registeredAt
	if in.inUseSince.After(start) {
		start = in.inUseSince
	}
	return start.Add(in.profile.RegistrationDelay)
}

// routable reports whether a new request may go to a target in this state:
// healthy targets, and all targets when health checks are disabled
// (unavailable), which ELB treats as healthy for routing.
func routable(h health) bool { return h.State == stateHealthy || h.State == stateUnavailable }
