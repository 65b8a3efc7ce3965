package targetgroups

import (
	"context"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
)

// catalog is the account's target groups as tgc last read them. One sweep
// of DescribeTargetGroups pages (400 groups a call) describes every group
// that every binding needs: after a restart, 1,000 bindings cost 3 calls
// rather than 1,000, which leaves the Describe bucket to the
// DescribeTargetHealth call per group that verifies its targets. A group
// missing from the last sweep (created since) is described on its own.
type catalog struct {
	aws elbv2.TargetGroups

	mu       sync.Mutex
	byARN    map[string]entry
	byName   map[string]string // name -> ARN
	sweptAt  time.Time
	sweeping chan struct{} // closed when the running sweep ends
	sweepErr error
}

type entry struct {
	tg elbv2.TargetGroup
	at time.Time
}

func newCatalog(aws elbv2.TargetGroups) *catalog {
	return &catalog{aws: aws, byARN: map[string]entry{}, byName: map[string]string{}}
}

// lookup returns the group with this ARN (or, with arn empty, this name) as
// read at most ttl ago.
func (c *catalog) lookup(ctx context.Context, arn, name string, now time.Time, ttl time.Duration) (elbv2.TargetGroup, error) {
	if tg, ok := c.fresh(arn, name, now, ttl); ok {
		return tg, nil
	}
	if err := c.sweep(ctx, now, ttl); err != nil {
		return elbv2.TargetGroup{}, err
	}
	if tg, ok := c.fresh(arn, name, now, ttl); ok {
		return tg, nil
	}
	// Not in a fresh sweep: created since, or gone. Ask for it alone, which
	// also gives AWS's own answer (TargetGroupNotFound) for a missing group.
	var tg elbv2.TargetGroup
	var err error
	if arn != "" {
		tg, err = c.aws.DescribeTargetGroup(ctx, arn)
	} else {
		tg, err = c.aws.FindTargetGroupByName(ctx, name)
	}
	if err != nil {
		return elbv2.TargetGroup{}, err
	}
	c.mu.Lock()
	c.put(tg, now)
	c.mu.Unlock()
	return tg, nil
}

func (c *catalog) fresh(arn, name string, now time.Time, ttl time.Duration) (elbv2.TargetGroup, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if arn == "" {
		arn = c.byName[name]
	}
	e, ok := c.byARN[arn]
	if !ok || now.Sub(e.at) >= ttl {
		return elbv2.TargetGroup{}, false
	}
	return e.tg, true
}

// sweep reads every page unless a sweep younger than ttl exists; callers
// arriving while one runs wait for it instead of starting their own.
func (c *catalog) sweep(ctx context.Context, now time.Time, ttl time.Duration) error {
	c.mu.Lock()
	if !c.sweptAt.IsZero() && now.Sub(c.sweptAt) < ttl {
		c.mu.Unlock()
		return nil
	}
	if running := c.sweeping; running != nil {
		c.mu.Unlock()
		select {
		case <-running:
		case <-ctx.Done():
			return ctx.Err()
		}
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.sweepErr
	}
	done := make(chan struct{})
	c.sweeping = done
	c.mu.Unlock()

	groups, err := c.readAll(ctx)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweeping, c.sweepErr = nil, err
	close(done)
	if err != nil {
		return err
	}
	// Groups absent from the sweep were deleted; forgetting them makes the
	// next lookup ask AWS, which answers TargetGroupNotFound.
	c.byARN, c.byName = make(map[string]entry, len(groups)), make(map[string]string, len(groups))
	for _, tg := range groups {
		c.put(tg, now)
	}
	c.sweptAt = now
	return nil
}

func (c *catalog) readAll(ctx context.Context) ([]elbv2.TargetGroup, error) {
	var all []elbv2.TargetGroup
	for marker := ""; ; {
		page, next, err := c.aws.TargetGroupPage(ctx, marker)
		if err != nil {
			return nil, err // the adapter names the call; a partial sweep is dropped whole
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		marker = next
	}
}

// put records tg; c.mu must be held.
func (c *catalog) put(tg elbv2.TargetGroup, now time.Time) {
	c.byARN[tg.ARN] = entry{tg: tg, at: now}
	if tg.Name != "" {
		c.byName[tg.Name] = tg.ARN
	}
}

// forget drops a group AWS said is gone, so a group recreated under the same
// name is read afresh.
func (c *catalog) forget(arn string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byARN[arn]; ok {
		delete(c.byName, e.tg.Name)
	}
	delete(c.byARN, arn)
}
