package harness

import (
	"context"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/manager"
)

// Controller is tgc running in the test's process.
type Controller struct {
	// Registry holds the controller's metrics.
	Registry *prometheus.Registry

	tb      testing.TB
	cancel  context.CancelFunc
	done    chan error
	elected chan struct{}
	// electedAt is written before elected closes.
	electedAt time.Time
	stopped   atomic.Bool
}

// StartController builds a manager with o and starts it as
// w.ControllerConfig, logging to w.Log; it runs until Stop or the end of the
// test.
func (w *World) StartController(o manager.Options) *Controller {
	w.TB.Helper()
	reg := prometheus.NewRegistry()
	ctx, cancel := context.WithCancel(log.IntoContext(w.Ctx, w.Log))
	mgr, err := manager.New(ctx, o, w.ControllerConfig, manager.Deps{Registry: reg, SkipNameValidation: true, Logger: w.Log})
	if err != nil {
		cancel()
		w.TB.Fatalf("building the controller: %v", err)
	}
	c := &Controller{Registry: reg, tb: w.TB, cancel: cancel, done: make(chan error, 1), elected: make(chan struct{})}
	go func() { c.done <- mgr.Start(ctx) }()
	go func() {
		select {
		case <-mgr.Elected():
			c.electedAt = time.Now()
			close(c.elected)
		case <-ctx.Done():
		}
	}()
	w.TB.Cleanup(c.Stop)
	return c
}

// Stop cancels the manager and waits until it has returned; the test fails
// if it returned an error. Later calls do nothing.
func (c *Controller) Stop() {
	if c.stopped.Swap(true) {
		return
	}
	c.cancel()
	if err := <-c.done; err != nil {
		c.tb.Errorf("controller stopped with: %v", err)
	}
}

// Elected is closed once the manager leads: at once without leader
// election.
func (c *Controller) Elected() <-chan struct{} { return c.elected }

// ElectedAt is when the manager started to lead; valid once Elected is
// closed.
func (c *Controller) ElectedAt() time.Time { return c.electedAt }

// SetSDKEnv points this process's AWS SDK, and so every in-process
// controller, at the ELBv2 endpoint url in the emulator's default region.
// The controller finds it the way it finds any ELBv2 endpoint: through the
// SDK's standard environment, not through a test-only option.
func SetSDKEnv(url string) {
	for _, kv := range emulator.SDKEnv(url, "us-east-1") {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
}
