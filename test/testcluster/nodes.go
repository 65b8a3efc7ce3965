package testcluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/go-logr/logr"

	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
)

// nodes are the cluster's running loopback kubelets, and the scheduler
// when there are several.
type nodes struct {
	// template configures a node StartNode adds; the first node's
	// configuration, with binding left to the scheduler.
	template kubelet.Config

	mu      sync.Mutex
	running map[string]*runningKubelet
	order   []string
	// stopScheduler ends the scheduler; nil with a single node.
	stopScheduler context.CancelFunc
	schedulerDone chan error
}

type runningKubelet struct {
	stop context.CancelFunc
	done chan error
}

// startNodes starts opts.Nodes loopback kubelets (and with more than one,
// a scheduler), and returns once every Node is registered.
func (c *Cluster) startNodes(ctx context.Context, opts Options, log logr.Logger) error {
	n := max(opts.Nodes, 1)
	base := opts.Kubelet.NodeName
	if base == "" {
		base = "loopback-node"
	}
	for i := range n {
		cfg := opts.Kubelet
		if cfg.Logger.GetSink() == nil {
			cfg.Logger = log.WithName("kubelet")
		}
		if n > 1 {
			cfg.NodeName = fmt.Sprintf("%s-%d", base, i+1)
			cfg.LeaveBinding = true
		}
		if i == 0 {
			c.nodes.template = cfg
		}
		if err := c.startKubelet(ctx, cfg); err != nil {
			return err
		}
	}
	if n > 1 {
		s := kubelet.NewScheduler(c.Client, log)
		runCtx, cancel := context.WithCancel(context.Background())
		c.nodes.stopScheduler, c.nodes.schedulerDone = cancel, make(chan error, 1)
		go func() { c.nodes.schedulerDone <- s.Run(runCtx) }()
	}
	return nil
}

func (c *Cluster) startKubelet(ctx context.Context, cfg kubelet.Config) error {
	kl, err := kubelet.New(c.Client, cfg)
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	rk := &runningKubelet{stop: cancel, done: make(chan error, 1)}
	go func() { rk.done <- kl.Run(runCtx) }()
	select {
	case <-kl.Started():
	case err := <-rk.done:
		return fmt.Errorf("starting the loopback kubelet of node %s: %w", cfg.NodeName, err)
	case <-ctx.Done():
		cancel()
		return fmt.Errorf("starting the loopback kubelet of node %s: %w", cfg.NodeName, ctx.Err())
	}
	c.nodes.mu.Lock()
	defer c.nodes.mu.Unlock()
	if c.nodes.running == nil {
		c.nodes.running = map[string]*runningKubelet{}
	}
	c.nodes.running[kl.NodeName()] = rk
	if !slices.Contains(c.nodes.order, kl.NodeName()) {
		c.nodes.order = append(c.nodes.order, kl.NodeName())
	}
	// A node started again replaces its stopped kubelet.
	c.Kubelets = slices.DeleteFunc(c.Kubelets, func(k *kubelet.Kubelet) bool { return k.NodeName() == kl.NodeName() })
	c.Kubelets = append(c.Kubelets, kl)
	if c.Kubelet == nil {
		c.Kubelet = kl
	}
	return nil
}

// StartNode starts a loopback kubelet for node name, configured as the
// cluster's first, as a new instance joins: after StopNode and the Node's
// deletion, the same name comes back as a new node. It needs a cluster of
// several nodes, whose scheduler binds the pods.
func (c *Cluster) StartNode(ctx context.Context, name string) error {
	c.nodes.mu.Lock()
	cfg, running := c.nodes.template, c.nodes.running[name] != nil
	c.nodes.mu.Unlock()
	if running {
		return fmt.Errorf("node %s already has a running loopback kubelet", name)
	}
	if !cfg.LeaveBinding {
		return fmt.Errorf("StartNode needs a cluster of several nodes (Options.Nodes), whose scheduler binds pods")
	}
	cfg.NodeName = name
	return c.startKubelet(ctx, cfg)
}

// StopNode stops the loopback kubelet of node name, as the instance it
// plays shuts down: its pods' servers and its NodePorts close, and its
// instance is withdrawn (kubelet.Config.Instances). The Node object and the
// pods stay in the API, as after a real shutdown.
func (c *Cluster) StopNode(name string) error {
	c.nodes.mu.Lock()
	rk := c.nodes.running[name]
	delete(c.nodes.running, name)
	c.nodes.mu.Unlock()
	if rk == nil {
		return fmt.Errorf("node %s has no running loopback kubelet", name)
	}
	rk.stop()
	if err := <-rk.done; err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("loopback kubelet of node %s: %w", name, err)
	}
	return nil
}

// stopAll stops the scheduler and every kubelet still running.
func (n *nodes) stopAll() []error {
	var errs []error
	if n.stopScheduler != nil {
		n.stopScheduler()
		if err := <-n.schedulerDone; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("scheduler: %w", err))
		}
	}
	n.mu.Lock()
	running := n.running
	n.running = nil
	order := n.order
	n.mu.Unlock()
	for _, name := range order {
		rk := running[name]
		if rk == nil {
			continue
		}
		rk.stop()
		if err := <-rk.done; err != nil && !errors.Is(err, context.Canceled) {
			errs = append(errs, fmt.Errorf("loopback kubelet of node %s: %w", name, err))
		}
	}
	return errs
}
