package testcluster

import (
	"context"
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"

	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
)

// shared is the one cluster every test in this package uses; each test works
// in its own namespace.
var shared *Cluster

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		// -short (make unit) runs the pure tests only; sharedCluster skips
		// the rest.
		os.Exit(m.Run())
	}
	log := logr.Discard()
	if testing.Verbose() {
		log = funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{LogTimestamp: true, Verbosity: 1})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute) // a cold asset build is ~11 min
	start := time.Now()
	c, err := Start(ctx, Options{
		Logger: log,
		// Probe often so readiness tests run fast.
		Kubelet: kubelet.Config{MaxProbePeriod: 200 * time.Millisecond},
	})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the shared test cluster:", err)
		os.Exit(1)
	}
	fmt.Fprintf(os.Stderr, "shared test cluster started in %s\n", time.Since(start).Round(time.Millisecond))
	shared = c
	code := m.Run()
	stopStart := time.Now()
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stopping the shared test cluster:", err)
		code = 1
	}
	fmt.Fprintf(os.Stderr, "shared test cluster stopped in %s\n", time.Since(stopStart).Round(time.Millisecond))
	os.Exit(code)
}

// sharedCluster is the package's cluster, or a skip under -short.
func sharedCluster(t *testing.T) *Cluster {
	t.Helper()
	if shared == nil {
		t.Skip("needs the local control plane (not run with -short)")
	}
	return shared
}
