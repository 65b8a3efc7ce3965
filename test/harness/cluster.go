package harness

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"

	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// Cluster starts a cluster for one test and stops it when the test ends. It
// fails the test if the cluster cannot start. Logs go to the test's log
// unless opts.Logger is set.
func Cluster(tb testing.TB, opts testcluster.Options) *testcluster.Cluster {
	tb.Helper()
	if opts.Logger.GetSink() == nil {
		opts.Logger = testr.NewWithInterface(tb, testr.Options{})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := testcluster.Start(ctx, opts)
	if err != nil {
		tb.Fatalf("starting test cluster: %v", err)
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("kube-controller-manager log tail:\n%s", c.ControllerManagerLogTail(4000))
		}
		if err := c.Stop(); err != nil {
			tb.Errorf("stopping test cluster: %v", err)
		}
	})
	return c
}

// Namespace creates a namespace named after the test and deletes it when
// the test ends.
func Namespace(tb testing.TB, c *testcluster.Cluster) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ns, err := c.CreateNamespace(ctx, tb.Name())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = c.DeleteNamespace(ctx, ns)
	})
	return ns
}
