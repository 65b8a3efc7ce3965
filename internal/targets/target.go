// Package targets turns Kubernetes endpoints into ELBv2 targets and computes
// the changes that bring a target group to the desired set. Everything here is
// pure: no I/O, no clock.
package targets

import (
	"fmt"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// Target is the identity of an ELBv2 target. AWS identifies a registered
// target by (Id, Port, AvailabilityZone); for targets inside the VPC the
// zone is empty, so the Id and Port are what matter. The Id is an IP address
// for a group of type ip and an EC2 instance ID for a group of type
// instance: exactly one of IP and Instance is set.
type Target struct {
	IP netip.Addr
	// Instance is the EC2 instance ID (i-0123456789abcdef0) of an instance
	// target: a node, addressed on its NodePort.
	Instance         string
	Port             int32
	AvailabilityZone string
}

// ID is the target's Id in the ELBv2 API: its IP address or instance ID.
func (t Target) ID() string {
	if t.Instance != "" {
		return t.Instance
	}
	return t.IP.String()
}

func (t Target) String() string {
	s := net.JoinHostPort(t.ID(), strconv.Itoa(int(t.Port)))
	if t.AvailabilityZone != "" {
		s += "/" + t.AvailabilityZone
	}
	return s
}

// instanceID is the shape of an EC2 instance ID: "i-" and 8 (older
// instances) or 17 hexadecimal digits.
var instanceID = regexp.MustCompile(`^i-[0-9a-f]{8}([0-9a-f]{9})?$`)

// IsInstanceID reports whether s has the shape of an EC2 instance ID.
func IsInstanceID(s string) bool { return instanceID.MatchString(s) }

// ParseID reads a target Id as the ELBv2 API gives it: an IP address or an
// instance ID. Anything else (a Lambda or ALB ARN) is an error.
func ParseID(id string, port int32, zone string) (Target, error) {
	if IsInstanceID(id) {
		return Target{Instance: id, Port: port, AvailabilityZone: zone}, nil
	}
	ip, err := netip.ParseAddr(id)
	if err != nil {
		return Target{}, fmt.Errorf("target %q is neither an IP address nor an EC2 instance ID", id)
	}
	return Target{IP: ip.Unmap(), Port: port, AvailabilityZone: zone}, nil
}

// Parse reads Target.String: "id:port" or "id:port/zone".
func Parse(s string) (Target, error) {
	hostPort, zone := s, ""
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		hostPort, zone = s[:i], s[i+1:]
	}
	host, portText, err := net.SplitHostPort(hostPort)
	if err != nil {
		return Target{}, fmt.Errorf("parsing target %q: %w", s, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return Target{}, fmt.Errorf("parsing the port of target %q: %w", s, err)
	}
	return ParseID(host, int32(port), zone)
}

// WithoutZone is t without its AvailabilityZone: the form tgc records
// targets in, since AWS may add the zone itself.
func (t Target) WithoutZone() Target {
	t.AvailabilityZone = ""
	return t
}

// Validate reports a target that AWS would never accept.
func (t Target) Validate() error {
	if t.Instance == "" && !t.IP.IsValid() {
		return fmt.Errorf("target has neither an IP address nor an instance ID")
	}
	if t.Instance != "" && !IsInstanceID(t.Instance) {
		return fmt.Errorf("target %q is not an EC2 instance ID", t.Instance)
	}
	if t.Port < 1 || t.Port > 65535 {
		return fmt.Errorf("target %s has port %d outside 1-65535", t.ID(), t.Port)
	}
	return nil
}
