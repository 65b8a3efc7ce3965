package peer

import (
	"slices"
	"strings"
	"testing"
)

func TestArgsTurnOffWhatABindingOnlyRunDoesNotNeed(t *testing.T) {
	args := Args(Options{Kubeconfig: "/kc", EmulatorURL: "http://127.0.0.1:1", Region: "us-east-1", VPC: "vpc-1", WatchNamespace: "ns"}, "/certs", 1, 2, 3)
	for _, want := range []string{
		"--feature-gates=EnableServiceController=false,ALBGatewayAPI=false,NLBGatewayAPI=false",
		"--enable-waf=false", "--enable-wafv2=false", "--enable-shield=false",
		"--aws-vpc-id=vpc-1",
		"--aws-api-endpoints=EC2=http://127.0.0.1:1,Elastic Load Balancing v2=http://127.0.0.1:1,STS=http://127.0.0.1:1",
		"--enable-leader-election=false",
		"--webhook-cert-dir=/certs",
		"--watch-namespace=ns",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("peer args lack %s: %v", want, args)
		}
	}
}

func TestLoadSaysHowToBuildWhatIsMissing(t *testing.T) {
	_, err := Load(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "hack/peer.sh") {
		t.Errorf("Load of an empty directory = %v; want an error naming hack/peer.sh", err)
	}
}
