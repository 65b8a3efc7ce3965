package manager

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/util/uuid"
	"k8s.io/apimachinery/pkg/watch"
	coordinationv1client "k8s.io/client-go/kubernetes/typed/coordination/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/clock"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// renewalLock is the leader election Lease, as controller-runtime would
// build it, remembering when this replica last acquired or renewed it. It
// is the fence of AWS writes (elbv2.Fence): a leader whose last renewal is
// older than the renew deadline has lost, or is about to lose, the Lease
// to a replica that may already be writing.
type renewalLock struct {
	resourcelock.Interface
	clock         clock.PassiveClock
	renewDeadline time.Duration
	// retry is the elector's retry period; changes, if set, lets a standby
	// hold its read of the Lease until the holder renews or releases it.
	retry   time.Duration
	changes leaseChanges

	mu        sync.Mutex
	renewedAt time.Time
	// lastRaw is the record a standby read last, changedAt when it first
	// read it: the holder looks alive while it keeps renewing.
	lastRaw   []byte
	changedAt time.Time
}

var _ elbv2.Fence = (*renewalLock)(nil)

// newRenewalLock builds the Lease lock for o: its name and namespace, an
// identity unique to this process, and a client whose timeout stays under
// the renew deadline so that one hung request cannot cost the Lease.
func newRenewalLock(cfg *rest.Config, o Options, clk clock.PassiveClock) (*renewalLock, error) {
	ns := o.leaderElectionNamespace()
	if ns == "" {
		b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
		if err != nil {
			return nil, errors.New("leader election needs a namespace for its Lease: set --leader-election-namespace or $POD_NAMESPACE")
		}
		ns = strings.TrimSpace(string(b))
	}
	host, err := os.Hostname()
	if err != nil {
		return nil, fmt.Errorf("naming this replica for leader election: %w", err)
	}
	lc := rest.AddUserAgent(rest.CopyConfig(cfg), "leader-election")
	lc.Timeout = max(o.RenewDeadline/2, time.Second)
	core, err := corev1client.NewForConfig(lc)
	if err != nil {
		return nil, fmt.Errorf("building the leader election client: %w", err)
	}
	coord, err := coordinationv1client.NewForConfig(lc)
	if err != nil {
		return nil, fmt.Errorf("building the leader election client: %w", err)
	}
	lock, err := resourcelock.New(resourcelock.LeasesResourceLock, ns, o.LeaderElectionID, core, coord,
		resourcelock.ResourceLockConfig{Identity: host + "_" + string(uuid.NewUUID())})
	if err != nil {
		return nil, fmt.Errorf("building the leader election lock: %w", err)
	}
	return &renewalLock{Interface: lock, clock: clk, renewDeadline: o.RenewDeadline, retry: o.RetryPeriod,
		changes: &leaseWatch{leases: coord.Leases(ns), name: o.LeaderElectionID}}, nil
}

// Get is how the elector reads the Lease before trying to take it. A
// standby polls every retry period with jitter (1 to 2.2 periods), so a
// Lease released by a leader on SIGTERM would wait up to 2.2 periods for
// its next holder. While the holder keeps renewing, a standby's read is
// held instead until the Lease next changes (a renewal or the release),
// so that a release is acted on within a watch event. A holder that missed
// its renewal is not waited for: from then on the standby polls as
// client-go does, so a crashed leader is replaced no later than without
// the hold. Holding a read only delays this replica's own attempt; it can
// never make two leaders, since taking the Lease is still client-go's
// Update on the Lease's resourceVersion.
func (l *renewalLock) Get(ctx context.Context) (*resourcelock.LeaderElectionRecord, []byte, error) {
	rec, raw, err := l.Interface.Get(ctx)
	if err != nil || l.changes == nil || rec.HolderIdentity == "" || rec.HolderIdentity == l.Identity() {
		return rec, raw, err
	}
	// The holder renews every retry period. A hold that outlasts a missed
	// renewal delays when this replica first sees the dead holder's last
	// record, and so its expiry, by as much; hence just over one period.
	hold := l.retry * 11 / 10
	if !l.seen(raw, hold) {
		return rec, raw, nil
	}
	if !l.changes.waitChange(ctx, *rec, hold) {
		return rec, raw, nil
	}
	rec, raw, err = l.Interface.Get(ctx)
	if err == nil {
		l.seen(raw, hold)
	}
	return rec, raw, err
}

// seen records raw as read now and reports whether the holder looks alive:
// its record changed within alive.
func (l *renewalLock) seen(raw []byte, alive time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	if !bytes.Equal(raw, l.lastRaw) {
		l.lastRaw, l.changedAt = raw, now
	}
	return now.Sub(l.changedAt) <= alive
}

// leaseChanges waits for the Lease to differ from a record read earlier.
type leaseChanges interface {
	// waitChange reports whether the Lease's holder or renew time changed
	// from rec within d; false on timeout or any error, after which the
	// elector polls as usual.
	waitChange(ctx context.Context, rec resourcelock.LeaderElectionRecord, d time.Duration) bool
}

// leaseWatch watches the one Lease (the leader election Role allows watch
// on leases).
type leaseWatch struct {
	leases coordinationv1client.LeaseInterface
	name   string
}

func (w *leaseWatch) waitChange(ctx context.Context, rec resourcelock.LeaderElectionRecord, d time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	// Without a resourceVersion the watch starts with the Lease as it is
	// now, so a change between the read and the watch is not missed.
	wi, err := w.leases.Watch(ctx, metav1.ListOptions{FieldSelector: fields.OneTermEqualSelector("metadata.name", w.name).String()})
	if err != nil {
		return false
	}
	defer wi.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case ev, ok := <-wi.ResultChan():
			if !ok {
				return false
			}
			switch ev.Type {
			case watch.Deleted:
				return true
			case watch.Added, watch.Modified:
				lease, ok := ev.Object.(*coordinationv1.Lease)
				if !ok {
					continue
				}
				now := resourcelock.LeaseSpecToLeaderElectionRecord(&lease.Spec)
				if now.HolderIdentity != rec.HolderIdentity || !now.RenewTime.Equal(&rec.RenewTime) {
					return true
				}
			}
		}
	}
}

// Create is the first acquisition of a Lease that did not exist.
func (l *renewalLock) Create(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Create(ctx, r)
	l.observe(r, err)
	return err
}

// Update acquires or renews the Lease, or, with an empty holder, releases
// it on a clean shutdown.
func (l *renewalLock) Update(ctx context.Context, r resourcelock.LeaderElectionRecord) error {
	err := l.Interface.Update(ctx, r)
	l.observe(r, err)
	return err
}

// observe records a successful write of a record naming this replica as
// the holder; any other write (a release) closes the fence at once.
func (l *renewalLock) observe(r resourcelock.LeaderElectionRecord, err error) {
	if err != nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if r.HolderIdentity == l.Identity() {
		l.renewedAt = l.clock.Now()
	} else {
		l.renewedAt = time.Time{}
	}
}

// Closed is nil while the last renewal is within the renew deadline.
// Another replica can take the Lease no sooner than the lease duration
// after that renewal, so the gap between the two is what an attempt
// already sent has to land in (docs/aws-api.md).
func (l *renewalLock) Closed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.renewedAt.IsZero() {
		return errors.New("this replica does not hold the leader Lease")
	}
	if since := l.clock.Since(l.renewedAt); since > l.renewDeadline {
		return fmt.Errorf("the leader Lease was last renewed %s ago, beyond the renew deadline of %s", since.Round(time.Millisecond), l.renewDeadline)
	}
	return nil
}
