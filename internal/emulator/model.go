package emulator

import (
	"net/netip"
	"strconv"
	"time"
)

// loadBalancer is an emulated ALB or NLB.
type loadBalancer struct {
	arn, name     string
	lbType        string // "application" or "network"
	scheme        string
	ipAddressType string
	vpcID         string
	created       time.Time
	dnsName       string
	// addr is the loopback address every listener of the load balancer
	// binds; release gives it back when the load balancer is deleted.
	addr    netip.Addr
	release func()
}

// listener forwards to up to five weighted target groups (forward.go); the
// emulator supports the forward default action only.
type listener struct {
	arn, lbARN string
	lbType     string
	protocol   string
	port       int32
	forward    *forward
	addr       string // the real address:port the data plane listens on, on the load balancer's address
	closer     interface{ Close() error }
}

// healthCheck holds a group's health-check settings.
type healthCheck struct {
	enabled   bool
	protocol  string
	port      string // "traffic-port" or a number
	path      string
	interval  int32 // seconds
	timeout   int32 // seconds
	healthy   int32
	unhealthy int32
	matcher   string
	grpcCode  string
}

// targetGroup is an emulated target group and its targets.
type targetGroup struct {
	arn, name       string
	protocol        string
	protocolVersion string
	port            int32
	vpcID           string
	targetType      string
	ipAddressType   string
	hc              healthCheck
	attributes      map[string]string

	targets map[targetKey]*target
	// order keeps registration order, for stable listings and round robin.
	order []*target
	// inUseSince is when a listener started forwarding to the group; zero
	// while none does, which AWS reports as unused/Target.NotInUse.
	inUseSince time.Time
	rr         uint64
}

// targetKey is a target's identity in AWS: (Id, Port, AvailabilityZone).
type targetKey struct {
	id   string
	port int32
	az   string
}

func (k targetKey) String() string { return k.id + ":" + strconv.Itoa(int(k.port)) }

// target is a registered target.
type target struct {
	key  targetKey
	addr netip.Addr // valid for ip targets
	// registeredAt is when the current registration began.
	registeredAt time.Time
	// checksStart is when registration propagation ends and health checks
	// begin for the current history.
	checksStart time.Time
	// drainUntil is non-zero while the target is draining: it is removed at
	// this time.
	drainUntil time.Time
	// routeUntil is when the load balancer nodes stop sending new requests
	// to a draining target (Profile.DeregistrationPropagation); until then
	// they route by routedAs, the health the target had when it was
	// deregistered.
	routeUntil time.Time
	routedAs   string
	// forced overrides health ("healthy"/"unhealthy") from the control API.
	forced string
	// gen changes whenever the target's health history restarts, so that
	// stale probe results and schedule entries are ignored.
	gen uint64
	// probe is the real health checker's record.
	probe probeRecord
	// gone is closed when the target leaves the group; created lazily by
	// the data plane.
	gone chan struct{}
}

// probeRecord is the state of real health checks for one target.
type probeRecord struct {
	status      string // "", "healthy" or "unhealthy"; "" means still initial
	reason      string
	description string
	okRun       int32
	failRun     int32
	inFlight    bool
}

func (t *target) draining() bool { return !t.drainUntil.IsZero() }

// deregistrationDelay reads the group attribute; AWS's default is 300 s.
func (g *targetGroup) deregistrationDelay() time.Duration {
	secs, err := strconv.Atoi(g.attributes[attrDeregistrationDelay])
	if err != nil {
		return 300 * time.Second
	}
	return time.Duration(secs) * time.Second
}

// healthCheckPort is the port health checks use for t, as
// DescribeTargetHealth's HealthCheckPort reports it.
func (g *targetGroup) healthCheckPort(t *target) int32 {
	if g.hc.port == "" || g.hc.port == "traffic-port" {
		return t.key.port
	}
	p, err := strconv.Atoi(g.hc.port)
	if err != nil {
		return t.key.port
	}
	return int32(p)
}

// removeFromOrder drops t from g.order.
func (g *targetGroup) removeFromOrder(t *target) {
	for i, o := range g.order {
		if o == t {
			g.order = append(g.order[:i], g.order[i+1:]...)
			return
		}
	}
}
