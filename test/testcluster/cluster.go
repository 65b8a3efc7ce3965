package testcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
)

// Options configures a test cluster. The zero value gives a cluster with the
// default controllers and a loopback kubelet.
type Options struct {
	// ExtraControllers are kube-controller-manager controllers to run
	// beyond endpointslice, deployment, replicaset, garbagecollector and
	// namespace.
	ExtraControllers []string
	// CRDDirectoryPaths are installed by envtest before Start returns (the
	// controller's CRDs live in config/crd/bases).
	CRDDirectoryPaths []string
	// NoKubelet leaves out the loopback kubelet: pods then stay Pending.
	NoKubelet bool
	// APIServerOnly runs etcd and kube-apiserver alone: no
	// kube-controller-manager and no kubelet (ExtraControllers, NoKubelet
	// and Kubelet are then ignored). Nothing writes EndpointSlices, starts
	// pods or collects garbage; a benchmark writes the objects a
	// controller would, so that only the controller it measures competes
	// for the CPU.
	APIServerOnly bool
	// Kubelet overrides the loopback kubelet's configuration.
	Kubelet kubelet.Config
	// Nodes is how many loopback kubelets run, each its own Node with its
	// own address and kube-proxy. Zero means one. With more than one, they
	// are named Kubelet.NodeName (default loopback-node) with -1, -2, ...
	// and a kubelet.Scheduler binds the pods.
	Nodes int
	// ServiceClusterIPRange is kube-apiserver's --service-cluster-ip-range.
	// Empty keeps envtest's 10.0.0.0/24, which holds 254 Services with a
	// cluster IP; a benchmark with thousands of Services needs more.
	ServiceClusterIPRange string
	// MaxEndpointsPerSlice is kube-controller-manager's
	// --max-endpoints-per-slice. Zero keeps Kubernetes' 100; a small value
	// spreads a few pods over several EndpointSlices, as 100 pods and more
	// are in a real cluster.
	MaxEndpointsPerSlice int
	// Logger receives the cluster's and the kubelet's logs. Default: none
	// (harness.Cluster defaults to the test's log).
	Logger logr.Logger
}

// Cluster is a running control plane.
type Cluster struct {
	// Config is for an admin (system:masters) user.
	Config *rest.Config
	// Kubeconfig is the path of a kubeconfig file for the same admin user,
	// for kubectl or a separately started controller binary.
	Kubeconfig string
	// Client is a clientset built from Config.
	Client kubernetes.Interface
	// Kubelet is the (first) loopback kubelet, nil with Options.NoKubelet.
	Kubelet *kubelet.Kubelet
	// Kubelets are every loopback kubelet, one per node.
	Kubelets []*kubelet.Kubelet
	// Dir holds the kubeconfig and the kube-controller-manager log; it is
	// removed by Stop.
	Dir string

	log      logr.Logger
	thread   *processThread
	env      *envtest.Environment
	cm       *controllerManager
	nodes    nodes
	stopOnce sync.Once
	stopErr  error
}

// Start brings up etcd, kube-apiserver and, unless opts.APIServerOnly,
// kube-controller-manager and (unless opts.NoKubelet) the loopback kubelet,
// and returns once the kubelet's Node is registered. ctx bounds the start-up only; the cluster runs until Stop.
func Start(ctx context.Context, opts Options) (_ *Cluster, retErr error) {
	started := time.Now()
	log := opts.Logger
	if log.GetSink() == nil {
		log = logr.Discard()
	}
	assets, err := Assets(ctx)
	if err != nil {
		return nil, err
	}
	removeLeftovers(log)
	dir, err := os.MkdirTemp("", dirPrefix)
	if err != nil {
		return nil, fmt.Errorf("creating cluster directory: %w", err)
	}
	if err := markOwner(dir); err != nil {
		return nil, fmt.Errorf("marking cluster directory: %w", err)
	}
	c := &Cluster{Dir: dir, log: log, thread: newProcessThread()}
	defer func() {
		if retErr != nil {
			retErr = errors.Join(retErr, c.Stop())
		}
	}()

	for _, sub := range []string{"bin", "etcd", "apiserver"} {
		if err := os.Mkdir(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, fmt.Errorf("creating cluster directory: %w", err)
		}
	}
	etcdPath, err := pdeathWrapper(filepath.Join(dir, "bin"), filepath.Join(assets, "etcd"))
	if err != nil {
		return nil, err
	}
	apiserverPath, err := pdeathWrapper(filepath.Join(dir, "bin"), filepath.Join(assets, "kube-apiserver"))
	if err != nil {
		return nil, err
	}
	c.env = &envtest.Environment{
		CRDDirectoryPaths:     opts.CRDDirectoryPaths,
		ErrorIfCRDPathMissing: len(opts.CRDDirectoryPaths) > 0,
		BinaryAssetsDirectory: assets,
		ControlPlane: envtest.ControlPlane{
			// Data and certificates live in dir, so one RemoveAll (or
			// removeLeftovers, after a crash) clears everything.
			Etcd:        &envtest.Etcd{Path: etcdPath, DataDir: filepath.Join(dir, "etcd")},
			APIServer:   &envtest.APIServer{Path: apiserverPath, CertDir: filepath.Join(dir, "apiserver")},
			KubectlPath: filepath.Join(assets, "kubectl"),
		},
	}
	if opts.ServiceClusterIPRange != "" {
		c.env.ControlPlane.APIServer.Configure().Set("service-cluster-ip-range", opts.ServiceClusterIPRange)
	}
	c.thread.do(func() { _, err = c.env.Start() })
	if err != nil {
		return nil, fmt.Errorf("starting etcd and kube-apiserver: %w", err)
	}
	user, err := c.env.ControlPlane.AddUser(envtest.User{Name: "tgc-admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		return nil, fmt.Errorf("adding the admin user: %w", err)
	}
	c.Config = rest.CopyConfig(user.Config())
	// client-go's default of 5 QPS would make the kubelet and polling tests
	// wait on the client, not on the cluster.
	c.Config.QPS, c.Config.Burst = 1000, 2000
	kubeconfig, err := user.KubeConfig()
	if err != nil {
		return nil, fmt.Errorf("rendering the admin kubeconfig: %w", err)
	}
	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, kubeconfig, 0o600); err != nil {
		return nil, fmt.Errorf("writing the admin kubeconfig: %w", err)
	}
	c.Client, err = kubernetes.NewForConfig(c.Config)
	if err != nil {
		return nil, fmt.Errorf("creating a clientset: %w", err)
	}
	log.Info("API server is up", "host", c.Config.Host, "after", time.Since(started))

	if opts.APIServerOnly {
		log.Info("Test cluster is up (etcd and kube-apiserver only)", "after", time.Since(started), "kubeconfig", c.Kubeconfig)
		return c, nil
	}
	c.cm, err = startControllerManager(c.thread, filepath.Join(assets, "kube-controller-manager"), c.Kubeconfig, dir, opts.ExtraControllers, opts.MaxEndpointsPerSlice)
	if err != nil {
		return nil, err
	}

	if !opts.NoKubelet {
		if err := c.startNodes(ctx, opts, log); err != nil {
			return nil, err
		}
	}
	select {
	case <-c.cm.Done():
		return nil, c.cm.unexpectedExit()
	default:
	}
	log.Info("Test cluster is up", "after", time.Since(started), "kubeconfig", c.Kubeconfig)
	return c, nil
}

// RestartAPIServer stops kube-apiserver and starts it again on the same
// port, with the same certificates and etcd, so every client's kubeconfig
// stays valid. Clients see their connections and watches drop and must
// reconnect. It sends SIGTERM, as a rolling upgrade of the control plane
// does, and SIGKILL after grace: a kube-apiserver with many open watches
// may take longer than that to drain. It returns when the new
// kube-apiserver answers /healthz, with how long none was serving from the
// moment it was told to stop.
func (c *Cluster) RestartAPIServer(grace time.Duration) (time.Duration, error) {
	if c.env == nil {
		return 0, fmt.Errorf("the cluster has no kube-apiserver")
	}
	api := c.env.ControlPlane.APIServer
	stopped := time.Now()
	pid, err := findProcess("kube-apiserver", "--cert-dir="+api.CertDir)
	if err != nil {
		return 0, err
	}
	if err := stopPID(pid, grace); err != nil {
		return 0, fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	// envtest has reaped it by now and only tidies up.
	c.thread.do(func() { err = api.Stop() })
	if err != nil {
		return 0, fmt.Errorf("stopping kube-apiserver: %w", err)
	}
	// Start reuses the secure port chosen at first start and keeps the
	// certificates already in CertDir, and the client CA with them.
	c.thread.do(func() { err = api.Start() })
	if err != nil {
		return 0, fmt.Errorf("starting kube-apiserver again: %w", err)
	}
	return time.Since(stopped), nil
}

// findProcess is the PID of the process whose command line holds binary
// and arg; arg names something of this cluster's own (its directory), so
// no other cluster's process matches.
func findProcess(binary, arg string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("listing processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if len(args) > 0 && filepath.Base(args[0]) == binary && slices.Contains(args, arg) {
			return pid, nil
		}
	}
	return 0, fmt.Errorf("no %s process with %s", binary, arg)
}

// stopPID sends SIGTERM to pid, SIGKILL after grace, and returns once the
// process is gone (its parent has reaped it).
func stopPID(pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return fmt.Errorf("signalling pid %d: %w", pid, err)
	}
	killAt := time.Now().Add(grace)
	deadline := killAt.Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid))); errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if !killAt.IsZero() && time.Now().After(killAt) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			killAt = time.Time{}
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("pid %d still there 10s after SIGKILL", pid)
}

// Stop stops the kubelet (closing every pod server), kube-controller-manager,
// kube-apiserver and etcd, and removes the cluster's files. It is safe to
// call more than once; later calls return the first call's result.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		errs = append(errs, c.nodes.stopAll()...)
		if c.cm != nil {
			if err := c.cm.stop(); err != nil {
				errs = append(errs, err)
			}
		}
		if c.env != nil {
			var err error
			c.thread.do(func() { err = c.env.Stop() })
			if err != nil {
				errs = append(errs, fmt.Errorf("stopping etcd and kube-apiserver: %w", err))
			}
		}
		// Ending the thread also kills, through their parent-death signal,
		// any server that did not stop.
		c.thread.close()
		if err := os.RemoveAll(c.Dir); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w", c.Dir, err))
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}
