package kubelet

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
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
	if _, err := newLoopbackMapper(cfg.PodCIDR, cfg.LoopbackCIDR); err != nil {
		return cfg, err
	}
	return cfg, nil
}

func (cfg Config) String() string {
	return fmt.Sprintf("node=%s nodeIP=%s instance=%s podCIDR=%s loopbackCIDR=%s", cfg.NodeName, cfg.NodeIP, cfg.InstanceID, cfg.PodCIDR, cfg.LoopbackCIDR)
}
