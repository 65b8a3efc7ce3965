package webhook

import (
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/drain"
)

func TestOptionsValidate(t *testing.T) {
	cases := map[string]struct {
		mutate  func(*Options)
		env     string
		wantErr bool
	}{
		"defaults with the pod namespace from the downward API are valid": {env: "tgc-system"},
		"explicit namespace is enough without the environment":            {mutate: func(o *Options) { o.Namespace = "tgc-system" }},
		"self-managed certificates need a namespace":                      {wantErr: true},
		"webhook off needs nothing else": {
			mutate: func(o *Options) { o.Port = 0; o.ConfigName = "" },
		},
		"port out of range is rejected": {
			env: "tgc-system", mutate: func(o *Options) { o.Port = 70000 }, wantErr: true,
		},
		"self-managed certificates need the configuration name": {
			env: "tgc-system", mutate: func(o *Options) { o.ConfigName = "" }, wantErr: true,
		},
		"self-managed certificates need the validating configuration name": {
			env: "tgc-system", mutate: func(o *Options) { o.ValidatingConfigName = "" }, wantErr: true,
		},
		"cert-manager mode needs no namespace but a cert dir": {
			mutate: func(o *Options) { o.SelfManagedCerts = false; o.CertDir = "" }, wantErr: true,
		},
		"cert-manager mode with a cert dir is valid": {
			mutate: func(o *Options) { o.SelfManagedCerts = false },
		},
		"a negative drain margin is rejected": {
			env: "tgc-system", mutate: func(o *Options) { o.Drain.Propagation = -time.Second }, wantErr: true,
		},
		"a drain preStop cap under a second is rejected": {
			env: "tgc-system", mutate: func(o *Options) { o.Drain.MaxPreStop = 0 }, wantErr: true,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			t.Setenv("POD_NAMESPACE", tc.env)
			o := DefaultOptions()
			if tc.mutate != nil {
				tc.mutate(&o)
			}
			if err := o.Validate(); (err != nil) != tc.wantErr {
				t.Fatalf("Validate() = %v, want error: %v", err, tc.wantErr)
			}
		})
	}
}

func TestBindFlagsSetsOptions(t *testing.T) {
	o := DefaultOptions()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.BindFlags(fs)
	err := fs.Parse([]string{"--webhook-port=9444", "--webhook-self-managed-certs=false", "--webhook-cert-dir=/certs", "--webhook-namespace=ns", "--webhook-service-name=s", "--webhook-secret-name=sec", "--webhook-config-name=cfg", "--webhook-validating-config-name=vcfg",
		"--drain-propagation-margin=2m", "--drain-shutdown-margin=15s", "--drain-max-prestop=10m"})
	if err != nil {
		t.Fatal(err)
	}
	want := Options{Port: 9444, SelfManagedCerts: false, CertDir: "/certs", Namespace: "ns", ServiceName: "s", SecretName: "sec", ConfigName: "cfg", ValidatingConfigName: "vcfg",
		Drain: drain.Margins{Propagation: 2 * time.Minute, Shutdown: 15 * time.Second, MaxPreStop: 10 * time.Minute}}
	if o != want {
		t.Fatalf("options after parsing = %+v, want %+v", o, want)
	}
}
