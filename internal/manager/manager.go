package manager

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/leaderelection/resourcelock"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/gateaudit"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/readinessgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/serviceannotation"
	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/ledger"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/scheme"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook"
)

// Deps are what New builds itself unless given; tests pass their own.
type Deps struct {
	// TargetGroups is the ELBv2 boundary, undecorated. Nil builds the SDK
	// client from the standard AWS configuration.
	TargetGroups elbv2.TargetGroups
	// Registry receives the metrics. Nil means controller-runtime's registry,
	// which the manager serves on /metrics.
	Registry prometheus.Registerer
	// Clock defaults to the real clock. The controllers and the webhook's
	// certificate rotator all use it.
	Clock clock.WithTicker
	// SkipNameValidation lets a test start several managers in one process.
	SkipNameValidation bool
	// Gates lists pods held back only by tgc's readiness gates. Nil, with
	// Options.ReadinessGates, reads them from the pod cache (podgate.Pods).
	Gates binding.GatedPods
	// Logger defaults to controller-runtime's global logger (ctrl.SetLogger).
	Logger logr.Logger
}

func (d Deps) withDefaults() Deps {
	if d.Registry == nil {
		d.Registry = ctrlmetrics.Registry
	}
	if d.Clock == nil {
		d.Clock = clock.RealClock{}
	}
	if d.Logger.GetSink() == nil {
		d.Logger = ctrl.Log
	}
	return d
}

// Scheme holds the Kubernetes types and tgc's own (internal/scheme).
func Scheme() (*runtime.Scheme, error) { return scheme.New() }

// New builds the manager with tgc's controllers registered: the AWS
// boundary, the manager itself, then the controllers and the webhook.
func New(ctx context.Context, o Options, cfg *rest.Config, d Deps) (ctrl.Manager, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	d = d.withDefaults()
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	m, err := registerMetrics(d.Registry, o)
	if err != nil {
		return nil, err
	}
	// The Lease lock is built here, not by controller-runtime, so that it
	// can fence AWS writes once this replica may have lost the Lease.
	var lock *renewalLock
	var fence elbv2.Fence
	if o.LeaderElect {
		if lock, err = newRenewalLock(cfg, o, d.Clock); err != nil {
			return nil, err
		}
		fence = lock
	}
	tgs, err := targetGroups(ctx, o, d, m.aws, fence)
	if err != nil {
		return nil, err
	}
	wh, err := webhook.New(cfg, scheme, o.Webhook, webhook.Extra{TLSOpts: serverTLSOpts(o)}, d.Clock, d.Logger.WithName("webhook"))
	if err != nil {
		return nil, fmt.Errorf("setting up the webhooks: %w", err)
	}
	mgr, err := newManager(o, cfg, scheme, wh, d, lock)
	if err != nil {
		return nil, err
	}
	if err := mgr.Add(m.leader); err != nil {
		return nil, fmt.Errorf("adding the leader metric: %w", err)
	}
	if err := addControllers(ctx, mgr, o, d, tgs, m); err != nil {
		return nil, err
	}
	if err := wh.Register(mgr, o.home()); err != nil {
		return nil, fmt.Errorf("registering the webhooks: %w", err)
	}
	return mgr, nil
}

// targetGroups builds the ELBv2 boundary: the SDK adapter (unless the test
// gives one), counted by the metrics decorator inside the rate limiter, so
// that call durations exclude waiting for a token and every call that
// reaches AWS is counted. The SDK adapter tells the rate limiter which
// operations AWS throttles, so that its buckets can adapt.
//
// Each identity a binding names (spec.iamRoleArnToAssume with its external
// ID) gets its own client, credentials cache and, per account, its own
// buckets, decorated the same way (elbv2.Accounts).
func targetGroups(ctx context.Context, o Options, d Deps, awsMetrics *elbv2.Metrics, fence elbv2.Fence) (*elbv2.Accounts, error) {
	limiter := elbv2.NewRateLimiter(o.Limits, awsMetrics.ForAccount(""))
	tgs := d.TargetGroups
	var assume elbv2.Assumer
	if tgs == nil {
		opts := elbv2.Options{Region: o.Region, MaxAttempts: o.AWSMaxAttempts, Observer: awsMetrics, Throttles: limiter, Fence: fence}
		cfg, err := elbv2.LoadConfig(ctx, opts)
		if err != nil {
			return nil, fmt.Errorf("building the ELBv2 client: %w", err)
		}
		tgs = elbv2.NewSDK(elbv2.NewClientFromConfig(cfg, opts))
		assume = elbv2.SDKAssumer(cfg, opts, awsMetrics.Decorate)
	}
	return elbv2.NewAccounts(elbv2.AccountsConfig{
		Own:        limiter.Wrap(awsMetrics.Decorate(tgs)),
		OwnLimiter: limiter,
		OwnAccount: o.AccountID,
		Region:     o.Region,
		Limits:     o.Limits,
		Observe:    awsMetrics.ForAccount,
		Assume:     assume,
	}), nil
}

// newManager creates the controller-runtime manager: caches, metrics and
// probe endpoints, leader election.
func newManager(o Options, cfg *rest.Config, scheme *runtime.Scheme, wh *webhook.Webhook, d Deps, lock *renewalLock) (ctrl.Manager, error) {
	cacheOpts := cache.Options{
		// Pods, Services, EndpointSlices, Namespaces and Nodes are cut down to the
		// fields tgc reads, and everything else loses its managed fields:
		// most pods and Services in a cluster are bound by no binding, yet
		// the informers hold all of them (see CacheTransform).
		DefaultTransform: CacheTransform(),
	}
	if len(o.WatchNamespaces) > 0 {
		cacheOpts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range o.WatchNamespaces {
			cacheOpts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	sel, err := o.bindingSelector()
	if err != nil {
		return nil, err
	}
	if sel != nil {
		// Unselected bindings never enter the cache, so every reader of
		// it agrees without a check of its own: the binding controller
		// sees a binding relabelled away as gone and forgets it (it does
		// not finalize it; its finalizer stays for the deployment that
		// selects it), the readiness-gate controller sets no gate of it,
		// and the injection webhook adds none. Memory scales with the
		// selected bindings only.
		cacheOpts.ByObject = map[client.Object]cache.ByObject{&v1alpha1.TargetGroupBinding{}: {Label: sel}}
	}
	var leaseLock resourcelock.Interface
	if lock != nil {
		leaseLock = lock
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		WebhookServer:                       wh.Server,
		Scheme:                              scheme,
		Cache:                               cacheOpts,
		Metrics:                             metricsOptions(o),
		HealthProbeBindAddress:              o.ProbeAddr,
		PprofBindAddress:                    o.PprofAddr,
		LeaderElection:                      o.LeaderElect,
		LeaderElectionID:                    o.LeaderElectionID,
		LeaderElectionResourceLockInterface: leaseLock,
		LeaderElectionNamespace:             o.leaderElectionNamespace(),
		LeaseDuration:                       ptr.To(o.LeaseDuration),
		RenewDeadline:                       ptr.To(o.RenewDeadline),
		RetryPeriod:                         ptr.To(o.RetryPeriod),
		// The Lease is released on a clean shutdown, so the other replica
		// takes over in a second rather than after the lease duration.
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: ptr.To(d.SkipNameValidation)},
		Logger:                        d.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("ping", healthz.Ping); err != nil {
		return nil, fmt.Errorf("adding the readiness check: %w", err)
	}
	return mgr, nil
}

// RBAC of the metrics server's authentication and authorization filter:
// each scrape's bearer token goes to the API server in a TokenReview, and
// the identity it names in a SubjectAccessReview for get on /metrics.
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=authorization.k8s.io,resources=subjectaccessreviews,verbs=create

// metricsOptions serves /metrics over HTTPS to callers the API server
// authenticates and authorizes, as current kubebuilder scaffolds do, unless
// --metrics-secure=false. Without a certificate in --metrics-cert-dir (or in
// controller-runtime's default, $TMPDIR/k8s-metrics-server/serving-certs),
// controller-runtime generates a self-signed one in memory: Prometheus
// scrapes pods by IP, for which no Service DNS name would be valid anyway.
func metricsOptions(o Options) metricsserver.Options {
	m := metricsserver.Options{BindAddress: o.MetricsAddr}
	if !o.MetricsSecure {
		return m
	}
	m.SecureServing = true
	m.FilterProvider = filters.WithAuthenticationAndAuthorization
	m.TLSOpts = serverTLSOpts(o)
	m.CertDir = o.MetricsCertDir
	return m
}

// serverTLSOpts is the TLS policy of every server tgc runs: HTTP/1.1 only
// unless --enable-http2. controller-runtime's servers offer h2 in ALPN by
// default; HTTP/2's stream reset lets one client make the server start and
// abandon unbounded work (Rapid Reset, CVE-2023-44487), and neither the
// webhook nor /metrics gains from multiplexing.
func serverTLSOpts(o Options) []func(*tls.Config) {
	if o.EnableHTTP2 {
		return nil
	}
	return []func(*tls.Config){func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }}
}

// addControllers registers the controllers around one shared view of the
// target groups: the binding controller writes through it, the readiness
// gate controller reads health from it.
func addControllers(ctx context.Context, mgr ctrl.Manager, o Options, d Deps, tgs *elbv2.Accounts, m metrics) error {
	groups := targetgroups.NewViews(tgs, d.Clock, targetgroups.Config{
		DriftInterval:      o.DriftInterval,
		HealthPollInterval: o.HealthPollInterval,
	})
	rec := mgr.GetEventRecorder("targetgroupcontroller")
	gated := d.Gates
	if o.ReadinessGates {
		if err := podgate.IndexPods(ctx, mgr); err != nil {
			return err
		}
		if gated == nil {
			gated = podgate.NewPods(mgr.GetClient())
		}
	}
	b := binding.New(mgr.GetClient(), groups, rec, m.binding, d.Clock, binding.Config{
		DriftInterval:           o.DriftInterval,
		HealthPollInterval:      o.HealthPollInterval,
		BadInputRetry:           o.BadInputRetry,
		MaxBackoff:              o.MaxBackoff,
		MaxConcurrentReconciles: o.MaxConcurrentReconciles,
		MaxWriteWait:            o.MaxWriteWait,
		Gates:                   gated,
		APIReader:               mgr.GetAPIReader(),
		Ledger:                  ownershipLedger(mgr, o),
		Namespaces:              o.WatchNamespaces,
		Brake: binding.BrakeConfig{
			Disabled:    !o.DeregistrationBrake,
			Limits:      targets.BrakeLimits{MaxFraction: o.BrakeMaxFraction, MaxTargets: o.BrakeMaxTargets},
			EvidenceTTL: o.BrakeEvidenceTTL,
		},
	})
	if err := b.Register(ctx, mgr); err != nil {
		return fmt.Errorf("registering the binding controller: %w", err)
	}
	if o.ReadinessGates {
		g := readinessgate.New(mgr.GetClient(), groups, rec, m.gates, d.Clock, readinessgate.Config{
			PollInterval: o.GatePollInterval,
			Timeout:      o.GateTimeout,
			HealthFor:    func(id elbv2.Identity) (readinessgate.HealthSource, error) { return groups.For(id) },
		})
		if err := g.Register(mgr); err != nil {
			return fmt.Errorf("registering the readiness gate controller: %w", err)
		}
		if err := gateaudit.New(mgr.GetClient(), mgr.GetAPIReader(), rec, m.audit).Register(mgr); err != nil {
			return fmt.Errorf("registering the readiness gate audit: %w", err)
		}
	}
	if o.ServiceAnnotations {
		if err := serviceannotation.New(mgr.GetClient(), rec).Register(mgr); err != nil {
			return fmt.Errorf("registering the Service annotation controller: %w", err)
		}
	}
	return nil
}

// ownershipLedger is the durable record of owned targets, in tgc's own
// namespace; nil (status only) when no namespace is known.
func ownershipLedger(mgr ctrl.Manager, o Options) binding.Ledger {
	ns := o.ownershipNamespace()
	if ns == "" {
		return nil
	}
	return ledger.New(mgr.GetClient(), mgr.GetAPIReader(), ns)
}
