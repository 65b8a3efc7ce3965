// Package manager wires tgc's binary: its options, the AWS client chain and
// the controller-runtime manager with the controllers.
package manager

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/webhook"
	webhookvalidation "github.com/tgc-dev/targetgroupcontroller/internal/webhook/validation"
)

// Options are every setting of the binary. Defaults are safe for production.
type Options struct {
	MetricsAddr string
	// MetricsSecure serves /metrics over HTTPS and lets through only
	// requests whose bearer token the API server authenticates
	// (TokenReview) and authorizes for get on the non-resource URL /metrics
	// (SubjectAccessReview). Off, /metrics is plain HTTP open to anyone who
	// reaches the port: for local runs only.
	MetricsSecure bool
	// MetricsCertDir holds tls.crt and tls.key for the metrics server;
	// without them a self-signed certificate is generated in memory.
	MetricsCertDir string
	// EnableHTTP2 lets clients of the webhook and metrics servers negotiate
	// HTTP/2. Off, both servers offer only HTTP/1.1 in TLS's ALPN, which
	// closes HTTP/2 Rapid Reset (CVE-2023-44487) and the stream-handling
	// flaws that followed; neither server gains from multiplexing.
	EnableHTTP2 bool
	ProbeAddr   string
	PprofAddr   string

	LeaderElect             bool
	LeaderElectionNamespace string
	LeaderElectionID        string
	LeaseDuration           time.Duration
	RenewDeadline           time.Duration
	RetryPeriod             time.Duration

	Region string
	// AccountID is the AWS account tgc's target groups live in; empty means
	// it is not checked at admission (knowing it would take an STS call).
	AccountID      string
	AWSMaxAttempts int
	Limits         elbv2.Limits

	DriftInterval           time.Duration
	HealthPollInterval      time.Duration
	BadInputRetry           time.Duration
	MaxBackoff              time.Duration
	MaxConcurrentReconciles int
	MaxWriteWait            time.Duration
	// KubeAPIQPS and KubeAPIBurst pace tgc's own writes to the API server
	// (status patches, Events). After a restart every binding's status is
	// patched once; at client-go's default 20/s, 1,000 bindings would take
	// longer than AWS's Describe limit allows for verifying them.
	KubeAPIQPS   float32
	KubeAPIBurst int

	// DeregistrationBrake holds the removal of healthy targets that left
	// the Service's endpoints without evidence that their pods are going,
	// when they are more than BrakeMaxFraction of the healthy targets or
	// more than BrakeMaxTargets.
	DeregistrationBrake bool
	BrakeMaxFraction    float64
	BrakeMaxTargets     int
	// BrakeEvidenceTTL is how long a seen pod deletion, or an edit of a
	// binding or its Service, explains removals.
	BrakeEvidenceTTL time.Duration

	WatchNamespaces []string
	// BindingSelector is a label selector (labels.Parse syntax) on
	// TargetGroupBindings; empty selects every binding. It splits bindings
	// between deployments (per account or per tenant), each with its own
	// credentials and rate-limit buckets. It is not a security boundary:
	// whoever may edit a binding may edit its labels.
	BindingSelector    string
	ServiceAnnotations bool
	// OwnershipNamespace holds the ownership ledger's ConfigMaps; empty
	// means $POD_NAMESPACE, and with neither the record is kept in the
	// bindings' status only.
	OwnershipNamespace string

	ReadinessGates   bool
	GatePollInterval time.Duration
	GateTimeout      time.Duration

	Webhook webhook.Options

	LogLevel  string
	LogFormat string

	// PrintVersion prints the build's version, commit and Go version and
	// exits, without reading any other flag.
	PrintVersion bool
}

// DefaultOptions returns the defaults shown in --help.
func DefaultOptions() Options {
	return Options{
		MetricsAddr:      ":8443",
		MetricsSecure:    true,
		ProbeAddr:        ":8081",
		PprofAddr:        "0",
		LeaderElect:      true,
		LeaderElectionID: "targetgroupcontroller.tgc.dev",
		// client-go's defaults: a crashed leader is replaced within about
		// LeaseDuration+RetryPeriod; a leader that shuts down cleanly
		// releases the Lease at once.
		LeaseDuration:           15 * time.Second,
		RenewDeadline:           10 * time.Second,
		RetryPeriod:             2 * time.Second,
		AWSMaxAttempts:          elbv2.DefaultMaxAttempts,
		Limits:                  elbv2.DefaultLimits(),
		DriftInterval:           5 * time.Minute,
		HealthPollInterval:      10 * time.Second,
		BadInputRetry:           2 * time.Minute,
		MaxBackoff:              30 * time.Second,
		MaxConcurrentReconciles: 4,
		MaxWriteWait:            250 * time.Millisecond,
		KubeAPIQPS:              100,
		KubeAPIBurst:            200,
		DeregistrationBrake:     true,
		BrakeMaxFraction:        0.5,
		// One EndpointSlice holds up to 100 endpoints (fewer where
		// --max-endpoints-per-slice is lowered), so the loss of one slice
		// of a Service spread over several is under half of it; 5 is far
		// below a slice and above what a sync removes unexplained in
		// normal operation (none: every removal carries evidence), so only
		// a lost slice or a short cache reaches it. The chaos suite's lost
		// slice of 10 endpoints, 7 of them healthy, was under both limits
		// at 10.
		BrakeMaxTargets:    5,
		BrakeEvidenceTTL:   5 * time.Minute,
		ServiceAnnotations: true,
		ReadinessGates:     true,
		GatePollInterval:   time.Second,
		GateTimeout:        5 * time.Minute,
		Webhook:            defaultWebhookOptions(),
		LogLevel:           "info",
		LogFormat:          "json",
	}
}

// BindFlags binds the options to fs, with their current values as defaults.
func (o *Options) BindFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.MetricsAddr, "metrics-bind-address", o.MetricsAddr, "Address of the Prometheus /metrics endpoint; \"0\" turns it off.")
	fs.BoolVar(&o.MetricsSecure, "metrics-secure", o.MetricsSecure, "Serve /metrics over HTTPS to clients whose bearer token the API server authenticates and authorizes for get on /metrics (e.g. bound to the ClusterRole targetgroupcontroller-metrics-reader). false serves plain HTTP to anyone: for local runs only.")
	fs.StringVar(&o.MetricsCertDir, "metrics-cert-dir", o.MetricsCertDir, "Directory holding tls.crt and tls.key for the metrics server, reloaded when they change; without them (empty means $TMPDIR/k8s-metrics-server/serving-certs) a self-signed certificate is generated in memory. Needs --metrics-secure.")
	fs.BoolVar(&o.EnableHTTP2, "enable-http2", o.EnableHTTP2, "Offer HTTP/2 on the webhook and metrics servers. Off by default: HTTP/1.1 only, against HTTP/2 Rapid Reset (CVE-2023-44487).")
	fs.StringVar(&o.ProbeAddr, "health-probe-bind-address", o.ProbeAddr, "Address of the /healthz and /readyz endpoints.")
	fs.StringVar(&o.PprofAddr, "pprof-bind-address", o.PprofAddr, "Address of the Go pprof endpoints (/debug/pprof/), for profiling CPU and memory; \"0\" turns them off.")
	fs.BoolVar(&o.LeaderElect, "leader-elect", o.LeaderElect, "Elect a leader through a coordination.k8s.io Lease, so that several replicas are safe; only the leader syncs.")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", o.LeaderElectionNamespace, "Namespace of the leader election Lease; empty means $POD_NAMESPACE, else the namespace the pod runs in.")
	fs.StringVar(&o.LeaderElectionID, "leader-election-id", o.LeaderElectionID, "Name of the leader election Lease.")
	fs.DurationVar(&o.LeaseDuration, "leader-election-lease-duration", o.LeaseDuration, "How long a standby waits after the leader's last renewal before taking over; bounds the failover time after a leader crash.")
	fs.DurationVar(&o.RenewDeadline, "leader-election-renew-deadline", o.RenewDeadline, "How long the leader keeps retrying to renew before it gives up leadership; must be less than the lease duration.")
	fs.DurationVar(&o.RetryPeriod, "leader-election-retry-period", o.RetryPeriod, "How often leader election clients retry acquiring or renewing the Lease.")
	fs.StringVar(&o.Region, "aws-region", o.Region, "AWS region; empty means AWS_REGION or the shared config. The endpoint can be overridden with AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2.")
	fs.StringVar(&o.AccountID, "aws-account-id", o.AccountID, "AWS account ID of the target groups tgc manages; the validating webhook refuses a binding whose ARN names another account. Empty means the account is not checked.")
	fs.IntVar(&o.AWSMaxAttempts, "aws-max-attempts", o.AWSMaxAttempts, "Attempts per AWS call, retrying throttling and 5xx answers with jittered backoff.")
	fs.Float64Var(&o.Limits.Register.Rate, "aws-register-rate", o.Limits.Register.Rate, "RegisterTargets calls per second (client-side token bucket); 0 means unlimited.")
	fs.IntVar(&o.Limits.Register.Burst, "aws-register-burst", o.Limits.Register.Burst, "RegisterTargets token bucket burst.")
	fs.Float64Var(&o.Limits.Deregister.Rate, "aws-deregister-rate", o.Limits.Deregister.Rate, "DeregisterTargets calls per second; 0 means unlimited.")
	fs.IntVar(&o.Limits.Deregister.Burst, "aws-deregister-burst", o.Limits.Deregister.Burst, "DeregisterTargets token bucket burst.")
	fs.Float64Var(&o.Limits.Describe.Rate, "aws-describe-rate", o.Limits.Describe.Rate, "Describe* calls per second; 0 means unlimited.")
	fs.IntVar(&o.Limits.Describe.Burst, "aws-describe-burst", o.Limits.Describe.Burst, "Describe* token bucket burst.")
	fs.BoolVar(&o.Limits.Adaptive, "aws-adaptive-rate-limits", o.Limits.Adaptive, "When AWS throttles an operation, halve its client-side rate (at most once per 2 s, down to a tenth of --aws-*-rate), then recover 5% of --aws-*-rate a second without throttles, so that tgc yields to other tools spending the account's ELBv2 budget.")
	fs.DurationVar(&o.DriftInterval, "drift-check-interval", o.DriftInterval, "How often each target group is read back from AWS to correct targets changed by hand (jittered by up to 10%).")
	fs.DurationVar(&o.HealthPollInterval, "health-poll-interval", o.HealthPollInterval, "How often a target group with targets still changing health is read back for status.")
	fs.DurationVar(&o.BadInputRetry, "bad-input-retry", o.BadInputRetry, "How long a binding with bad input (missing Service, target group, permission) waits before it is retried; changes retry it at once.")
	fs.DurationVar(&o.MaxBackoff, "max-backoff", o.MaxBackoff, "Cap of the exponential backoff after AWS errors and throttling.")
	fs.IntVar(&o.MaxConcurrentReconciles, "max-concurrent-syncs", o.MaxConcurrentReconciles, "How many bindings are synced at once.")
	fs.DurationVar(&o.MaxWriteWait, "aws-max-write-wait", o.MaxWriteWait, "How long a sync waits for a RegisterTargets/DeregisterTargets token before it books the token, frees its worker, and syncs the binding again when the token is due (carrying every change made meanwhile).")
	fs.Float32Var(&o.KubeAPIQPS, "kube-api-qps", o.KubeAPIQPS, "Requests per second to the Kubernetes API server (status patches, Events).")
	fs.IntVar(&o.KubeAPIBurst, "kube-api-burst", o.KubeAPIBurst, "Burst of requests to the Kubernetes API server.")
	fs.BoolVar(&o.DeregistrationBrake, "deregistration-brake", o.DeregistrationBrake, "Hold the deregistration of healthy targets that leave the Service's endpoints without evidence (pod terminating, not ready or deleted; binding or Service selector/ports edited), when they exceed --brake-max-fraction or --brake-max-targets: the binding reads Ready=False/DeregistrationHeld until the evidence arrives or the annotation elbv2.tgc.dev/confirm-deregistration names the held count.")
	fs.Float64Var(&o.BrakeMaxFraction, "brake-max-fraction", o.BrakeMaxFraction, "Hold unexplained deregistrations when they are more than this fraction (in (0,1]) of the group's healthy targets the binding may remove.")
	fs.IntVar(&o.BrakeMaxTargets, "brake-max-targets", o.BrakeMaxTargets, "Hold unexplained deregistrations when they are more than this many in one sync, whatever the group's size (0 holds any).")
	fs.DurationVar(&o.BrakeEvidenceTTL, "brake-evidence-ttl", o.BrakeEvidenceTTL, "How long a pod deletion tgc saw, or an edit of a binding's spec or its Service's selector or ports, explains the removal of targets; long enough for the EndpointSlice controller to publish the change.")
	fs.StringSliceVar(&o.WatchNamespaces, "watch-namespace", o.WatchNamespaces, "Namespaces to watch (repeat or comma-separate); empty means all.")
	fs.StringVar(&o.BindingSelector, "binding-selector", o.BindingSelector, "Label selector on TargetGroupBindings (e.g. tgc.dev/shard=team-a or 'account in (a,b)'); only selected bindings are cached, synced, gated and injected, so that several deployments (per AWS account or tenant, each with its own credentials) split the bindings. A binding whose labels stop matching is left as it is, targets and finalizer included, for the deployment that selects it. Not a security boundary: the binding's editors set its labels; TargetGroupPolicies and IAM decide what each deployment may do. Needs --service-annotations=false. Empty selects every binding.")
	fs.StringVar(&o.OwnershipNamespace, "ownership-namespace", o.OwnershipNamespace, "Namespace of the ConfigMaps that record which targets of a multi-cluster target group each Service's binding registered, so that a binding of a recreated Service adopts them; empty means $POD_NAMESPACE. tgc needs get, create and update on ConfigMaps there.")
	fs.BoolVar(&o.ServiceAnnotations, "service-annotations", o.ServiceAnnotations, "Turn Services annotated with tgc.dev/target-group-arn into TargetGroupBindings.")
	fs.BoolVar(&o.ReadinessGates, "readiness-gates", o.ReadinessGates, "Satisfy pod readiness gates target-health.elbv2.tgc.dev/<binding>: a pod carrying one stays not Ready until its target is healthy in the binding's target group, and is registered while it waits.")
	fs.DurationVar(&o.GatePollInterval, "gate-poll-interval", o.GatePollInterval, "How often DescribeTargetHealth is read for a target group while readiness gates of its bindings wait (one call per group per interval); a healthy target's gate turns True within one interval.")
	fs.DurationVar(&o.GateTimeout, "gate-timeout", o.GateTimeout, "How long a readiness gate may wait (after the pod's containers are ready) before its binding's spec.readinessGate.onTimeout applies (Hold: a Warning Event on the pod and binding and tgc_readiness_gate_stuck); a binding's spec.readinessGate.timeout overrides it.")
	o.Webhook.BindFlags(fs)
	fs.StringVar(&o.LogLevel, "log-level", o.LogLevel, "Log level: debug, info or error.")
	fs.StringVar(&o.LogFormat, "log-format", o.LogFormat, "Log format: json or console.")
	fs.BoolVar(&o.PrintVersion, "version", o.PrintVersion, "Print the version, the commit it was built from and the Go version, and exit.")
}

// Validate checks the options in one place.
func (o Options) Validate() error {
	var errs []error
	positive := map[string]time.Duration{
		"--drift-check-interval": o.DriftInterval,
		"--health-poll-interval": o.HealthPollInterval,
		"--bad-input-retry":      o.BadInputRetry,
		"--max-backoff":          o.MaxBackoff,
		"--gate-poll-interval":   o.GatePollInterval,
		"--gate-timeout":         o.GateTimeout,
		"--aws-max-write-wait":   o.MaxWriteWait,
		"--brake-evidence-ttl":   o.BrakeEvidenceTTL,
	}
	for name, d := range positive {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s must be positive, got %s", name, d))
		}
	}
	// One poll per group per interval must fit the Describe bucket with
	// room for the bindings' own reads; faster than 10/s per group would
	// starve them.
	if o.GatePollInterval > 0 && o.GatePollInterval < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("--gate-poll-interval must be at least 100ms, got %s", o.GatePollInterval))
	}
	if o.AWSMaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("--aws-max-attempts must be at least 1, got %d", o.AWSMaxAttempts))
	}
	if o.MaxConcurrentReconciles < 1 {
		errs = append(errs, fmt.Errorf("--max-concurrent-syncs must be at least 1, got %d", o.MaxConcurrentReconciles))
	}
	if o.KubeAPIQPS <= 0 || o.KubeAPIBurst < 1 {
		errs = append(errs, fmt.Errorf("--kube-api-qps must be positive and --kube-api-burst at least 1, got %g/%d", o.KubeAPIQPS, o.KubeAPIBurst))
	}
	for name, b := range map[string]elbv2.Bucket{"register": o.Limits.Register, "deregister": o.Limits.Deregister, "describe": o.Limits.Describe} {
		if b.Rate < 0 || (b.Rate > 0 && b.Burst < 1) {
			errs = append(errs, fmt.Errorf("--aws-%s-rate must be >= 0 with --aws-%s-burst >= 1, got %g/%d", name, name, b.Rate, b.Burst))
		}
	}
	if o.DeregistrationBrake && !(o.BrakeMaxFraction > 0 && o.BrakeMaxFraction <= 1) {
		errs = append(errs, fmt.Errorf("--brake-max-fraction must be in (0,1], got %g", o.BrakeMaxFraction))
	}
	if o.DeregistrationBrake && o.BrakeMaxTargets < 0 {
		errs = append(errs, fmt.Errorf("--brake-max-targets must not be negative, got %d", o.BrakeMaxTargets))
	}
	if o.LeaderElect && o.LeaderElectionID == "" {
		errs = append(errs, errors.New("--leader-election-id must not be empty with --leader-elect"))
	}
	// client-go's leader election refuses other orderings at start-up; say
	// so here, with the flag names, instead.
	if o.LeaderElect && !(o.LeaseDuration > o.RenewDeadline && o.RenewDeadline > o.RetryPeriod && o.RetryPeriod > 0) {
		errs = append(errs, fmt.Errorf("leader election needs --leader-election-lease-duration (%s) > --leader-election-renew-deadline (%s) > --leader-election-retry-period (%s) > 0", o.LeaseDuration, o.RenewDeadline, o.RetryPeriod))
	}
	switch strings.ToLower(o.LogLevel) {
	case "debug", "info", "error":
	default:
		errs = append(errs, fmt.Errorf("--log-level must be debug, info or error, got %q", o.LogLevel))
	}
	switch o.LogFormat {
	case "json", "console":
	default:
		errs = append(errs, fmt.Errorf("--log-format must be json or console, got %q", o.LogFormat))
	}
	if ns := o.OwnershipNamespace; ns != "" {
		for _, msg := range validation.IsDNS1123Label(ns) {
			errs = append(errs, fmt.Errorf("--ownership-namespace %q is not a namespace name: %s", ns, msg))
		}
	}
	if o.MetricsCertDir != "" && !o.MetricsSecure {
		errs = append(errs, errors.New("--metrics-cert-dir needs --metrics-secure: plain HTTP serves no certificate"))
	}
	if id := o.AccountID; id != "" && !awsAccountID.MatchString(id) {
		errs = append(errs, fmt.Errorf("--aws-account-id must be 12 digits, got %q", id))
	}
	if _, err := o.bindingSelector(); err != nil {
		errs = append(errs, err)
	} else if o.BindingSelector != "" && o.ServiceAnnotations {
		// A binding made from a Service's annotations carries no labels, so
		// the deployment that made it would not select it, and would keep
		// trying to create it again.
		errs = append(errs, fmt.Errorf("--binding-selector %q needs --service-annotations=false: bindings made from annotated Services carry no labels, so no selector would select them", o.BindingSelector))
	}
	if err := o.Webhook.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

var awsAccountID = regexp.MustCompile(`^[0-9]{12}$`)

// bindingSelector parses BindingSelector; nil means every binding. A
// selector that selects everything (empty) is nil too, so that the cache
// of a deployment without one is the same as before the flag existed.
func (o Options) bindingSelector() (labels.Selector, error) {
	if strings.TrimSpace(o.BindingSelector) == "" {
		return nil, nil
	}
	sel, err := labels.Parse(o.BindingSelector)
	if err != nil {
		return nil, fmt.Errorf("--binding-selector %q is not a label selector (e.g. tgc.dev/shard=a or 'tgc.dev/shard in (a,b)'): %w", o.BindingSelector, err)
	}
	return sel, nil
}

// home is the region and account the validating webhook holds ARNs to:
// the region from --aws-region, else AWS_REGION, as the SDK reads it; a
// region only in the shared config file is not checked at admission.
func (o Options) home() webhookvalidation.Home {
	region := o.Region
	if region == "" {
		region = os.Getenv("AWS_REGION")
	}
	return webhookvalidation.Home{Region: region, AccountID: o.AccountID}
}

// defaultWebhookOptions turns the injection webhook off in a bare binary:
// it needs a Service, a MutatingWebhookConfiguration and the pod's namespace,
// which only the install manifests provide, and they pass --webhook-port.
func defaultWebhookOptions() webhook.Options {
	o := webhook.DefaultOptions()
	o.Port = 0
	return o
}

// leaderElectionNamespace resolves LeaderElectionNamespace against the
// pod's environment: the Deployment sets POD_NAMESPACE, and with it a
// controller run outside a Pod (a laptop, a test with the Deployment's
// arguments) finds its Lease where the shipped Role allows it. Empty leaves
// it to controller-runtime, which reads the in-cluster ServiceAccount's.
func (o Options) leaderElectionNamespace() string {
	if o.LeaderElectionNamespace != "" {
		return o.LeaderElectionNamespace
	}
	return os.Getenv("POD_NAMESPACE")
}

// ownershipNamespace resolves OwnershipNamespace against the pod's
// environment; empty means no ledger.
func (o Options) ownershipNamespace() string {
	if o.OwnershipNamespace != "" {
		return o.OwnershipNamespace
	}
	return os.Getenv("POD_NAMESPACE")
}
