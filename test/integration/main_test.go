// Package integration tests the controller on a real control plane (etcd,
// kube-apiserver, kube-controller-manager, loopback kubelet) against the
// ELBv2 emulator, through the real AWS SDK over HTTP. Each test runs its own
// controller manager, scoped to the test's namespace, in this process, as
// the controller's own ServiceAccount with the shipped RBAC (test/identity),
// so that a rule missing from config/rbac fails the test that needs it.
package integration

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/identity"
	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// suite is what every test shares: one control plane and one emulator per
// package, since starting them costs seconds.
type suite struct {
	cluster *testcluster.Cluster
	// controller is the identity every test's controller runs as: the
	// shipped ServiceAccount and RBAC, never the cluster admin.
	controller *identity.Identity
	emu        *emulator.Emulator
	proxy      *denyProxy
}

// shared is set once by TestMain before any test runs and only read after.
var shared suite

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("integration tests skipped in -short mode")
		return 0
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	emu, err := emulator.New(emulator.Config{
		VPCs:    []emulator.VPC{harness.DualStackVPC},
		DialMap: harness.PodDialMap,
		Profile: integrationProfile(),
		// The network accounts and roles of the cross-account tests.
		Accounts: crossAccounts,
		Roles:    crossRoles,
		// Tests run in parallel against one emulator; only the throttling
		// test turns throttling on, while no other test runs.
		Throttle: emulator.Throttle{Disabled: true},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "creating the emulator:", err)
		return 1
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		fmt.Fprintln(os.Stderr, "starting the emulator:", err)
		return 1
	}
	defer emu.Close()
	// The emulator exists first, so that the kubelet's node announces the
	// EC2 instance it plays to it.
	cluster, err := testcluster.Start(ctx, testcluster.Options{
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")},
		// Dual stack, as the dual-stack tests need; a Service is still
		// IPv4 single-stack unless it asks for more.
		ServiceClusterIPRange: harness.DualStackServiceRange,
		Kubelet:               kubelet.Config{Instances: emu, IPFamilies: harness.DualStack},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the test cluster:", err)
		return 1
	}
	defer cluster.Stop()
	controller, err := identity.Install(ctx, cluster, identity.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "installing the controller's identity:", err)
		return 1
	}
	proxy, err := newDenyProxy(emu.URL())
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the access-denying proxy:", err)
		return 1
	}
	defer proxy.Close()

	harness.SetSDKEnv(proxy.URL())
	shared = suite{cluster: cluster, controller: controller, emu: emu, proxy: proxy}
	return m.Run()
}

// integrationProfile is the fast profile with a health-check timeout that a
// loaded 2-core machine running tests with -race can keep: these tests are
// about what tgc does with target health, and a loopback pod that answers in
// microseconds must not read as Target.Timeout because the scheduler was busy.
// Checks still run every 50 ms, and a probe in flight is never overlapped.
func integrationProfile() emulator.Profile {
	p := emulator.FastProfile()
	p.HealthCheckTimeout = time.Second
	return p
}
