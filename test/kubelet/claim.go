package kubelet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/addrpool"
)

// errClaimed means another kubelet on this machine serves on the address.
var errClaimed = errors.New("address is claimed by another loopback kubelet")

// fileClaims makes loopback addresses unique across every loopback kubelet
// on the machine. Each test package runs its own cluster in its own process,
// and all of them map pods into the same loopback CIDR, so two clusters
// would otherwise both put a pod on 127.244.0.2 and the second could not
// listen. A claim is an exclusive flock on one file per address: the kernel
// drops it when the process dies, so a crashed test never leaks a claim.
type fileClaims struct {
	dir string
}

func newFileClaims(dir string) (*fileClaims, error) {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("creating loopback claim directory: %w", err)
	}
	return &fileClaims{dir: dir}, nil
}

// Claim takes addr for this process until release is called.
func (c *fileClaims) Claim(addr netip.Addr) (release func(), err error) {
	release, err = addrpool.Claim(c.dir, addr)
	if errors.Is(err, addrpool.ErrHeld) {
		return nil, errClaimed
	}
	return release, err
}
