package manager

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"
)

func TestDefaultOptionsAreValid(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if o := DefaultOptions(); !o.LeaderElect {
		t.Fatalf("leader election must be on by default so that two replicas are safe")
	}
}

func TestDefaultsServeMetricsSecurelyAndHTTP1Only(t *testing.T) {
	o := DefaultOptions()
	if !o.MetricsSecure {
		t.Error("metrics must be served over HTTPS with authentication by default")
	}
	if o.EnableHTTP2 {
		t.Error("HTTP/2 must be off by default (CVE-2023-44487)")
	}
}

func TestValidateNamesTheBadFlag(t *testing.T) {
	cases := map[string]struct {
		mutate func(*Options)
		flag   string
	}{
		"zero drift interval":                                   {mutate: func(o *Options) { o.DriftInterval = 0 }, flag: "--drift-check-interval"},
		"negative health poll":                                  {mutate: func(o *Options) { o.HealthPollInterval = -time.Second }, flag: "--health-poll-interval"},
		"no AWS attempts":                                       {mutate: func(o *Options) { o.AWSMaxAttempts = 0 }, flag: "--aws-max-attempts"},
		"rate without burst":                                    {mutate: func(o *Options) { o.Limits.Register.Burst = 0 }, flag: "--aws-register-rate"},
		"negative rate":                                         {mutate: func(o *Options) { o.Limits.Describe.Rate = -1 }, flag: "--aws-describe-rate"},
		"leader election without a Lease":                       {mutate: func(o *Options) { o.LeaderElectionID = "" }, flag: "--leader-election-id"},
		"renew deadline not shorter than the lease":             {mutate: func(o *Options) { o.RenewDeadline = o.LeaseDuration }, flag: "--leader-election-renew-deadline"},
		"self-managed webhook certificates without a namespace": {mutate: func(o *Options) { o.Webhook.Port = 9443; o.Webhook.Namespace = ""; t.Setenv("POD_NAMESPACE", "") }, flag: "--webhook-namespace"},
		"unknown log level":                                     {mutate: func(o *Options) { o.LogLevel = "verbose" }, flag: "--log-level"},
		"no workers":                                            {mutate: func(o *Options) { o.MaxConcurrentReconciles = 0 }, flag: "--max-concurrent-syncs"},
		"zero gate poll interval":                               {mutate: func(o *Options) { o.GatePollInterval = 0 }, flag: "--gate-poll-interval"},
		"gate poll faster than 10/s":                            {mutate: func(o *Options) { o.GatePollInterval = 10 * time.Millisecond }, flag: "--gate-poll-interval"},
		"zero gate timeout":                                     {mutate: func(o *Options) { o.GateTimeout = 0 }, flag: "--gate-timeout"},
		"zero write wait":                                       {mutate: func(o *Options) { o.MaxWriteWait = 0 }, flag: "--aws-max-write-wait"},
		"zero API server QPS":                                   {mutate: func(o *Options) { o.KubeAPIQPS = 0 }, flag: "--kube-api-qps"},
		"metrics certificate with plain HTTP metrics":           {mutate: func(o *Options) { o.MetricsSecure = false; o.MetricsCertDir = "/certs" }, flag: "--metrics-cert-dir"},
		"brake fraction of zero":                                {mutate: func(o *Options) { o.BrakeMaxFraction = 0 }, flag: "--brake-max-fraction"},
		"brake fraction above one":                              {mutate: func(o *Options) { o.BrakeMaxFraction = 1.5 }, flag: "--brake-max-fraction"},
		"negative brake count":                                  {mutate: func(o *Options) { o.BrakeMaxTargets = -1 }, flag: "--brake-max-targets"},
		"binding selector that does not parse":                  {mutate: func(o *Options) { o.BindingSelector = "tgc.dev/shard in a,b"; o.ServiceAnnotations = false }, flag: "--binding-selector"},
		"binding selector with a bad label key":                 {mutate: func(o *Options) { o.BindingSelector = "-shard=a"; o.ServiceAnnotations = false }, flag: "--binding-selector"},
		"binding selector with Service annotations":             {mutate: func(o *Options) { o.BindingSelector = "tgc.dev/shard=a" }, flag: "--service-annotations=false"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions()
			tc.mutate(&o)
			err := o.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.flag) {
				t.Fatalf("Validate() = %v, want an error naming %s", err, tc.flag)
			}
		})
	}
}

func TestFlagsSetOptions(t *testing.T) {
	o := DefaultOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.BindFlags(fs)
	err := fs.Parse([]string{"--leader-elect=false", "--drift-check-interval=1m", "--watch-namespace=a,b", "--aws-register-rate=2", "--aws-region=eu-west-1",
		"--gate-poll-interval=500ms", "--gate-timeout=2m", "--readiness-gates=false"})
	if err != nil {
		t.Fatal(err)
	}
	if o.LeaderElect || o.DriftInterval != time.Minute || len(o.WatchNamespaces) != 2 || o.Limits.Register.Rate != 2 || o.Region != "eu-west-1" {
		t.Fatalf("options after parsing = %+v", o)
	}
	if o.GatePollInterval != 500*time.Millisecond || o.GateTimeout != 2*time.Minute || o.ReadinessGates {
		t.Fatalf("gate options after parsing = poll %s, timeout %s, on %v", o.GatePollInterval, o.GateTimeout, o.ReadinessGates)
	}
}

func TestFlagsSetServingOptions(t *testing.T) {
	o := DefaultOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--metrics-secure=false", "--enable-http2"}); err != nil {
		t.Fatal(err)
	}
	if o.MetricsSecure || !o.EnableHTTP2 {
		t.Fatalf("after parsing: metrics secure %v, HTTP/2 %v", o.MetricsSecure, o.EnableHTTP2)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("plain HTTP metrics for local runs must be valid: %v", err)
	}
}

func TestTheBrakeIsOnByDefaultAndFlagsTuneIt(t *testing.T) {
	o := DefaultOptions()
	if !o.DeregistrationBrake || o.BrakeMaxFraction != 0.5 || o.BrakeMaxTargets != 5 {
		t.Fatalf("brake defaults = on %v, fraction %g, count %d; want on, 0.5, 5", o.DeregistrationBrake, o.BrakeMaxFraction, o.BrakeMaxTargets)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.BindFlags(fs)
	if err := fs.Parse([]string{"--deregistration-brake=false", "--brake-max-fraction=0.25", "--brake-max-targets=0"}); err != nil {
		t.Fatal(err)
	}
	if o.DeregistrationBrake || o.BrakeMaxFraction != 0.25 || o.BrakeMaxTargets != 0 {
		t.Fatalf("after parsing: on %v, fraction %g, count %d", o.DeregistrationBrake, o.BrakeMaxFraction, o.BrakeMaxTargets)
	}
	if err := o.Validate(); err != nil {
		t.Fatalf("a brake that holds any unexplained removal must be valid: %v", err)
	}
}

func TestLeaderElectionNamespace(t *testing.T) {
	cases := map[string]struct {
		flag, env, want string
	}{
		"the flag wins":                   {flag: "ops", env: "tgc-system", want: "ops"},
		"else the Deployment's namespace": {env: "tgc-system", want: "tgc-system"},
		"else controller-runtime decides": {want: ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", c.env)
			if got := (Options{LeaderElectionNamespace: c.flag}).leaderElectionNamespace(); got != c.want {
				t.Errorf("leaderElectionNamespace() = %q, want %q", got, c.want)
			}
		})
	}
}

func TestBindingSelectorFlag(t *testing.T) {
	cases := map[string]struct {
		args []string
		// selects and skips are label sets the parsed selector must match
		// and must not; every is true when no selector is built at all.
		every   bool
		selects []map[string]string
		skips   []map[string]string
	}{
		"no flag selects every binding": {
			args: nil, every: true,
		},
		"an empty flag selects every binding": {
			args: []string{"--binding-selector="}, every: true,
		},
		"equality selects only that shard": {
			args:    []string{"--binding-selector=tgc.dev/shard=a", "--service-annotations=false"},
			selects: []map[string]string{{"tgc.dev/shard": "a"}, {"tgc.dev/shard": "a", "team": "x"}},
			skips:   []map[string]string{{"tgc.dev/shard": "b"}, {}},
		},
		"set-based selects any listed account": {
			args:    []string{"--binding-selector=account in (111,222),!paused", "--service-annotations=false"},
			selects: []map[string]string{{"account": "111"}, {"account": "222"}},
			skips:   []map[string]string{{"account": "333"}, {"account": "111", "paused": "yes"}, {}},
		},
		"an unlabelled binding is selected by a negation": {
			args:    []string{"--binding-selector=tgc.dev/shard!=b", "--service-annotations=false"},
			selects: []map[string]string{{}, {"tgc.dev/shard": "a"}},
			skips:   []map[string]string{{"tgc.dev/shard": "b"}},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			o := DefaultOptions()
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.BindFlags(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			if err := o.Validate(); err != nil {
				t.Fatalf("Validate() = %v", err)
			}
			sel, err := o.bindingSelector()
			if err != nil {
				t.Fatal(err)
			}
			if tc.every {
				if sel != nil {
					t.Fatalf("selector = %q, want none (every binding, as without the flag)", sel)
				}
				return
			}
			if sel == nil {
				t.Fatal("no selector built")
			}
			for _, l := range tc.selects {
				if !sel.Matches(labels.Set(l)) {
					t.Errorf("%q does not select %v", sel, l)
				}
			}
			for _, l := range tc.skips {
				if sel.Matches(labels.Set(l)) {
					t.Errorf("%q selects %v", sel, l)
				}
			}
		})
	}
}
