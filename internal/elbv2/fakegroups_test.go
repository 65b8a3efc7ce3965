package elbv2

import (
	"context"
	"sync"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// recorder is a TargetGroups that records calls and returns a set error.
type recorder struct {
	mu    sync.Mutex
	calls []string
	err   error
}

func (r *recorder) record(op string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, op)
	return r.err
}

func (r *recorder) seen() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.calls...)
}

func (r *recorder) DescribeTargetGroup(ctx context.Context, arn string) (TargetGroup, error) {
	return TargetGroup{ARN: arn}, r.record("DescribeTargetGroup")
}

func (r *recorder) TargetGroupPage(ctx context.Context, marker string) ([]TargetGroup, string, error) {
	return nil, "", r.record("TargetGroupPage")
}

func (r *recorder) DeregistrationDelay(ctx context.Context, arn string, _ Priority) (time.Duration, error) {
	return 0, r.record("DeregistrationDelay")
}

func (r *recorder) FindTargetGroupByName(ctx context.Context, name string) (TargetGroup, error) {
	return TargetGroup{Name: name}, r.record("FindTargetGroupByName")
}

func (r *recorder) TargetHealth(ctx context.Context, arn string, _ Priority) ([]targets.Health, error) {
	return nil, r.record("TargetHealth")
}

func (r *recorder) Register(ctx context.Context, arn string, ts []targets.Target, _ Write) error {
	return r.record("Register")
}

func (r *recorder) Deregister(ctx context.Context, arn string, ts []targets.Target, _ Write) error {
	return r.record("Deregister")
}

func (r *recorder) Tags(ctx context.Context, arn string) (map[string]string, error) {
	return nil, r.record("Tags")
}
