package manager

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestDefaultOptionsAreValid(t *testing.T) {
	if err := DefaultOptions().Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if o := DefaultOptions(); !o.LeaderElect {
		t.Fatalf("leader election must be on by default so that two replicas are safe")
	}
}

func TestValidateNamesTheBadFlag(t *testing.T) {
	cases := map[string]struct {
		mutate func(*Options)
		flag   string
	}{
		"zero drift interval":             {mutate: func(o *Options) { o.DriftInterval = 0 }, flag: "--drift-check-interval"},
		"negative health poll":            {mutate: func(o *Options) { o.HealthPollInterval = -time.Second }, flag: "--health-poll-interval"},
		"no AWS attempts":                 {mutate: func(o *Options) { o.AWSMaxAttempts = 0 }, flag: "--aws-max-attempts"},
		"rate without burst":              {mutate: func(o *Options) { o.Limits.Register.Burst = 0 }, flag: "--aws-register-rate"},
		"negative rate":                   {mutate: func(o *Options) { o.Limits.Describe.Rate = -1 }, flag: "--aws-describe-rate"},
		"leader election without a Lease": {mutate: func(o *Options) { o.LeaderElectionID = "" }, flag: "--leader-election-id"},
		"unknown log level":               {mutate: func(o *Options) { o.LogLevel = "verbose" }, flag: "--log-level"},
		"no workers":                      {mutate: func(o *Options) { o.MaxConcurrentReconciles = 0 }, flag: "--max-concurrent-syncs"},
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
	err := fs.Parse([]string{"--leader-elect=false", "--drift-check-interval=1m", "--watch-namespace=a,b", "--aws-register-rate=2", "--aws-region=eu-west-1"})
	if err != nil {
		t.Fatal(err)
	}
	if o.LeaderElect || o.DriftInterval != time.Minute || len(o.WatchNamespaces) != 2 || o.Limits.Register.Rate != 2 || o.Region != "eu-west-1" {
		t.Fatalf("options after parsing = %+v", o)
	}
}
