package emulator

import (
	"fmt"
	"time"
)

// Profile holds every delay the emulator simulates. Zero durations mean
// "no delay" or, for the overrides, "use the target group's own setting".
type Profile struct {
	Name string
	// RegistrationDelay is how long a new target reads as
	// initial/Elb.RegistrationInProgress before its health checks start.
	RegistrationDelay time.Duration
	// HealthCheckInterval overrides the group's HealthCheckIntervalSeconds
	// when non-zero; AWS's minimum of 5 s would make tests slow.
	HealthCheckInterval time.Duration
	// HealthCheckTimeout overrides the group's HealthCheckTimeoutSeconds
	// when non-zero.
	HealthCheckTimeout time.Duration
	// DeregistrationDelay overrides the group's
	// deregistration_delay.timeout_seconds when non-zero.
	DeregistrationDelay time.Duration
	// MaxDeregistrationDelay caps the group's deregistration delay when
	// non-zero, so that tests honour a group's short delay exactly but do not
	// wait out the 300 s default.
	MaxDeregistrationDelay time.Duration
	// RegistrationVisibilityDelay is the eventual-consistency window: for this
	// long after RegisterTargets, DescribeTargetHealth still reads the target
	// as unused/Target.NotRegistered (AWS's API is eventually consistent:
	// https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/Welcome.html).
	RegistrationVisibilityDelay time.Duration
	// DeregistrationPropagation is how long the data plane keeps sending new
	// requests (HTTP) or connections (TCP) to a target after
	// DeregisterTargets returned, although DescribeTargetHealth already
	// reads it as draining. AWS documents that a deregistering target gets
	// no new requests, but the change reaches the load balancer nodes some
	// seconds later, and users measure new requests arriving meanwhile
	// (kubernetes-sigs/aws-load-balancer-controller#1064, #1719, #2366); AWS
	// publishes no figure. A drain never ends before this window does, since
	// the nodes still route to the target until then.
	DeregistrationPropagation time.Duration
	// TargetResponseTimeout bounds the wait for a target's HTTP answer
	// before the listener answers 504 (ALB's idle timeout, 60 s by default).
	TargetResponseTimeout time.Duration
}

// FastProfile runs every state transition in fractions of a second: a target
// registered behind a listener is healthy about 0.35 s later with the ALB
// default of 5 healthy checks. Routing stops the instant DeregisterTargets
// returns (no DeregistrationPropagation), so that tests of the API and of
// the controller's own timing see no AWS-side window; scenario tests that
// need the window set it themselves.
func FastProfile() Profile {
	return Profile{
		Name:                   "fast",
		RegistrationDelay:      50 * time.Millisecond,
		HealthCheckInterval:    50 * time.Millisecond,
		HealthCheckTimeout:     40 * time.Millisecond,
		MaxDeregistrationDelay: time.Second,
		TargetResponseTimeout:  5 * time.Second,
	}
}

// RealisticProfile follows what AWS documents and what users and AWS support
// report; see docs/emulator.md for the sources.
//
//   - ALB: registration is not documented as a figure; it completes within
//     seconds in practice, so 10 s is used. Health checks then follow the
//     group's own interval and thresholds (ALB defaults 30 s, 5 healthy).
//   - NLB: AWS support states registration takes 3-5 minutes before health
//     checks start (kubernetes-sigs/aws-load-balancer-controller#1834); the
//     NLB user guide says "a few minutes". 180 s is used.
//   - Deregistration follows the group's deregistration_delay (300 s default).
//     New requests keep reaching a deregistered target for 10 s on an ALB:
//     AWS publishes no figure, users estimate "about 10s" of ELB API
//     propagation (kubernetes-sigs/aws-load-balancer-controller#1719) and
//     found a 5 s preStop too short, 25 s enough (#1064). On an NLB it is
//     120 s: users measured "at least 2 minutes regardless of the
//     deregistration delay setting" with ip targets (#2366, #3270).
func RealisticProfile(nlb bool) Profile {
	p := Profile{
		Name:                      "realistic",
		RegistrationDelay:         10 * time.Second,
		DeregistrationPropagation: 10 * time.Second,
		TargetResponseTimeout:     60 * time.Second,
	}
	if nlb {
		p.Name = "realistic-nlb"
		p.RegistrationDelay = 180 * time.Second
		p.DeregistrationPropagation = 120 * time.Second
	}
	return p
}

// ProfileByName returns the named profile: "fast" or "realistic".
func ProfileByName(name string, nlb bool) (Profile, error) {
	switch name {
	case "fast":
		return FastProfile(), nil
	case "realistic", "realistic-nlb":
		return RealisticProfile(nlb || name == "realistic-nlb"), nil
	default:
		return Profile{}, fmt.Errorf("unknown timing profile %q: want fast or realistic", name)
	}
}

// deregistrationDelay is how long a target drains, given the group's
// attribute: never less than the propagation window, during which the load
// balancer nodes still send it new requests.
func (p Profile) deregistrationDelay(group time.Duration) time.Duration {
	d := group
	switch {
	case p.DeregistrationDelay > 0:
		d = p.DeregistrationDelay
	case p.MaxDeregistrationDelay > 0 && group > p.MaxDeregistrationDelay:
		d = p.MaxDeregistrationDelay
	}
	return max(d, p.DeregistrationPropagation)
}

func (p Profile) interval(groupSeconds int32) time.Duration {
	if p.HealthCheckInterval > 0 {
		return p.HealthCheckInterval
	}
	return time.Duration(groupSeconds) * time.Second
}

func (p Profile) timeout(groupSeconds int32) time.Duration {
	if p.HealthCheckTimeout > 0 {
		return p.HealthCheckTimeout
	}
	return time.Duration(groupSeconds) * time.Second
}
