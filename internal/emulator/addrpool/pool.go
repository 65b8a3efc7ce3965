// Package addrpool hands out loopback addresses that no other process on
// the machine holds. The emulator gives each load balancer one, so that
// two load balancers can both listen on port 80 as they can in AWS, where
// each has addresses of its own; every test package (and every developer's
// worktree) runs an emulator of its own on the same machine, so uniqueness
// within one process is not enough.
package addrpool

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"syscall"
)

// ErrExhausted means every address of the pool is taken.
var ErrExhausted = errors.New("every address of the pool is taken")

// Pool takes addresses from a prefix. A taken address is an exclusive
// flock on a file named after it in the pool's directory: the kernel drops
// the lock when the process dies, so a crashed process leaks nothing, and
// processes that share the directory never hold the same address.
type Pool struct {
	prefix netip.Prefix
	dir    string
}

// New returns a pool of prefix's addresses, claimed in dir, which it
// creates if needed.
func New(prefix netip.Prefix, dir string) (*Pool, error) {
	if !prefix.IsValid() {
		return nil, errors.New("the address pool needs a valid prefix")
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil, fmt.Errorf("creating the address claim directory %s: %w", dir, err)
	}
	return &Pool{prefix: prefix.Masked(), dir: dir}, nil
}

// Prefix is the pool's range.
func (p *Pool) Prefix() netip.Prefix { return p.prefix }

// Take claims the lowest free address, skipping the network address (and,
// for IPv4, the broadcast address), and returns it with the function that
// gives it back.
func (p *Pool) Take() (netip.Addr, func(), error) {
	for a := p.prefix.Addr().Next(); p.prefix.Contains(a); a = a.Next() {
		if a.Is4() && !p.prefix.Contains(a.Next()) {
			break // the broadcast address
		}
		release, err := Claim(p.dir, a)
		if errors.Is(err, ErrHeld) {
			continue
		}
		if err != nil {
			return netip.Addr{}, nil, err
		}
		return a, release, nil
	}
	return netip.Addr{}, nil, fmt.Errorf("taking an address from %s: %w", p.prefix, ErrExhausted)
}

// ErrHeld means another owner holds the address.
var ErrHeld = errors.New("address is held by another owner")

// Claim takes address a for this process until release is called: an
// exclusive flock on the file named after a in dir, which the kernel drops
// when the process dies. It fails with ErrHeld when another owner has it.
// The loopback kubelet claims its pod and node addresses the same way, in
// the same directory, so the two never collide.
func Claim(dir string, a netip.Addr) (release func(), err error) {
	path := filepath.Join(dir, a.String())
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, fmt.Errorf("claiming %s: %w", a, err)
	}
	// Separate opens of one file conflict even within a process, so two
	// emulators in one test binary are kept apart too.
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrHeld
		}
		return nil, fmt.Errorf("claiming %s: %w", a, err)
	}
	return func() { _ = f.Close() }, nil
}
