package scenario

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/sample"
	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// controller is the built controller running as its own process, with
// its production defaults, reaching the API server through the cluster's
// kubeconfig and the emulator through the SDK's standard environment.
type controller struct {
	*process.Process
	MetricsURL string
	// PprofURL is the base of the pprof endpoints; empty when they are off.
	PprofURL string
	http     *http.Client
}

// startController starts bin; logs go to logPath. extra flags come after
// the defaults, so they override them.
func startController(bin, logPath string, e *env, extra ...string) (*controller, error) {
	metricsPort, err := process.FreePort()
	if err != nil {
		return nil, err
	}
	healthPort, err := process.FreePort()
	if err != nil {
		return nil, err
	}
	args := []string{
		"--leader-elect=false",
		"--metrics-bind-address=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(metricsPort)),
		"--health-probe-bind-address=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(healthPort)),
		// The driver scrapes plain HTTP on loopback; with HTTPS each scrape
		// would add a TLS handshake and a TokenReview to what is measured.
		"--metrics-secure=false",
	}
	// For profiling a run (e.g. --pprof-bind-address=127.0.0.1:6060); the
	// published figures use production defaults and leave it empty.
	args = append(args, extra...)
	args = append(args, strings.Fields(os.Getenv("TGC_BENCH_CONTROLLER_ARGS"))...)
	p, err := process.StartController(bin, args, e.cluster.Kubeconfig, e.emu.URL(), region, logPath)
	if err != nil {
		return nil, err
	}
	return &controller{
		Process:    p,
		MetricsURL: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(metricsPort)) + "/metrics",
		http:       &http.Client{Timeout: 5 * time.Second},
	}, nil
}

// stop asks the controller to exit and kills it if it has not within 20 s.
// A scenario stops its controller after taking its figures, so neither
// the grace period nor a kill changes them.
func (c *controller) stop() { _ = c.Stop(20 * time.Second) }

// Series the driver reads from the controller's /metrics.
const (
	seriesQueueDepth sample.Series = `workqueue_depth{name="targetgroupbinding"}`
	seriesHeapInuse  sample.Series = `go_memstats_heap_inuse_bytes`
	seriesHeapAlloc  sample.Series = `go_memstats_heap_alloc_bytes`
)

// scrape reads the wanted series from the controller's /metrics.
func (c *controller) scrape(ctx context.Context, want ...sample.Series) (map[sample.Series]float64, error) {
	return sample.Scrape(ctx, c.http, c.MetricsURL, want...)
}
