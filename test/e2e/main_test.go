package e2e

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	goruntime "runtime"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2sdk "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/harness"
	"github.com/tgc-dev/targetgroupcontroller/test/identity"
	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

const (
	region = "us-east-1"
	vpcID  = "vpc-0a1b2c3d4e5f60718"
)

var (
	podCIDR      = netip.MustParsePrefix("10.244.0.0/16")
	loopbackCIDR = netip.MustParsePrefix("127.244.0.0/16")
)

// suite is what every scenario shares: starting a control plane costs
// seconds, so there is one, with one emulator, and each scenario run works in
// its own namespace with its own load balancer and target group.
type suite struct {
	root    string
	cluster *testcluster.Cluster
	// identity is what the controller binary authenticates as: the
	// shipped ServiceAccount and RBAC, through a kubeconfig holding only
	// its token. The suite's own client stays the cluster admin.
	identity   *identity.Identity
	kube       client.Client
	emu        *emulator.Emulator
	elb        *elbv2sdk.Client
	controller controllerBinary
	// logDir keeps every controller log; it is removed when all tests pass.
	logDir string
}

// shared is set once by TestMain before any test runs and only read after.
var shared *suite

func TestMain(m *testing.M) {
	os.Exit(runSuite(m))
}

func runSuite(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e scenarios skipped in -short mode")
		return 0
	}
	s, stop, err := startSuite()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		stop()
		return 1
	}
	shared = s
	code := m.Run()
	stop()
	if code == 0 {
		os.RemoveAll(s.logDir)
	} else {
		fmt.Fprintf(os.Stderr, "e2e: controller logs kept in %s\n", s.logDir)
	}
	return code
}

// startSuite builds the controller and starts the control plane and the
// emulator. stop undoes whatever was started, also on error.
func startSuite() (_ *suite, stop func(), _ error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	// A cold build of the Kubernetes binaries takes about 11 minutes.
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	_, file, _, _ := goruntime.Caller(0)
	s := &suite{root: filepath.Join(filepath.Dir(file), "..", "..")}
	logDir, err := os.MkdirTemp("", "tgc-e2e-")
	if err != nil {
		return nil, stop, fmt.Errorf("creating the log directory: %w", err)
	}
	s.logDir = logDir

	started := time.Now()
	s.controller, err = buildController(ctx, s.root, logDir)
	if err != nil {
		return nil, stop, err
	}
	fmt.Fprintf(os.Stderr, "e2e: controller built in %s\n", time.Since(started).Round(time.Millisecond))

	s.emu, err = emulator.New(emulator.Config{
		Region:  region,
		VPCs:    []emulator.VPC{harness.DualStackVPC},
		DialMap: harness.PodDialMap,
		Profile: scaledProfile(),
		// The AWS-like throttling stays on: tgc must stay within it while
		// it polls gates and reacts to rollouts.
	})
	if err != nil {
		return nil, stop, fmt.Errorf("configuring the emulator: %w", err)
	}
	if err := s.emu.Start("127.0.0.1:0"); err != nil {
		return nil, stop, fmt.Errorf("starting the emulator: %w", err)
	}
	stops = append(stops, func() { _ = s.emu.Close() })
	started = time.Now()
	s.cluster, err = testcluster.Start(ctx, testcluster.Options{
		CRDDirectoryPaths: []string{filepath.Join(s.root, "config", "crd", "bases")},
		// The chaos suite's Service spans two slices (chaos_test.go).
		MaxEndpointsPerSlice: maxEndpointsPerSlice,
		// Several nodes, each its own instance, for the instance
		// scenarios; the pod scenarios spread over them too.
		Nodes: suiteNodes,
		// Dual stack, for the IPv6 scenario; every other Service stays
		// IPv4 single-stack.
		ServiceClusterIPRange: harness.DualStackServiceRange,
		Kubelet: kubelet.Config{
			IPFamilies:     harness.DualStack,
			PodCIDR:        podCIDR,
			LoopbackCIDR:   loopbackCIDR,
			MaxProbePeriod: kubeletProbePeriod,
			// Each node tells the emulator the instance it plays.
			Instances:          s.emu,
			ProxyMinSyncPeriod: proxyMinSyncPeriod,
		},
	})
	if err != nil {
		return nil, stop, fmt.Errorf("starting the control plane: %w", err)
	}
	stops = append(stops, func() { _ = s.cluster.Stop() })
	fmt.Fprintf(os.Stderr, "e2e: control plane up in %s\n", time.Since(started).Round(time.Millisecond))
	if s.identity, err = identity.Install(ctx, s.cluster, identity.Options{}); err != nil {
		return nil, stop, fmt.Errorf("installing the controller's identity: %w", err)
	}

	scheme := runtime.NewScheme()
	if err := errors.Join(clientgoscheme.AddToScheme(scheme), v1alpha1.AddToScheme(scheme)); err != nil {
		return nil, stop, fmt.Errorf("building the scheme: %w", err)
	}
	s.kube, err = client.New(s.cluster.Config, client.Options{Scheme: scheme})
	if err != nil {
		return nil, stop, fmt.Errorf("creating a Kubernetes client: %w", err)
	}

	s.elb = elbv2sdk.New(elbv2sdk.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.emu.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(harnessAccessKey, "e2e-secret", ""),
	})
	return s, stop, nil
}
