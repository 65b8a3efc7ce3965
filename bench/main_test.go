package bench

import (
	"context"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"

	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// suite is what every benchmark shares: one control plane and one emulator
// per run, since starting them costs seconds. Benchmarks run one at a time,
// each in its own namespace with its own manager, so the emulator's call log
// and throttle buckets belong to the running benchmark alone.
type suite struct {
	cluster *testcluster.Cluster
	emu     *emulator.Emulator
	log     logr.Logger
}

// shared is set once by TestMain before any benchmark runs and only read
// after.
var shared suite

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	// `make test` and `make unit` build this package too; without -bench
	// only the pure tests run, and they need no control plane.
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		return m.Run()
	}
	log := quiet()
	if os.Getenv("BENCH_LOG") != "" {
		log = funcr.New(func(prefix, args string) { fmt.Fprintln(os.Stderr, prefix, args) }, funcr.Options{LogTimestamp: true})
	}
	// A cold build of the Kubernetes binaries takes about 11 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..")
	started := time.Now()
	cluster, err := testcluster.Start(ctx, testcluster.Options{
		CRDDirectoryPaths: []string{filepath.Join(root, "config", "crd", "bases")},
		// Probing every 200ms keeps a sample's pod start short; the
		// measured latency starts at the endpoint change, so the probe
		// period does not enter the figures.
		Kubelet: kubelet.Config{MaxProbePeriod: 200 * time.Millisecond},
		Logger:  log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "starting the control plane:", err)
		return 1
	}
	defer func() {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the control plane:", err)
		}
	}()
	fmt.Fprintf(os.Stderr, "control plane up in %s\n", time.Since(started).Round(time.Millisecond))

	emu, err := emulator.New(emulator.Config{
		DialMap: []emulator.DialMapping{{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")}},
		Profile: emulator.FastProfile(),
		// Health is not what is measured, and the restart benchmarks bind
		// hand-written endpoints that no process serves.
		HealthChecks: emulator.HealthChecksSimulated,
		// The zero Throttle is AWS's default per-account buckets (Register
		// and Deregister 4/s burst 20, Describe 50/s burst 200), the limits
		// tgc promises to converge within.
		Throttle: emulator.Throttle{},
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

	harness.SetSDKEnv(emu.URL())
	// controller-runtime's client warns through its global logger, which
	// otherwise complains, after 30 s, that it was never set.
	ctrllog.SetLogger(log)
	shared = suite{cluster: cluster, emu: emu, log: log}
	return m.Run()
}

// quiet is a logger that drops everything without formatting it: the
// controller logs every batch, and formatting would compete for the two
// cores with what is measured.
func quiet() logr.Logger { return logr.New(discardSink{}) }

type discardSink struct{}

func (discardSink) Init(logr.RuntimeInfo)            {}
func (discardSink) Enabled(int) bool                 { return false }
func (discardSink) Info(int, string, ...any)         {}
func (discardSink) Error(error, string, ...any)      {}
func (d discardSink) WithValues(...any) logr.LogSink { return d }
func (d discardSink) WithName(string) logr.LogSink   { return d }
