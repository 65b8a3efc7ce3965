package scenario

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/testcluster"
)

// namespace holds every object a scenario writes.
const namespace = "bench"

// region is the emulated AWS region.
const region = "us-east-1"

// defaultVPC is the emulator's VPC; its CIDR is the pod CIDR.
var defaultVPC = emulator.DefaultVPC.ID

// callLogSize keeps every call of the largest scenario: the churn run at
// full scale makes a few tens of thousands.
const callLogSize = 2_000_000

// env is one scenario's world: a fresh control plane and emulator.
type env struct {
	cluster *testcluster.Cluster
	emu     *emulator.Emulator
	aws     *elb.Client
	kube    client.Client
	core    kubernetes.Interface
	lbARN   string
	log     logr.Logger
}

// newEnv starts etcd and kube-apiserver (no controllers, no kubelet) with
// tgc's CRDs and those in extraCRDs (the peer's), and an emulator on
// loopback with throttling off, so that the driver's seeding does not
// drain the buckets tgc is measured against.
func newEnv(ctx context.Context, root string, log logr.Logger, extraCRDs ...string) (_ *env, retErr error) {
	e := &env{log: log}
	defer func() {
		if retErr != nil {
			e.close()
		}
	}()
	var err error
	e.cluster, err = testcluster.Start(ctx, testcluster.Options{
		APIServerOnly: true,
		// Thousands of Services need cluster IPs; the range stays clear of
		// the pod CIDR 10.244.0.0/16.
		ServiceClusterIPRange: "10.96.0.0/16",
		CRDDirectoryPaths:     append([]string{filepath.Join(root, "config", "crd", "bases")}, extraCRDs...),
		Logger:                log.WithName("cluster"),
	})
	if err != nil {
		return nil, fmt.Errorf("starting the control plane: %w", err)
	}
	// The driver writes tens of thousands of objects; its own client must
	// not be what limits the setup.
	cfg := rest.CopyConfig(e.cluster.Config)
	cfg.QPS, cfg.Burst = 500, 1000
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return nil, fmt.Errorf("building the scheme: %w", err)
	}
	if e.kube, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return nil, fmt.Errorf("creating the driver's client: %w", err)
	}
	if e.core, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, fmt.Errorf("creating the driver's clientset: %w", err)
	}
	if err := e.kube.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}}); err != nil {
		return nil, fmt.Errorf("creating namespace %s: %w", namespace, err)
	}

	e.emu, err = emulator.New(emulator.Config{
		Region:       region,
		Profile:      emulator.FastProfile(),
		HealthChecks: emulator.HealthChecksSimulated,
		Throttle:     emulator.Throttle{Disabled: true},
		CallLogSize:  callLogSize,
		Logger:       log.WithName("emulator"),
	})
	if err != nil {
		return nil, err
	}
	if err := e.emu.Start("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("starting the emulator: %w", err)
	}
	e.aws = elb.NewFromConfig(aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDBENCH", "bench-secret", ""),
		// Throttling is off while the driver seeds; any error is real.
		Retryer: func() aws.Retryer { return aws.NopRetryer{} },
	}, func(o *elb.Options) { o.BaseEndpoint = aws.String(e.emu.URL()) })
	lb, err := e.aws.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{
		Name: aws.String("bench"),
		Type: elbtypes.LoadBalancerTypeEnumApplication,
	})
	if err != nil {
		return nil, fmt.Errorf("creating the load balancer: %w", err)
	}
	e.lbARN = *lb.LoadBalancers[0].LoadBalancerArn
	return e, nil
}

// measure turns AWS-like throttling on with full buckets: from here on the
// controller meets the buckets AWS would give a quiet account.
func (e *env) measure() emulator.Throttle {
	e.emu.SetThrottle(emulator.Throttle{})
	return e.emu.Throttle()
}

func (e *env) close() {
	var errs []error
	if e.emu != nil {
		errs = append(errs, e.emu.Close())
	}
	if e.cluster != nil {
		errs = append(errs, e.cluster.Stop())
	}
	if err := errors.Join(errs...); err != nil {
		e.log.Error(err, "tearing down the scenario")
	}
}

// waitFor polls cond every interval until it holds or timeout passes.
func waitFor(ctx context.Context, timeout, interval time.Duration, what string, cond func() (bool, string)) error {
	deadline := time.Now().Add(timeout)
	for {
		ok, progress := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waiting %s for %s: %s", timeout, what, progress)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (%s)", what, ctx.Err(), progress)
		case <-time.After(interval):
		}
	}
}
