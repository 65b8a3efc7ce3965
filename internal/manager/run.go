package manager

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
)

// Main parses the flags in args, sets up logging and runs the manager until
// ctx ends. It is the whole of cmd/targetgroupcontroller.
func Main(ctx context.Context, args []string) error {
	o := DefaultOptions()
	fs := pflag.NewFlagSet("targetgroupcontroller", pflag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, "targetgroupcontroller keeps ELBv2 target groups of type ip equal to the ready endpoints of Services, as TargetGroupBindings say.\n\nFlags:\n%s", fs.FlagUsages())
	}
	o.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if err == pflag.ErrHelp {
			return nil
		}
		return err
	}
	if o.PrintVersion {
		fmt.Println(version.Get().String("targetgroupcontroller"))
		return nil
	}
	if err := o.Validate(); err != nil {
		return fmt.Errorf("invalid flags: %w", err)
	}
	ctrl.SetLogger(zap.New(zap.Level(level(o.LogLevel)), zap.UseDevMode(false), func(zo *zap.Options) {
		if o.LogFormat == "console" {
			zo.Encoder = nil
			zo.NewEncoder = func(...zap.EncoderConfigOption) zapcore.Encoder {
				return zapcore.NewConsoleEncoder(zapcore.EncoderConfig{
					TimeKey: "ts", LevelKey: "level", NameKey: "logger", MessageKey: "msg",
					EncodeTime: zapcore.ISO8601TimeEncoder, EncodeLevel: zapcore.CapitalLevelEncoder,
					EncodeDuration: zapcore.StringDurationEncoder, LineEnding: zapcore.DefaultLineEnding,
				})
			}
		}
	}))
	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("loading the kubeconfig: %w", err)
	}
	cfg.QPS, cfg.Burst = o.KubeAPIQPS, o.KubeAPIBurst
	mgr, err := New(ctx, o, cfg, Deps{})
	if err != nil {
		return err
	}
	ctrl.Log.Info("starting", "leaderElection", o.LeaderElect, "watchNamespaces", o.WatchNamespaces, "bindingSelector", o.BindingSelector)
	return mgr.Start(ctx)
}

func level(s string) zapcore.Level {
	switch strings.ToLower(s) {
	case "debug":
		return zapcore.DebugLevel
	case "error":
		return zapcore.ErrorLevel
	}
	return zapcore.InfoLevel
}
