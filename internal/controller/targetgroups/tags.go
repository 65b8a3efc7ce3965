package targetgroups

import (
	"context"
	"maps"
)

// Tags returns the group's AWS tags as read at most one drift interval ago.
// Tenancy rules that match on tags are checked when a binding claims a
// group and again once per drift interval, never with a read of their own
// before each endpoint change's write.
func (v *View) Tags(ctx context.Context, arn string) (map[string]string, error) {
	g := v.Lock(arn)
	defer g.Unlock()
	if !g.tagsAt.IsZero() && v.clock.Since(g.tagsAt) < v.cfg.DriftInterval {
		return maps.Clone(g.tags), nil
	}
	tags, err := v.aws.Tags(ctx, arn)
	if err != nil {
		return nil, err
	}
	g.tags, g.tagsAt = tags, v.clock.Now()
	return maps.Clone(tags), nil
}
