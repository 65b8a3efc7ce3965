package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/spf13/pflag"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"

	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
)

// options are the flags of loopback-kubelet.
type options struct {
	kubeconfig     string
	nodeName       string
	podCIDR        string
	ipFamilies     []string
	ipv6PodCIDR    string
	loopbackCIDR   string
	zone           string
	nodeCIDR       string
	emulatorURL    string
	maxProbePeriod time.Duration
	version        bool
}

func (o *options) bind(fs *pflag.FlagSet) {
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "path to the kubeconfig of the cluster to join (required)")
	fs.StringVar(&o.nodeName, "node-name", "loopback-node", "name of the Node to register")
	fs.StringVar(&o.podCIDR, "pod-cidr", "10.244.0.0/16", "CIDR that pod IPs are allocated from")
	fs.StringSliceVar(&o.ipFamilies, "ip-families", []string{"IPv4"}, "families of every pod's addresses, primary first: IPv4, IPv4,IPv6 or IPv6,IPv4 (dual stack), or IPv6")
	fs.StringVar(&o.ipv6PodCIDR, "ipv6-pod-cidr", "", "IPv6 prefix pod addresses come from, with as many host bits as --pod-cidr; a pod's IPv6 address keeps the host bits of its IPv4 one (default fd00:10:244::/112 for a /16)")
	fs.StringVar(&o.loopbackCIDR, "loopback-cidr", "127.244.0.0/16", "loopback CIDR that pod servers really listen on; same length as --pod-cidr")
	fs.StringVar(&o.zone, "zone", "", "topology.kubernetes.io/zone label for the Node (none if empty)")
	fs.StringVar(&o.nodeCIDR, "node-cidr", "127.0.10.0/24", "loopback CIDR the node's own address (where its kube-proxy serves NodePorts) is taken from")
	fs.StringVar(&o.emulatorURL, "emulator-url", "", "ELBv2 emulator to tell the node's EC2 instance and address to (PUT /_emulator/instances), so that instance targets reach the node (none if empty)")
	fs.DurationVar(&o.maxProbePeriod, "max-probe-period", time.Second, "cap on readiness probe periodSeconds and initialDelaySeconds")
	fs.BoolVar(&o.version, "version", false, "print the version, commit and Go version, and exit")
}

// config validates the flags and turns them into a kubelet configuration.
func (o *options) config() (kubelet.Config, error) {
	if o.kubeconfig == "" {
		return kubelet.Config{}, errors.New("--kubeconfig is required")
	}
	pods, err := netip.ParsePrefix(o.podCIDR)
	if err != nil {
		return kubelet.Config{}, fmt.Errorf("--pod-cidr: %w", err)
	}
	loopback, err := netip.ParsePrefix(o.loopbackCIDR)
	if err != nil {
		return kubelet.Config{}, fmt.Errorf("--loopback-cidr: %w", err)
	}
	nodes, err := netip.ParsePrefix(o.nodeCIDR)
	if err != nil {
		return kubelet.Config{}, fmt.Errorf("--node-cidr: %w", err)
	}
	var v6 netip.Prefix
	if o.ipv6PodCIDR != "" {
		if v6, err = netip.ParsePrefix(o.ipv6PodCIDR); err != nil {
			return kubelet.Config{}, fmt.Errorf("--ipv6-pod-cidr: %w", err)
		}
	}
	families := make([]corev1.IPFamily, 0, len(o.ipFamilies))
	for _, f := range o.ipFamilies {
		families = append(families, corev1.IPFamily(f))
	}
	cfg := kubelet.Config{
		IPFamilies:     families,
		IPv6PodCIDR:    v6,
		NodeName:       o.nodeName,
		PodCIDR:        pods,
		LoopbackCIDR:   loopback,
		NodeCIDR:       nodes,
		Zone:           o.zone,
		MaxProbePeriod: o.maxProbePeriod,
		Logger:         klog.NewKlogr(),
	}
	if o.emulatorURL != "" {
		cfg.Instances = kubelet.EmulatorInstances{URL: o.emulatorURL}
	}
	return cfg, nil
}

func (o *options) run(ctx context.Context) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	rc, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("loading kubeconfig %s: %w", o.kubeconfig, err)
	}
	rc.QPS, rc.Burst = 500, 1000
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("creating a client: %w", err)
	}
	k, err := kubelet.New(client, cfg)
	if err != nil {
		return err
	}
	return k.Run(ctx)
}
