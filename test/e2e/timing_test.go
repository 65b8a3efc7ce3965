package e2e

import (
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// The scenarios run AWS's timings scaled down, about 25 times for health
// checks and deregistration, so that each scenario takes well under two
// minutes. The emulator's "fast" profile (50 ms registration, 50 ms checks,
// deregistration capped at 1 s) makes a new target healthy in a few hundred
// milliseconds, which hides the races that cause 502s on AWS: an old pod
// killed while its replacement is still `initial`, or a pod that exits before
// the load balancer stops sending to it. These figures keep those windows
// open long enough to be hit at 200 requests/s.
//
//	what                           AWS (ALB)                   here
//	registration before checks     seconds (about 10 s)        500 ms
//	health check interval          5-300 s (default 30 s)      200 ms
//	health check timeout           2-120 s (default 5 s)       150 ms
//	healthy / unhealthy threshold  default 5 / 2               3 / 2 (the group's)
//	deregistration delay           default 300 s               2 s (the group's attribute)
//	deregistration propagation     seconds (no AWS figure;     1 s
//	  (new requests still sent)      users: ~10 s, 5-25 s)
//	target response timeout        60 s (idle timeout)         2 s
//	kube-proxy min sync period     1 s (iptables mode)         200 ms
//
// Deregistration propagation is the window after DeregisterTargets in which
// the load balancer still sends new requests to the target
// (kubernetes-sigs/aws-load-balancer-controller#1064, #1719; see
// docs/emulator.md). It is what the preStop sleep must outlast: a pod that
// exits inside it fails requests.
const (
	registrationDelay   = 500 * time.Millisecond
	healthCheckInterval = 200 * time.Millisecond
	healthCheckTimeout  = 150 * time.Millisecond
	healthyThreshold    = 3
	unhealthyThreshold  = 2
	// deregistrationDelaySeconds is set on every target group with
	// ModifyTargetGroupAttributes, as a user would on AWS.
	deregistrationDelaySeconds = 2
	// deregistrationPropagation is how long the emulator's listener keeps
	// sending new requests to a target after DeregisterTargets.
	deregistrationPropagation = time.Second
	targetResponseTimeout     = 2 * time.Second

	// The recommended pod settings for that delay (docs/zero-downtime.md):
	// preStop covers the deregistration delay plus propagation (the time tgc
	// takes to see the terminating endpoint and call DeregisterTargets, tens
	// of milliseconds, and the load balancer's deregistrationPropagation),
	// and the grace period covers preStop plus the app's own shutdown. 4 s
	// leaves 3 s over tgc's reaction plus the 1 s propagation, scaled from
	// the recipe's "delay + 5 s".
	preStopSeconds                = deregistrationDelaySeconds + 2
	terminationGracePeriodSeconds = preStopSeconds + deregistrationDelaySeconds + 4

	// requestRate is the load through the listener for a whole scenario.
	requestRate = 200
	// requestTimeout is longer than targetResponseTimeout, so a slow target
	// shows up as the load balancer's own 504, counted by the emulator too.
	requestTimeout = 5 * time.Second

	// kubeletProbePeriod caps readiness probe periods in the loopback
	// kubelet (1 s in the manifests), scaled like the health checks.
	kubeletProbePeriod = 200 * time.Millisecond
	// gatePollInterval is how often tgc reads target health for pods
	// waiting on their gate; one health check interval.
	gatePollInterval = healthCheckInterval
	// controllerDowntime is how long no controller runs in the restart
	// scenario. A replaced controller pod is gone for a moment; with leader
	// election a new leader waits up to the lease duration (15 s by default
	// in controller-runtime).
	controllerDowntime = time.Second
	// slowStartDelay is how long the slow-start scenario's app takes before
	// it answers anything, health checks included.
	slowStartDelay = 3 * time.Second

	// proxyMinSyncPeriod is how stale the loopback kube-proxy's view of
	// the endpoints may get while they change (kube-proxy's
	// --iptables-min-sync-period): for that long a pod that exited may
	// still get connections through a node.
	proxyMinSyncPeriod = 200 * time.Millisecond

	// instanceMinReadySeconds is the recommended setup's minReadySeconds
	// for instance targets: a new pod's node is registered when the pod
	// turns ready and healthy after the registration delay and
	// healthyThreshold checks (1.1 s here); whole seconds, rounded up
	// with a margin for tgc's reaction.
	instanceMinReadySeconds = 2
	// suiteNodes is how many nodes the suite's cluster has, each a
	// loopback kubelet with its own address, kube-proxy and EC2 instance.
	suiteNodes = 4
)

// scaledProfile is the emulator profile for the figures above. The group's
// own health check thresholds and deregistration delay apply; only the
// interval and timeout are overridden, since the API refuses intervals
// below 5 s.
func scaledProfile() emulator.Profile {
	return emulator.Profile{
		Name:                "e2e-scaled",
		RegistrationDelay:   registrationDelay,
		HealthCheckInterval: healthCheckInterval,
		HealthCheckTimeout:  healthCheckTimeout,
		// No cap below the group's 2 s: the drain must last exactly as
		// long as the attribute says.
		MaxDeregistrationDelay:    10 * time.Second,
		DeregistrationPropagation: deregistrationPropagation,
		TargetResponseTimeout:     targetResponseTimeout,
	}
}
