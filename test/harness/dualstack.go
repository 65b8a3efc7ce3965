package harness

import (
	"net/netip"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// The dual-stack network the test suites share: the VPC has an IPv6 block
// (fd00:10:244::/56) besides its IPv4 CIDR; the loopback kubelet hands out
// IPv6 pod addresses in fd00:10:244::/112 that keep the host bits of the
// pod's IPv4 address, so both families of one pod map onto the same
// loopback address, 127.244.x.y.
var (
	DualStackVPC = emulator.VPC{
		ID:       emulator.DefaultVPC.ID,
		CIDR:     netip.MustParsePrefix("10.244.0.0/16"),
		IPv6CIDR: netip.MustParsePrefix("fd00:10:244::/56"),
	}
	// PodDialMap sends both families of pod addresses to loopback.
	PodDialMap = []emulator.DialMapping{
		{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")},
		{From: netip.MustParsePrefix("fd00:10:244::/112"), To: netip.MustParsePrefix("127.244.0.0/16")},
	}
	// DualStack are the kubelet's pod IP families: IPv4 primary, so that a
	// Service that asks for nothing stays IPv4 single-stack.
	DualStack = []corev1.IPFamily{corev1.IPv4Protocol, corev1.IPv6Protocol}
)

// DualStackServiceRange is kube-apiserver's --service-cluster-ip-range for
// a dual-stack cluster: envtest's IPv4 range and an IPv6 one (at most 20
// host bits, the API server's limit).
const DualStackServiceRange = "10.0.0.0/24,fd00:10:96::/112"
