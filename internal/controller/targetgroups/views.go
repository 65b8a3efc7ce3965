package targetgroups

import (
	"context"
	"fmt"
	"sync"
	"time"

	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/event"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Accounts hands out the ELBv2 boundary of each identity
// (*elbv2.Accounts).
type Accounts interface {
	For(id elbv2.Identity) (elbv2.TargetGroups, error)
}

// Views are the views of the target groups, one per identity, created when
// a binding first names it. Each caches what its own credentials read, so a
// binding whose role or external ID is wrong never sees what another
// identity's session read.
type Views struct {
	accounts Accounts
	clock    clock.PassiveClock
	cfg      Config
	changes  chan event.TypedGenericEvent[string]

	mu   sync.Mutex
	byID map[elbv2.Identity]*View
}

// NewViews returns views that read AWS through accounts.
func NewViews(accounts Accounts, clk clock.PassiveClock, cfg Config) *Views {
	return &Views{
		accounts: accounts, clock: clk, cfg: cfg,
		changes: make(chan event.TypedGenericEvent[string], 1024),
		byID:    map[elbv2.Identity]*View{},
	}
}

// For returns the view of id.
func (vs *Views) For(id elbv2.Identity) (*View, error) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if v, ok := vs.byID[id]; ok {
		return v, nil
	}
	tgs, err := vs.accounts.For(id)
	if err != nil {
		return nil, err
	}
	v := New(tgs, vs.clock, vs.cfg)
	// Every view announces into one channel: the binding controller
	// watches one source, and an ARN names its account.
	v.changes = vs.changes
	vs.byID[id] = v
	return v, nil
}

// Changes delivers the ARN of each group a read of any view found changed
// outside tgc.
func (vs *Views) Changes() <-chan event.TypedGenericEvent[string] { return vs.changes }

// For returns v itself for the controller's own identity: a lone View
// serves that identity only.
func (v *View) For(id elbv2.Identity) (*View, error) {
	if id.RoleARN != "" {
		return nil, fmt.Errorf("role %s: this view serves the controller's own credentials only", id.RoleARN)
	}
	return v, nil
}

// FreshHealth reads through the own identity's view; readers that know the
// binding use For.
func (vs *Views) FreshHealth(ctx context.Context, arn string, maxAge time.Duration) ([]targets.Health, time.Time, error) {
	v, err := vs.For(elbv2.Identity{})
	if err != nil {
		return nil, time.Time{}, err
	}
	return v.FreshHealth(ctx, arn, maxAge)
}

// Health reads the own identity's cached view.
func (vs *Views) Health(arn string) ([]targets.Health, time.Time, bool) {
	v, err := vs.For(elbv2.Identity{})
	if err != nil {
		return nil, time.Time{}, false
	}
	return v.Health(arn)
}

// Lookup resolves a group through the own identity's view.
func (vs *Views) Lookup(ctx context.Context, arn, name string) (elbv2.TargetGroup, error) {
	v, err := vs.For(elbv2.Identity{})
	if err != nil {
		return elbv2.TargetGroup{}, err
	}
	return v.Lookup(ctx, arn, name)
}
