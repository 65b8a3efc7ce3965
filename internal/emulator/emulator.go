package emulator

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/addrpool"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dataplane"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/probe"
)

// Emulator is an in-memory Elastic Load Balancing v2 endpoint with a real
// data plane. Create it with New, serve it with Start (or mount Handler),
// and stop it with Close.
type Emulator struct {
	cfg     Config
	log     logr.Logger
	clock   clock.Clock
	dialer  *dial.Dialer
	addrs   *addrpool.Pool
	prober  *probe.Prober
	throt   *throttler
	faults  *faultInjector
	counter *dataplane.Counter
	calls   *callLog
	// sessions are the temporary credentials sts:AssumeRole handed out;
	// book holds the further accounts and the roles.
	sessions sessions
	book     book
	metrics  *metrics
	mux      *http.ServeMux

	mu           sync.RWMutex
	profile      Profile
	mode         HealthCheckMode
	instances    map[string]netip.Addr
	groups       map[string]*targetGroup
	groupsByName map[string]*targetGroup
	lbs          map[string]*loadBalancer
	lbsByName    map[string]*loadBalancer
	listeners    map[string]*listener
	tags         map[string][]xmlTag
	events       eventHeap

	wake       chan struct{}
	stop       chan struct{}
	stopCtx    context.Context
	cancelStop context.CancelFunc
	probeSlots chan struct{}
	wg         sync.WaitGroup
	closeOnce  sync.Once

	serverMu sync.Mutex
	server   *http.Server
	url      string
}

// maxConcurrentProbes bounds the health checks in flight at once.
const maxConcurrentProbes = 64

// New builds an emulator from cfg; zero fields take their defaults.
func New(cfg Config) (*Emulator, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("configuring the ELBv2 emulator: %w", err)
	}
	d, err := dial.New(cfg.DialMap, connectTimeout)
	if err != nil {
		return nil, fmt.Errorf("configuring the ELBv2 emulator: %w", err)
	}
	addrs, err := addrpool.New(cfg.LoadBalancerAddresses, cfg.AddressClaimDir)
	if err != nil {
		return nil, fmt.Errorf("configuring the ELBv2 emulator: %w", err)
	}
	stopCtx, cancel := context.WithCancel(context.Background())
	e := &Emulator{
		cfg:        cfg,
		log:        cfg.Logger,
		clock:      cfg.Clock,
		dialer:     d,
		addrs:      addrs,
		prober:     probe.New(d),
		throt:      newThrottler(cfg.Throttle),
		faults:     newFaultInjector(cfg.Faults),
		counter:    dataplane.NewCounter(),
		calls:      newCallLog(cfg.CallLogSize),
		profile:    cfg.Profile,
		mode:       cfg.HealthChecks,
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		stopCtx:    stopCtx,
		cancelStop: cancel,
		probeSlots: make(chan struct{}, maxConcurrentProbes),
		instances:  maps.Clone(cfg.Instances),
	}
	if e.instances == nil {
		e.instances = map[string]netip.Addr{}
	}
	e.resetState()
	e.book.set(cfg.Accounts, cfg.Roles)
	e.metrics = newMetrics(e)
	e.mux = e.routes()
	e.wg.Add(1)
	go e.run()
	return e, nil
}

// resetState empties every resource map. Callers hold e.mu or own e.
func (e *Emulator) resetState() {
	e.groups = map[string]*targetGroup{}
	e.groupsByName = map[string]*targetGroup{}
	e.lbs = map[string]*loadBalancer{}
	e.lbsByName = map[string]*loadBalancer{}
	e.listeners = map[string]*listener{}
	e.tags = map[string][]xmlTag{}
	e.events = nil
}

// Start serves the API, the control API under /_emulator/ and /metrics on
// listen, e.g. "127.0.0.1:0".
func (e *Emulator) Start(listen string) error {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", listen, err)
	}
	srv := &http.Server{Handler: e.mux, ReadHeaderTimeout: 10 * time.Second}
	e.serverMu.Lock()
	if e.server != nil {
		e.serverMu.Unlock()
		_ = ln.Close()
		return errors.New("the emulator is already started")
	}
	e.server = srv
	e.url = "http://" + ln.Addr().String()
	e.serverMu.Unlock()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error(err, "API server stopped", "address", ln.Addr().String())
		}
	}()
	e.log.Info("ELBv2 emulator listening", "url", e.url)
	return nil
}

// URL is the API endpoint, usable as the SDK's BaseEndpoint or
// AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2. Empty before Start.
func (e *Emulator) URL() string {
	e.serverMu.Lock()
	defer e.serverMu.Unlock()
	return e.url
}

// Handler serves the same routes as Start, for httptest.
func (e *Emulator) Handler() http.Handler { return e.mux }

// Close stops the API server, every listener and the health checkers. It is
// idempotent.
func (e *Emulator) Close() error {
	var err error
	e.closeOnce.Do(func() {
		e.serverMu.Lock()
		srv := e.server
		e.serverMu.Unlock()
		if srv != nil {
			err = srv.Close()
		}
		e.mu.Lock()
		listeners := make([]*listener, 0, len(e.listeners))
		for _, l := range e.listeners {
			listeners = append(listeners, l)
		}
		lbs := slices.Collect(maps.Values(e.lbs))
		e.mu.Unlock()
		for _, l := range listeners {
			if cerr := l.closer.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
				err = errors.Join(err, fmt.Errorf("closing listener %s: %w", l.arn, cerr))
			}
		}
		releaseAddresses(lbs)
		close(e.stop)
		e.cancelStop()
		e.wg.Wait()
		e.prober.Close()
	})
	return err
}

// Reset deletes every load balancer, listener, target group, target and tag,
// and clears the request counts and the call log. Settings (profile,
// throttle, faults, health-check mode) are kept; the throttle buckets refill.
func (e *Emulator) Reset() {
	e.mu.Lock()
	listeners := make([]*listener, 0, len(e.listeners))
	for _, l := range e.listeners {
		listeners = append(listeners, l)
	}
	for _, g := range e.groups {
		for _, t := range g.order {
			t.gen++
			if t.gone != nil {
				close(t.gone)
			}
		}
	}
	lbs := slices.Collect(maps.Values(e.lbs))
	e.resetState()
	e.mu.Unlock()
	for _, l := range listeners {
		_ = l.closer.Close()
	}
	releaseAddresses(lbs)
	e.throt.set(e.throt.get())
	e.counter.Reset()
	e.calls.reset()
}

// SetProfile replaces the timing profile. Targets keep their health; new
// delays apply from the next transition.
func (e *Emulator) SetProfile(p Profile) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.profile = p
	e.rescheduleAll()
}

// Profile returns the timing profile in force.
func (e *Emulator) Profile() Profile {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.profile
}

// SetHealthCheckMode switches between real and simulated health checks.
func (e *Emulator) SetHealthCheckMode(m HealthCheckMode) error {
	if m != HealthChecksReal && m != HealthChecksSimulated {
		return fmt.Errorf("health check mode %q must be %q or %q", m, HealthChecksReal, HealthChecksSimulated)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.mode = m
	e.rescheduleAll()
	return nil
}

// rescheduleAll re-queues probes after a settings change. Callers hold e.mu.
func (e *Emulator) rescheduleAll() {
	for _, g := range e.groups {
		for _, t := range g.order {
			if !t.draining() {
				e.rescheduleProbe(g, t)
			}
		}
	}
}

// SetThrottle replaces the throttling settings; buckets start full.
func (e *Emulator) SetThrottle(t Throttle) { e.throt.set(t) }

// RefillThrottleBuckets fills every throttle bucket to its burst, keeping
// the settings, as AWS's buckets are after a quiet spell longer than
// burst/rate. A benchmark calls it after seeding state through the API, so
// that its own calls do not drain the buckets the measured client meets.
func (e *Emulator) RefillThrottleBuckets() { e.throt.set(e.throt.get()) }

// Throttle returns the throttling settings in force, defaults filled in.
func (e *Emulator) Throttle() Throttle { return e.throt.get() }

// SetFaults replaces the fault-injection settings.
func (e *Emulator) SetFaults(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	e.faults.set(f)
	return nil
}

// Faults returns the fault-injection settings in force.
func (e *Emulator) Faults() Faults { return e.faults.get() }

// ForceTargetHealth pins a registered target's health to "healthy" or
// "unhealthy" once its registration has propagated; "" stops forcing. port 0
// means the group's port.
func (e *Emulator) ForceTargetHealth(tgARN, id string, port int32, state string) error {
	if state != "" && state != stateHealthy && state != stateUnhealthy {
		return fmt.Errorf("forced health %q must be healthy, unhealthy or empty", state)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	g, ok := e.groups[tgARN]
	if !ok {
		return fmt.Errorf("forcing health in %s: target group not found", tgARN)
	}
	if port == 0 {
		port = g.port
	}
	found := false
	for _, t := range g.order {
		if t.key.id == id && t.key.port == port {
			t.forced = state
			found = true
		}
	}
	if !found {
		return fmt.Errorf("forcing health of %s:%d in %s: target is not registered", id, port, tgARN)
	}
	return nil
}

// ListenerAddr is the real address:port a listener's data plane accepts on:
// its load balancer's own loopback address and the listener's port.
func (e *Emulator) ListenerAddr(listenerARN string) (string, error) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	l, ok := e.listeners[listenerARN]
	if !ok {
		return "", fmt.Errorf("listener %s not found", listenerARN)
	}
	return l.addr, nil
}

// Counts is the number of requests (HTTP) or connections (TCP) per outcome.
type Counts = dataplane.Counts

// RequestCounts holds data-plane outcomes per listener ARN, per target
// group ARN (the group a weighted forward chose) and per target ("id:port";
// a target in several groups is counted once across them).
type RequestCounts struct {
	Listeners    map[string]Counts `json:"listeners"`
	TargetGroups map[string]Counts `json:"targetGroups"`
	Targets      map[string]Counts `json:"targets"`
}

// RequestCounts returns the data-plane counts so far.
func (e *Emulator) RequestCounts() RequestCounts {
	s := e.counter.Snapshot()
	return RequestCounts{Listeners: s.Listeners, TargetGroups: s.TargetGroups, Targets: s.Targets}
}

// Calls returns the API call log, oldest first.
func (e *Emulator) Calls() []Call { return e.calls.snapshot() }
