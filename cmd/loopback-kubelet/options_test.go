package main

import (
	"testing"

	"github.com/spf13/pflag"
)

func TestOptionsValidation(t *testing.T) {
	tests := map[string]struct {
		args    []string
		wantErr bool
	}{
		"kubeconfig alone is enough":   {[]string{"--kubeconfig=/tmp/kc"}, false},
		"missing kubeconfig":           {nil, true},
		"bad pod CIDR":                 {[]string{"--kubeconfig=/tmp/kc", "--pod-cidr=10.244.0.0"}, true},
		"bad loopback CIDR":            {[]string{"--kubeconfig=/tmp/kc", "--loopback-cidr=nope"}, true},
		"custom CIDRs of same length":  {[]string{"--kubeconfig=/tmp/kc", "--pod-cidr=10.9.0.0/24", "--loopback-cidr=127.9.0.0/24"}, false},
		"bad node CIDR":                {[]string{"--kubeconfig=/tmp/kc", "--node-cidr=127.0.10.1"}, true},
		"an emulator to announce to":   {[]string{"--kubeconfig=/tmp/kc", "--emulator-url=http://127.0.0.1:4566"}, false},
		"dual stack with an IPv6 CIDR": {[]string{"--kubeconfig=/tmp/kc", "--ip-families=IPv4,IPv6", "--ipv6-pod-cidr=fd00:10:244::/112"}, false},
		"bad IPv6 pod CIDR":            {[]string{"--kubeconfig=/tmp/kc", "--ip-families=IPv6", "--ipv6-pod-cidr=fd00::1"}, true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var o options
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			o.bind(fs)
			if err := fs.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			_, err := o.config()
			if (err != nil) != tc.wantErr {
				t.Errorf("config() error = %v, want error %v", err, tc.wantErr)
			}
		})
	}
}
