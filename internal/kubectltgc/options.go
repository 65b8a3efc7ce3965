package kubectltgc

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tgc-dev/targetgroupcontroller/internal/controller/binding"
	"github.com/tgc-dev/targetgroupcontroller/internal/ledger"
	"github.com/tgc-dev/targetgroupcontroller/internal/podgate"
	"github.com/tgc-dev/targetgroupcontroller/internal/scheme"
)

// options are the flags every command shares: kubectl's for the cluster,
// and kubectl tgc's own.
type options struct {
	out, errOut io.Writer
	deps        Deps

	kubeconfig string
	overrides  clientcmd.ConfigOverrides
	output     string
	region     string
	// ownershipNamespace is where tgc keeps its ownership ledger; empty
	// reads a multi-cluster binding's owned targets from its status only.
	ownershipNamespace string
}

func (o *options) bind(fs *pflag.FlagSet) {
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "Path to the kubeconfig file to use.")
	clientcmd.BindOverrideFlags(&o.overrides, fs, clientcmd.RecommendedConfigOverrideFlags(""))
	fs.StringVarP(&o.output, "output", "o", "", "Output format: json or yaml. Empty prints tables for people.")
	fs.StringVar(&o.region, "region", "", "AWS region of the target groups; empty takes AWS_REGION or the shared config's.")
	fs.StringVar(&o.ownershipNamespace, "ownership-namespace", "", "Namespace of tgc's ownership ledger (the controller's --ownership-namespace, usually its own namespace); empty reads a multiClusterTargetGroup binding's owned targets from its status only.")
}

// check validates the flags every command reads.
func (o *options) check() error {
	switch o.output {
	case "", "json", "yaml":
		return nil
	}
	return &exitCode{exitError, fmt.Errorf("unknown output format %q: use -o json or -o yaml, or leave -o out for tables", o.output)}
}

// colour reports whether human output may be coloured: only on a
// terminal, and never with NO_COLOR set (no-color.org).
func (o *options) colour() bool {
	f, ok := o.out.(*os.File)
	return ok && os.Getenv("NO_COLOR") == "" && term.IsTerminal(int(f.Fd()))
}

// session is a command's connection to the cluster, and to AWS once a
// command needs it.
type session struct {
	kube client.Client
	// reader answers the controller's field indexes over the API server.
	reader    client.Reader
	namespace string
}

func (o *options) session() (*session, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.kubeconfig
	cc := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &o.overrides)
	cfg, err := cc.ClientConfig()
	if err != nil {
		return nil, &exitCode{exitError, fmt.Errorf("reading the kubeconfig: %w; pass --kubeconfig or set KUBECONFIG to a kubeconfig of the cluster", err)}
	}
	// kubectl's own client limits. client-go's defaults (5/s, burst 10)
	// would space the requests of one step apart: migrate's removal of
	// the peer's finalizer and its conditional delete must follow each
	// other at once, or the peer re-adds its finalizer in between.
	cfg.QPS, cfg.Burst = 50, 300
	ns, _, err := cc.Namespace()
	if err != nil {
		return nil, &exitCode{exitError, fmt.Errorf("reading the namespace from the kubeconfig: %w", err)}
	}
	scheme, err := scheme.New()
	if err != nil {
		return nil, err
	}
	kube, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, &exitCode{exitError, fmt.Errorf("connecting to the cluster: %w", err)}
	}
	return &session{kube: kube, reader: newIndexedReader(kube), namespace: ns}, nil
}

// planner is the controller's own Planner over the user's view of the
// cluster and a read-only AWS boundary. It knows no edits or deletions
// that the controller saw, and reads every group afresh.
func (o *options) planner(ctx context.Context, s *session) (*binding.Planner, error) {
	awsCfg, tgs, err := awsTargetGroups(ctx, o.region, o.deps.AWSConfig)
	if err != nil {
		return nil, err
	}
	view := views(awsCfg, tgs, o.deps.Clock)
	cfg := binding.PlannerConfig{Gates: podgate.NewPods(s.reader)}
	if o.ownershipNamespace != "" {
		cfg.Ledger = ledger.New(s.kube, s.reader, o.ownershipNamespace)
	}
	return binding.NewPlanner(s.reader, view, o.deps.Clock, cfg), nil
}
