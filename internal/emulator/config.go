package emulator

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
)

// VPC is a VPC the emulated account owns. IP targets inside its CIDR are
// "in the VPC" for RegisterTargets' validation.
type VPC struct {
	ID   string
	CIDR netip.Prefix
	// IPv6CIDR is the VPC's IPv6 block, if it has one (AWS hands out a
	// /56): IPv6 targets must fall inside it, and a dualstack load
	// balancer needs it (ipv6.go).
	IPv6CIDR netip.Prefix
}

// DialMapping maps a pod CIDR onto a loopback CIDR before anything is dialed,
// e.g. 10.244.0.0/16 -> 127.244.0.0/16.
type DialMapping = dial.Mapping

// HealthCheckMode selects how target health is decided.
type HealthCheckMode string

// Health check modes.
const (
	// HealthChecksReal probes targets over the (loopback) network.
	HealthChecksReal HealthCheckMode = "real"
	// HealthChecksSimulated declares targets healthy once the thresholds have
	// passed, without dialing; for benchmarks with thousands of targets.
	HealthChecksSimulated HealthCheckMode = "simulated"
)

// Config configures an Emulator. The zero value is usable.
type Config struct {
	Region    string // default "us-east-1"
	AccountID string // default "123456789012"
	VPCs      []VPC  // default one VPC: vpc-0a1b2c3d4e5f60718 = 10.244.0.0/16
	// Accounts are further accounts, each with its own access keys and VPCs
	// (accounts.go); Roles are what sts:AssumeRole can assume. Default none.
	Accounts []Account
	Roles    []Role
	DialMap  []DialMapping // default none: dial the IP as given (only loopback is ever dialed)
	// Instances are the EC2 instances that exist, by ID, with the address
	// each listens on (instances.go); default none, so every instance
	// target is refused until SetInstance.
	Instances map[string]netip.Addr
	// LoadBalancerAddresses is the loopback range each load balancer takes
	// an address of its own from (lbaddress.go); default 127.0.100.0/24.
	LoadBalancerAddresses netip.Prefix
	// AddressClaimDir is where addresses are claimed machine-wide, so that
	// emulators in several processes never hand out the same one; default
	// tgc-loopback-claims in the temporary directory, which the loopback
	// kubelet shares for its own addresses.
	AddressClaimDir    string
	MaxTargetsPerGroup int             // default 1000, the AWS default quota "targets per target group"
	Profile            Profile         // default FastProfile()
	HealthChecks       HealthCheckMode // default real
	Throttle           Throttle
	Faults             Faults
	CallLogSize        int         // calls kept for Calls(); default 100000
	Logger             logr.Logger // default logr.Discard()
	Clock              clock.Clock // default the real clock
}

// DefaultVPC is the VPC an unconfigured emulator owns; its CIDR is the pod
// CIDR the local control plane hands out.
var DefaultVPC = VPC{ID: "vpc-0a1b2c3d4e5f60718", CIDR: netip.MustParsePrefix("10.244.0.0/16")}

// DefaultLoadBalancerAddresses is the loopback range load balancers take
// their addresses from unless configured.
var DefaultLoadBalancerAddresses = netip.MustParsePrefix("127.0.100.0/24")

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	accountPattern = regexp.MustCompile(`^\d{12}$`)
	vpcIDPattern   = regexp.MustCompile(`^vpc-[0-9a-f]{8,17}$`)
)

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if !regionPattern.MatchString(c.Region) {
		return c, fmt.Errorf("region %q is not a region name like us-east-1", c.Region)
	}
	if c.AccountID == "" {
		c.AccountID = "123456789012"
	}
	if !accountPattern.MatchString(c.AccountID) {
		return c, fmt.Errorf("account ID %q must be 12 digits", c.AccountID)
	}
	if len(c.VPCs) == 0 {
		c.VPCs = []VPC{DefaultVPC}
	}
	for _, v := range c.VPCs {
		if !vpcIDPattern.MatchString(v.ID) {
			return c, fmt.Errorf("VPC ID %q must look like vpc-0123456789abcdef0", v.ID)
		}
		if !v.CIDR.IsValid() || !v.CIDR.Addr().Is4() {
			return c, fmt.Errorf("VPC %s has no valid IPv4 CIDR", v.ID)
		}
		if err := v.validateIPv6(); err != nil {
			return c, err
		}
	}
	if err := validateAccounts(c.AccountID, c.Accounts, c.Roles); err != nil {
		return c, err
	}
	for id, addr := range c.Instances {
		if err := validateInstance(id, addr); err != nil {
			return c, err
		}
	}
	if !c.LoadBalancerAddresses.IsValid() {
		c.LoadBalancerAddresses = DefaultLoadBalancerAddresses
	}
	// IPv4 only: ::1 is the one IPv6 loopback address.
	if lb := c.LoadBalancerAddresses; !lb.Addr().Is4() || !lb.Addr().IsLoopback() || lb.Bits() > 30 {
		return c, fmt.Errorf("load balancer addresses %s must be an IPv4 loopback range of at least 4 addresses, e.g. 127.0.100.0/24", lb)
	}
	if c.AddressClaimDir == "" {
		c.AddressClaimDir = filepath.Join(os.TempDir(), "tgc-loopback-claims")
	}
	if c.MaxTargetsPerGroup == 0 {
		c.MaxTargetsPerGroup = 1000
	}
	if c.MaxTargetsPerGroup < 0 {
		return c, fmt.Errorf("max targets per group %d must be positive", c.MaxTargetsPerGroup)
	}
	if c.Profile == (Profile{}) {
		c.Profile = FastProfile()
	}
	switch c.HealthChecks {
	case "":
		c.HealthChecks = HealthChecksReal
	case HealthChecksReal, HealthChecksSimulated:
	default:
		return c, fmt.Errorf("health check mode %q must be %q or %q", c.HealthChecks, HealthChecksReal, HealthChecksSimulated)
	}
	if err := c.Faults.validate(); err != nil {
		return c, err
	}
	if c.CallLogSize == 0 {
		c.CallLogSize = 100000
	}
	if c.Logger.GetSink() == nil {
		c.Logger = logr.Discard()
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	return c, nil
}

// connectTimeout is how long the data plane and health checks wait for a
// TCP connection; ALB gives up connecting to a target after 10 s
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html#http-504-issues).
const connectTimeout = 10 * time.Second
