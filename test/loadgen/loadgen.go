// Package loadgen sends steady HTTP traffic at a fixed rate and records the
// outcome of every request. The zero-downtime scenarios use it to prove that
// rollouts drop nothing: every failure is kept, with its time and cause.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// Config describes the traffic.
type Config struct {
	URL     string
	Rate    int           // requests per second, spread evenly
	Timeout time.Duration // per request; default 2s
}

// Failure is one request that did not get a 2xx answer.
type Failure struct {
	At     time.Time
	Status int    // 0 when no response arrived
	Cause  string // e.g. "502 Bad Gateway", "connection refused", "timeout"
}

// Result is what a run saw.
type Result struct {
	Sent     int
	OK       int
	Failures []Failure
}

func (r Result) String() string {
	return fmt.Sprintf("%d sent, %d ok, %d failed", r.Sent, r.OK, len(r.Failures))
}

// Generator runs until its context ends; Run returns the tally.
type Generator struct {
	cfg    Config
	client *http.Client

	mu     sync.Mutex
	result Result
}

func New(cfg Config) *Generator {
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 200
	}
	// Fresh connections per request would measure the dialer, not the load
	// balancer; keep-alive connections like real clients, but enough of them
	// that a slow target does not serialise the load.
	tr := &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}
	return &Generator{cfg: cfg, client: &http.Client{Transport: tr, Timeout: cfg.Timeout}}
}

// Run sends requests at the configured rate until ctx is done, then waits for
// the requests in flight and returns the tally.
func (g *Generator) Run(ctx context.Context) Result {
	tick := time.NewTicker(time.Second / time.Duration(g.cfg.Rate))
	defer tick.Stop()
	var wg sync.WaitGroup
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
			wg.Add(1)
			go func() { defer wg.Done(); g.once() }()
		}
	}
	wg.Wait()
	g.client.CloseIdleConnections()
	return g.Snapshot()
}

// Snapshot returns the tally so far; safe while Run goes on.
func (g *Generator) Snapshot() Result {
	g.mu.Lock()
	defer g.mu.Unlock()
	r := g.result
	r.Failures = append([]Failure(nil), g.result.Failures...)
	return r
}

func (g *Generator) once() {
	// Requests already sent finish on their own timeout, not the run's end,
	// so the last ones are judged like every other.
	req, err := http.NewRequestWithContext(context.Background(), http.MethodGet, g.cfg.URL, nil)
	if err != nil {
		g.record(Failure{At: time.Now(), Cause: err.Error()})
		return
	}
	resp, err := g.client.Do(req)
	if err != nil {
		g.record(Failure{At: time.Now(), Cause: classify(err)})
		return
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		g.record(Failure{At: time.Now(), Status: resp.StatusCode, Cause: resp.Status})
		return
	}
	g.record(Failure{})
}

func (g *Generator) record(f Failure) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.result.Sent++
	if f.At.IsZero() {
		g.result.OK++
		return
	}
	g.result.Failures = append(g.result.Failures, f)
}

func classify(err error) string {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return op.Op + ": " + op.Err.Error()
	}
	return err.Error()
}
