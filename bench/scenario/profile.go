package scenario

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// pprofArgs turns on the controller's pprof endpoints on a free loopback
// port when a CPU profile is asked for; the published figures leave them
// off, as production does.
func (r *runner) pprofArgs() ([]string, string, error) {
	if r.opts.CPUProfile == "" {
		return nil, "", nil
	}
	port, err := process.FreePort()
	if err != nil {
		return nil, "", err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return []string{"--pprof-bind-address=" + addr}, "http://" + addr, nil
}

// profileCPU reads a CPU profile of the controller over d and writes it
// to path. It runs alongside a measured window, so that the profile covers
// the same work the CPU figure does.
func profileCPU(ctx context.Context, pprofURL string, d time.Duration, path string) error {
	secs := max(1, int(d.Round(time.Second).Seconds()))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("%s/debug/pprof/profile?seconds=%d", pprofURL, secs), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: d + 30*time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("reading the controller's CPU profile: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("reading the controller's CPU profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("writing the CPU profile: %w", err)
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return fmt.Errorf("writing the CPU profile to %s: %w", path, err)
	}
	return f.Close()
}
