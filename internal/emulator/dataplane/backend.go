package dataplane

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
)

// Backend is the target chosen for one request or connection.
type Backend struct {
	// Group is the target group the listener chose (weighted forwarding),
	// set even when the group had no target to offer.
	Group string
	// Key names the target in the counts, e.g. "10.244.0.7:8080".
	Key string
	// Addr is the registered address; the dialer maps it onto loopback.
	Addr netip.AddrPort
	// Gone is closed when the target leaves the group at the end of its
	// deregistration delay; in-flight work on it is then cut, as AWS does.
	Gone <-chan struct{}
}

// Picker chooses the target for each new request or connection. ok is false
// when the chosen group has no target that may receive traffic, or no group
// may (every weight 0).
type Picker interface {
	Pick() (b Backend, ok bool)
}

// PickerFunc adapts a function to Picker.
type PickerFunc func() (Backend, bool)

// Pick calls f.
func (f PickerFunc) Pick() (Backend, bool) { return f() }

// classify maps a dial or transport error onto an Outcome.
func classify(err error) Outcome {
	var netErr net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, dial.ErrNotLoopback):
		return Refused
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded),
		errors.As(err, &netErr) && netErr.Timeout():
		return Timeout
	default:
		return Failed
	}
}

// untilGone returns a context cancelled when parent ends or gone closes.
func untilGone(parent context.Context, gone <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	if gone == nil {
		return ctx, cancel
	}
	go func() {
		select {
		case <-gone:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
