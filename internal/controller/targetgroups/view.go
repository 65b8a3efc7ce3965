package targetgroups

import (
	"context"
	"sync"
	"time"

	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// Config tunes the view. Zero fields take the defaults below.
type Config struct {
	// DriftInterval is how often each target group is read back from AWS to
	// find targets changed by hand, and how long the catalog's sweep of the
	// account's groups is trusted. Default 5m.
	DriftInterval time.Duration
	// HealthPollInterval is how often a target group whose targets are still
	// changing state (initial, draining, unhealthy) is read back, so that
	// status counts follow target health. Default 10s.
	HealthPollInterval time.Duration
}

func (c Config) withDefaults() Config {
	if c.DriftInterval <= 0 {
		c.DriftInterval = 5 * time.Minute
	}
	if c.HealthPollInterval <= 0 {
		c.HealthPollInterval = 10 * time.Second
	}
	return c
}

// View is the shared view of the target groups.
type View struct {
	aws     elbv2.TargetGroups
	clock   clock.PassiveClock
	cfg     Config
	catalog *catalog

	mu    sync.Mutex
	byARN map[string]*Group

	// changes carries the ARN of a group whose membership a read found
	// changed outside tgc, so that its bindings sync now.
	changes chan event.TypedGenericEvent[string]
}

// New returns an empty view that reads AWS through aws.
func New(aws elbv2.TargetGroups, clk clock.PassiveClock, cfg Config) *View {
	return &View{
		aws:     aws,
		clock:   clk,
		cfg:     cfg.withDefaults(),
		catalog: newCatalog(aws),
		byARN:   map[string]*Group{},
		changes: make(chan event.TypedGenericEvent[string], 1024),
	}
}

// Changes delivers the ARN of each group a read found changed outside tgc.
// A full channel drops the news: the group's bindings then find the change
// at their next drift check.
func (v *View) Changes() <-chan event.TypedGenericEvent[string] { return v.changes }

// Lookup returns the group with this ARN (or, with arn empty, this name) as
// read at most one drift interval ago.
func (v *View) Lookup(ctx context.Context, arn, name string) (elbv2.TargetGroup, error) {
	return v.catalog.lookup(ctx, arn, name, v.clock.Now(), v.cfg.DriftInterval)
}

// Lock returns the group's entry, locked. Every binding of a group (several
// in multi-cluster mode) syncs under this lock, so that their plans never
// race; the caller must Unlock it.
func (v *View) Lock(arn string) *Group {
	g := v.entry(arn)
	g.mu.Lock()
	return g
}

func (v *View) entry(arn string) *Group {
	v.mu.Lock()
	defer v.mu.Unlock()
	g, ok := v.byARN[arn]
	if !ok {
		g = newGroup(v, arn)
		v.byARN[arn] = g
	}
	return g
}

// Forget drops a group AWS said no longer exists, so that a group recreated
// under the same name is described and read afresh.
func (v *View) Forget(arn string) {
	v.mu.Lock()
	delete(v.byARN, arn)
	v.mu.Unlock()
	v.catalog.forget(arn)
}

func (v *View) announce(arn string) {
	select {
	case v.changes <- event.TypedGenericEvent[string]{Object: arn}:
	default:
	}
}
