package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/uuid"
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

	mu        sync.Mutex
	renewedAt time.Time
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
	return &renewalLock{Interface: lock, clock: clk, renewDeadline: o.RenewDeadline}, nil
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
