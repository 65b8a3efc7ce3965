package demo

import (
	"context"
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
	"github.com/tgc-dev/targetgroupcontroller/test/rollout"
)

// rolloutRate is the steady load during the demo's rolling update: enough
// that a dropped target would show as failed requests, little enough for
// a two-core laptop that also runs the control plane.
const rolloutRate = 50

// rollingUpdate restarts the sample Deployment under steady load through
// the listener, records it, and writes the rollout report.
func (e *env) rollingUpdate(ctx context.Context, lb loadBalancer, addr string) error {
	e.step.Printf("Rolling update of deployment/echo at %d requests/s through the listener, recorded for %s", rolloutRate, e.opts.Report)
	rec := rollout.Start(ctx, rollout.Config{
		Title:     "make demo: rolling update of demo/echo",
		Emulator:  e.emu,
		Kube:      e.cluster.Client,
		Namespace: "demo", TargetGroupARN: lb.TargetGroupARN, ListenerARN: lb.ListenerARN,
		HarnessAccessKey: demoAccessKey,
		Rate:             rolloutRate,
	})
	gen := loadgen.New(loadgen.Config{URL: "http://" + addr + "/", Rate: rolloutRate})
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	loadDone := make(chan loadgen.Result, 1)
	go func() { loadDone <- gen.Run(loadCtx) }()

	err := e.restartAndSettle(ctx, lb, rec)
	// A little more load once it has settled: a target let go too early
	// would fail requests only now.
	if err == nil {
		sleep(ctx, time.Second)
	}
	stopLoad()
	rep := rec.Finish(<-loadDone)
	if err != nil {
		return err
	}
	// The page is checked as it is written: it must stand alone and
	// agree with the run's accounting.
	if verr := rollout.Verify(rep.HTML(), rep.Figures); verr != nil {
		return fmt.Errorf("the rollout report does not hold up: %w", verr)
	}
	if werr := rep.WriteFile(e.opts.Report); werr != nil {
		return werr
	}
	e.step.Printf("Rollout report: %s: %s", e.opts.Report, rep.Summary())
	f := rep.Figures
	if f.Failed > 0 {
		return fmt.Errorf("%d of %d requests failed during the rolling update; see %s", f.Failed, f.Sent, e.opts.Report)
	}
	// Every request went through the listener: the two counts must agree.
	if uint64(f.Sent) != f.ListenerSent || uint64(f.Failed) != f.ListenerFailed {
		return fmt.Errorf("the load generator counted %d sent / %d failed, the listener %d / %d", f.Sent, f.Failed, f.ListenerSent, f.ListenerFailed)
	}
	return nil
}

// restartAndSettle restarts the Deployment, as `kubectl rollout restart`
// does, and waits until the new pods are the group's only targets, all
// healthy, and the old pods are gone.
func (e *env) restartAndSettle(ctx context.Context, lb loadBalancer, rec *rollout.Recorder) error {
	sleep(ctx, time.Second)
	rec.Note(time.Now(), "kubectl rollout restart deployment/echo")
	if err := kubectl(ctx, e.cluster.Kubeconfig, e.out, "rollout", "restart", "-n", "demo", "deployment/echo"); err != nil {
		return fmt.Errorf("restarting deployment/echo: %w", err)
	}
	if err := kubectl(ctx, e.cluster.Kubeconfig, e.out, "rollout", "status", "-n", "demo", "--timeout=3m", "deployment/echo"); err != nil {
		return fmt.Errorf("waiting for the rolling update of deployment/echo: %w", err)
	}
	rec.Note(time.Now(), "kubectl rollout status: rolled out")
	waitCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := waitHealthy(waitCtx, e.elb, lb.TargetGroupARN, replicas, e.out); err != nil {
		return err
	}
	for {
		pods, err := e.cluster.Client.CoreV1().Pods("demo").List(waitCtx, metav1.ListOptions{LabelSelector: "app=echo"})
		if err != nil {
			return fmt.Errorf("listing the sample pods: %w", err)
		}
		if len(pods.Items) == replicas {
			rec.Note(time.Now(), fmt.Sprintf("settled: %d healthy targets, the old pods gone", replicas))
			return nil
		}
		if !sleep(waitCtx, 250*time.Millisecond) {
			return fmt.Errorf("waiting for the old pods to go (%d pods left): %w", len(pods.Items), waitCtx.Err())
		}
	}
}

// sleep waits d, or less when ctx ends; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
