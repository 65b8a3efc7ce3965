package kubelet

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
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
	path := filepath.Join(c.dir, addr.String())
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("claiming %s: %w", addr, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errClaimed
		}
		return nil, fmt.Errorf("claiming %s: %w", addr, err)
	}
	// Closing the file drops the lock.
	return func() { _ = f.Close() }, nil
}
