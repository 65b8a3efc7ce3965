package kubelet

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/clock"
)

// Config tunes the loopback kubelet. The zero value is usable: Defaulted
// fills in every unset field.
type Config struct {
	// NodeName is the Node this kubelet registers and runs pods for.
	// Default "loopback-node".
	NodeName string
	// PodCIDR is where pod IPs come from. Default 10.244.0.0/16.
	PodCIDR netip.Prefix
	// IPFamilies are the families of every pod's addresses, the first one
	// primary (status.podIP), as a cluster's --service-cluster-ip-range
	// and pod CIDRs make them: [IPv4] (the default), [IPv4 IPv6] or
	// [IPv6 IPv4] for dual stack, [IPv6] for an IPv6-only cluster. One rule
	// for the node, not per pod, as with a real CNI plugin; the
	// EndpointSlice controller then writes one slice per family a Service
	// asks for.
	IPFamilies []corev1.IPFamily
	// IPv6PodCIDR is where IPv6 pod addresses come from: a pod's IPv6
	// address has the host bits of its IPv4 slot in PodCIDR (loopback.go).
	// It must leave as many host bits as PodCIDR. Default
	// fd00:10:244::/112 (for the default /16; /96 plus PodCIDR's length
	// otherwise), inside the ELBv2 emulator's dual-stack VPC
	// fd00:10:244::/56.
	IPv6PodCIDR netip.Prefix
	// LoopbackCIDR is where a pod's servers really listen: the pod IP's host
	// bits are kept and its network bits replaced. Default 127.244.0.0/16.
	// It must lie in 127.0.0.0/8 (Linux answers the whole block on lo) and
	// have the same length as PodCIDR.
	LoopbackCIDR netip.Prefix
	// NodeIP is the node's own address: reported as the Node's InternalIP
	// and each pod's hostIP, and where its kube-proxy serves every
	// NodePort. Default: the first address of NodeCIDR that no other
	// loopback kubelet on the machine holds.
	NodeIP netip.Addr
	// NodeCIDR is where node addresses come from. Default 127.0.10.0/24.
	NodeCIDR netip.Prefix
	// InstanceID is the EC2 instance the node plays, in its
	// spec.providerID (aws:///<Zone or us-east-1a>/<InstanceID>). Default:
	// derived from NodeIP, so unique on the machine.
	InstanceID string
	// Instances, when set, is told the node's instance and address once
	// the node is registered, and that the instance is gone when the
	// kubelet stops: the ELBv2 emulator, which then routes instance
	// targets to the node.
	Instances Instances
	// NoProxy leaves out the node's kube-proxy (proxy.go).
	NoProxy bool
	// ProxyMinSyncPeriod is the least time between two syncs of the
	// kube-proxy's view of the endpoints (kube-proxy's
	// --iptables-min-sync-period, 1 s by default). Default 0: every change
	// is synced at once.
	ProxyMinSyncPeriod time.Duration
	// LeaveBinding makes the kubelet run only the pods bound to its node,
	// and bind none itself: with several nodes, a Scheduler binds them.
	LeaveBinding bool
	// Zone, when set, labels the Node with topology.kubernetes.io/zone, which
	// the EndpointSlice controller copies into each endpoint's zone.
	Zone string
	// MaxProbePeriod caps readiness probe periodSeconds and
	// initialDelaySeconds so tests stay fast. Default 1s.
	MaxProbePeriod time.Duration
	// ClaimDir holds one lock file per loopback address in use, so that
	// loopback kubelets in different processes (one per test package) never
	// serve on the same address. Default: tgc-loopback-claims in the
	// system temp directory.
	ClaimDir string
	// Workers is how many pods are synced in parallel. Default 4.
	Workers int
	Logger  logr.Logger
	// Clock drives timestamps, start delays and the termination sequence.
	// Default: the real clock.
	Clock clock.WithTicker
}

// Defaulted returns cfg with every unset field set to its default, or an
// error when the CIDRs cannot work together.
func (cfg Config) Defaulted() (Config, error) {
	if cfg.NodeName == "" {
		cfg.NodeName = "loopback-node"
	}
	if !cfg.PodCIDR.IsValid() {
		cfg.PodCIDR = netip.MustParsePrefix("10.244.0.0/16")
	}
	if !cfg.LoopbackCIDR.IsValid() {
		cfg.LoopbackCIDR = netip.MustParsePrefix("127.244.0.0/16")
	}
	if !cfg.NodeCIDR.IsValid() {
		cfg.NodeCIDR = netip.MustParsePrefix("127.0.10.0/24")
	}
	if !loopbackBlock.Contains(cfg.NodeCIDR.Addr()) || cfg.NodeCIDR.Bits() < loopbackBlock.Bits() {
		return cfg, fmt.Errorf("node CIDR %s is not inside %s", cfg.NodeCIDR, loopbackBlock)
	}
	if cfg.MaxProbePeriod <= 0 {
		cfg.MaxProbePeriod = time.Second
	}
	if cfg.ClaimDir == "" {
		cfg.ClaimDir = filepath.Join(os.TempDir(), "tgc-loopback-claims")
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	cfg.PodCIDR = cfg.PodCIDR.Masked()
	cfg.LoopbackCIDR = cfg.LoopbackCIDR.Masked()
	if len(cfg.IPFamilies) == 0 {
		cfg.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if err := validFamilies(cfg.IPFamilies); err != nil {
		return cfg, err
	}
	if cfg.hasIPv6() && !cfg.IPv6PodCIDR.IsValid() {
		cfg.IPv6PodCIDR = netip.PrefixFrom(netip.MustParseAddr("fd00:10:244::"), 96+cfg.PodCIDR.Bits())
	}
	if _, err := cfg.mapper(); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// validFamilies accepts one family, or both in either order.
func validFamilies(fs []corev1.IPFamily) error {
	for _, f := range fs {
		if f != corev1.IPv4Protocol && f != corev1.IPv6Protocol {
			return fmt.Errorf("IP family %q must be IPv4 or IPv6", f)
		}
	}
	if len(fs) > 2 || (len(fs) == 2 && fs[0] == fs[1]) {
		return fmt.Errorf("IP families %v must be one family or both", fs)
	}
	return nil
}

func (cfg Config) hasIPv6() bool { return slices.Contains(cfg.IPFamilies, corev1.IPv6Protocol) }

// mapper is the pod address mapping the configuration describes.
func (cfg Config) mapper() (loopbackMapper, error) {
	m, err := newLoopbackMapper(cfg.PodCIDR, cfg.LoopbackCIDR)
	if err != nil || !cfg.IPv6PodCIDR.IsValid() {
		return m, err
	}
	return m.withIPv6(cfg.IPv6PodCIDR)
}

// podIPs are the addresses of the pod whose IPv4 slot is slot, in the
// order of IPFamilies.
func (cfg Config) podIPs(m loopbackMapper, slot netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(cfg.IPFamilies))
	for _, f := range cfg.IPFamilies {
		if f == corev1.IPv6Protocol {
			out = append(out, m.ipv6(slot))
		} else {
			out = append(out, slot)
		}
	}
	return out
}

// podCIDRs are the node's spec.podCIDRs, in the order of IPFamilies.
func (cfg Config) podCIDRs() []string {
	out := make([]string, 0, len(cfg.IPFamilies))
	for _, f := range cfg.IPFamilies {
		if f == corev1.IPv6Protocol {
			out = append(out, cfg.IPv6PodCIDR.String())
		} else {
			out = append(out, cfg.PodCIDR.String())
		}
	}
	return out
}

func (cfg Config) String() string {
	return fmt.Sprintf("node=%s nodeIP=%s instance=%s podCIDRs=%v loopbackCIDR=%s", cfg.NodeName, cfg.NodeIP, cfg.InstanceID, cfg.podCIDRs(), cfg.LoopbackCIDR)
}
