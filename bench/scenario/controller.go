package scenario

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/bench/sample"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// buildController builds the controller binary into dir once per run.
func buildController(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "targetgroupcontroller")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/targetgroupcontroller")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building the controller: %w\n%s", err, out)
	}
	return bin, nil
}

// controller is the built controller running as its own process, with
// its production defaults, reaching the API server through the cluster's
// kubeconfig and the emulator through the SDK's standard environment.
type controller struct {
	cmd        *exec.Cmd
	done       chan struct{}
	Started    time.Time
	LogPath    string
	MetricsURL string
	http       *http.Client
}

func (c *controller) Pid() int { return c.cmd.Process.Pid }

// startController starts bin; logs go to logPath.
func startController(bin, logPath string, e *env) (*controller, error) {
	metricsPort, err := freePort()
	if err != nil {
		return nil, err
	}
	healthPort, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the controller log: %w", err)
	}
	args := []string{
		"--leader-elect=false",
		"--metrics-bind-address=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(metricsPort)),
		"--health-probe-bind-address=" + net.JoinHostPort("127.0.0.1", strconv.Itoa(healthPort)),
	}
	// For profiling a run (e.g. --pprof-bind-address=127.0.0.1:6060); the
	// published figures use production defaults and leave it empty.
	args = append(args, strings.Fields(os.Getenv("TGC_BENCH_CONTROLLER_ARGS"))...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+e.cluster.Kubeconfig)
	cmd.Env = append(cmd.Env, emulator.SDKEnv(e.emu.URL(), region)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// The controller dies with the driver, even if the driver is killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	c := &controller{
		cmd:        cmd,
		done:       make(chan struct{}),
		LogPath:    logPath,
		MetricsURL: "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(metricsPort)) + "/metrics",
		http:       &http.Client{Timeout: 5 * time.Second},
	}
	c.Started = time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting the controller: %w", err)
	}
	go func() { _ = cmd.Wait(); logFile.Close(); close(c.done) }()
	return c, nil
}

// exited reports whether the process has ended.
func (c *controller) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, waits up to 20 s for a clean exit, then kills.
func (c *controller) stop() {
	if c.exited() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(20 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

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
