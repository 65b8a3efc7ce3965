// Command elbv2-emulator serves an in-memory Elastic Load Balancing v2 API
// with a real loopback data plane. See docs/emulator.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/pflag"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/internal/version"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "elbv2-emulator:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	opts, err := parseOptions(args)
	if errors.Is(err, pflag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if opts.version {
		fmt.Println(version.Get().String("elbv2-emulator"))
		return nil
	}
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	emu, err := emulator.New(cfg)
	if err != nil {
		return err
	}
	if err := emu.Start(opts.listen); err != nil {
		return err
	}
	fmt.Println(emu.URL())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "elbv2-emulator: shutting down")
	return emu.Close()
}
