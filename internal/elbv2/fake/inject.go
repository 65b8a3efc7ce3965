package fake

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// injected holds what a test made AWS, or the rate limit, answer.
type injected struct {
	next    map[string][]error         // by op, first in first out
	sticky  map[[2]string]error        // by op and ARN; "" is every ARN
	defers  map[string][]time.Duration // by op, first in first out
	noSpare bool
	reject  []func(targets.Target) bool
}

// take returns the error the next request of op on arn gets, if any.
func (in *injected) take(op, arn string) error {
	if q := in.next[op]; len(q) > 0 {
		in.next[op] = q[1:]
		return q[0]
	}
	if err, ok := in.sticky[[2]string{op, arn}]; ok {
		return err
	}
	return in.sticky[[2]string{op, ""}]
}

func (in *injected) rejected(t targets.Target) bool {
	for _, r := range in.reject {
		if r(t) {
			return true
		}
	}
	return false
}

// NextError makes the next request of op fail with err, without changing
// state: AWS rejected it. Errors queued for the same op are used first in
// first out, one per request, so that the second batch of a Register can
// be the one that fails; a nil err lets its request through as usual. err
// is returned wrapped with the context the adapter adds; make it an
// *elbv2.APIError to stand for an AWS error code.
func (f *TargetGroups) NextError(op string, err error) {
	checkOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inject.next == nil {
		f.inject.next = map[string][]error{}
	}
	f.inject.next[op] = append(f.inject.next[op], err)
}

// ErrorFor makes every request of op on the group arn fail with err until
// it is called again with a nil err: an outage or a missing IAM permission
// that lasts. An empty arn means every group. Queued NextErrors come first.
func (f *TargetGroups) ErrorFor(op, arn string, err error) {
	checkOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	k := [2]string{op, arn}
	if err == nil {
		delete(f.inject.sticky, k)
		return
	}
	if f.inject.sticky == nil {
		f.inject.sticky = map[[2]string]error{}
	}
	f.inject.sticky[k] = err
}

// Defer makes the next Register (op RegisterTargets) or Deregister
// (DeregisterTargets) that may wait only a bounded time (non-zero
// Write.MaxWait) return an *elbv2.DeferredError asking to come back after:
// the rate limiter's answer when its tokens are further away than the
// call may wait. The call never reaches AWS and changes nothing. A write
// with a zero MaxWait waits for its tokens instead and leaves the deferral
// queued.
func (f *TargetGroups) Defer(op string, after time.Duration) {
	if op != OpRegisterTargets && op != OpDeregisterTargets {
		panic(fmt.Sprintf("fake: Defer(%q): only %s and %s are deferred", op, OpRegisterTargets, OpDeregisterTargets))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.inject.defers == nil {
		f.inject.defers = map[string][]time.Duration{}
	}
	f.inject.defers[op] = append(f.inject.defers[op], after)
}

// SetSpareUnavailable makes every elbv2.Spare read fail at once with
// elbv2.ErrDeferred, as the rate limiter does while the Describe bucket
// holds no more than half its burst; Required reads still go through.
func (f *TargetGroups) SetSpareUnavailable(unavailable bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject.noSpare = unavailable
}

// RejectIPs makes AWS refuse these addresses as targets (InvalidTarget),
// as it refuses an address outside the VPC's ranges.
func (f *TargetGroups) RejectIPs(ips ...netip.Addr) {
	set := make(map[netip.Addr]bool, len(ips))
	for _, ip := range ips {
		set[ip.Unmap()] = true
	}
	f.RejectTargets(func(t targets.Target) bool { return set[t.IP.Unmap()] })
}

// RejectTargets makes AWS refuse every target for which invalid is true.
// RegisterTargets validates the whole request first, so a request holding
// one such target registers none of its targets.
func (f *TargetGroups) RejectTargets(invalid func(targets.Target) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject.reject = append(f.inject.reject, invalid)
}

// ClearErrors drops every injected error, deferral and rejection, and
// makes Spare reads available again, keeping state and calls.
func (f *TargetGroups) ClearErrors() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inject = injected{}
}

// Reset returns the fake to empty: no groups, no calls, nothing injected.
// The Config stays.
func (f *TargetGroups) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups, f.order, f.calls, f.deferred, f.inject = nil, nil, nil, nil, injected{}
}

// spare refuses c when Spare reads are unavailable. Callers hold f.mu.
func (f *TargetGroups) spare(c Call) error {
	if !f.inject.noSpare || c.Priority != elbv2.Spare {
		return nil
	}
	c.Err = elbv2.ErrDeferred
	f.deferred = append(f.deferred, c)
	return elbv2.ErrDeferred
}

// deferWrite turns c away when a deferral is queued for its op and c may
// not wait unboundedly. Callers hold f.mu.
func (f *TargetGroups) deferWrite(c Call) error {
	q := f.inject.defers[c.Op]
	if c.Write.MaxWait <= 0 || len(q) == 0 {
		return nil
	}
	f.inject.defers[c.Op] = q[1:]
	err := &elbv2.DeferredError{Op: c.Op, After: q[0]}
	c.Err = err
	f.deferred = append(f.deferred, c.clone())
	return err
}

// checkOp panics on an action the fake does not know, so that a typo in a
// test fails loudly instead of injecting an error nothing ever takes.
func checkOp(op string) {
	switch op {
	case OpDescribeTargetGroups, OpDescribeTargetGroupAttributes, OpDescribeTargetHealth, OpDescribeTags, OpRegisterTargets, OpDeregisterTargets:
		return
	}
	panic(fmt.Sprintf("fake: unknown ELBv2 action %q", op))
}
