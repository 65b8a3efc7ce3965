package emulator

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// Not parallel: the cases set process environment variables.
func TestSDKEnvPointsAnUnmodifiedClientAtTheEmulatorWhateverTheHostSets(t *testing.T) {
	cases := map[string]map[string]string{
		"a clean host": {},
		"a host with its own profile, which the empty config files lack": {
			"AWS_PROFILE":         "someone-else",
			"AWS_DEFAULT_PROFILE": "someone-else",
		},
		"a host with a global endpoint and endpoint overrides turned off": {
			"AWS_ENDPOINT_URL":                    "http://127.0.0.1:1",
			"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
		},
		"a host with its own keys and region": {
			"AWS_ACCESS_KEY_ID":     "AKIDHOST",
			"AWS_SECRET_ACCESS_KEY": "host-secret",
			"AWS_REGION":            "eu-west-1",
		},
	}
	h := start(t)
	tg := h.group()
	for name, host := range cases {
		t.Run(name, func(t *testing.T) {
			for k, v := range host {
				t.Setenv(k, v)
			}
			for _, kv := range SDKEnv(h.emu.URL(), "us-east-1") {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					t.Fatalf("SDKEnv pair %q has no =", kv)
				}
				t.Setenv(k, v)
			}
			cfg, err := config.LoadDefaultConfig(context.Background(), config.WithHTTPClient(loopbackOnly()))
			if err != nil {
				t.Fatalf("loading the SDK config: %v", err)
			}
			if cfg.Region != "us-east-1" {
				t.Errorf("region = %q, want us-east-1", cfg.Region)
			}
			out, err := elbv2.NewFromConfig(cfg).DescribeTargetGroups(context.Background(), &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{*tg.TargetGroupArn}})
			if err != nil {
				t.Fatalf("DescribeTargetGroups through the environment: %v", err)
			}
			if len(out.TargetGroups) != 1 || *out.TargetGroups[0].TargetGroupArn != *tg.TargetGroupArn {
				t.Errorf("got %+v, want the emulator's group %s", out.TargetGroups, *tg.TargetGroupArn)
			}
		})
	}
}

// loopbackOnly is an HTTP client that refuses, before any name lookup, to
// connect anywhere but a loopback address, so an environment that fails to
// redirect the SDK fails the test instead of reaching the real AWS
// endpoint. It is the SDK's own buildable client, which the SDK needs to
// apply settings such as AWS_CA_BUNDLE.
func loopbackOnly() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.Proxy = nil
		dial := tr.DialContext
		tr.DialContext = func(ctx context.Context, network, address string) (net.Conn, error) {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !ap.Addr().IsLoopback() {
				return nil, fmt.Errorf("refusing to dial %s: not a loopback address", address)
			}
			return dial(ctx, network, address)
		}
	})
}
