package kubelet

import (
	"context"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// podRunner plays the containers of one pod: it starts the app after the
// pod's start delay, runs the readiness probes, and carries out graceful
// termination. It reports every change through notify, and the kubelet then
// writes the pod's status.
type podRunner struct {
	uid            types.UID
	log            logr.Logger
	clock          clock.WithTicker
	app            *app
	containers     []corev1.Container
	preStop        time.Duration
	maxProbePeriod time.Duration
	notify         func()

	terminate chan time.Duration // the grace period, sent once
	cancel    context.CancelFunc
	stopped   chan struct{} // closed when run returns

	mu          sync.Mutex
	rt          podRuntime
	terminating bool
}

func newPodRunner(pod *corev1.Pod, ip, loopback, hostIP netip.Addr, cfg Config, notify func()) *podRunner {
	log := cfg.Logger.WithValues("pod", klog.KObj(pod), "podIP", ip, "loopback", loopback)
	preStop, errs := podPreStop(pod)
	for _, err := range errs {
		log.Info("Ignoring preStop hook", "reason", err.Error())
	}
	r := &podRunner{
		uid:            pod.UID,
		log:            log,
		clock:          cfg.Clock,
		app:            newApp(pod, ip, loopback, cfg.Clock),
		containers:     pod.Spec.Containers,
		preStop:        preStop,
		maxProbePeriod: cfg.MaxProbePeriod,
		notify:         notify,
		terminate:      make(chan time.Duration, 1),
		stopped:        make(chan struct{}),
		rt: podRuntime{
			IP:        ip,
			HostIP:    hostIP,
			StartedAt: cfg.Clock.Now(),
			Ready:     map[string]bool{},
		},
	}
	r.observe(pod)
	return r
}

// observe takes in the latest version of the pod: new annotations, and the
// start of graceful deletion.
func (r *podRunner) observe(pod *corev1.Pod) {
	b, err := ParseBehaviour(pod.Annotations)
	if err != nil {
		r.log.Info("Pod has invalid behaviour annotations", "error", err.Error())
	}
	r.app.setBehaviour(b)
	if pod.DeletionTimestamp == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.terminating {
		return
	}
	r.terminating = true
	grace := 30 * time.Second // the API default for terminationGracePeriodSeconds
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	}
	r.terminate <- grace
}

// snapshot returns what the kubelet should report for the pod.
func (r *podRunner) snapshot() podRuntime {
	r.mu.Lock()
	defer r.mu.Unlock()
	rt := r.rt
	rt.Ready = make(map[string]bool, len(r.rt.Ready))
	for k, v := range r.rt.Ready {
		rt.Ready[k] = v
	}
	return rt
}

func (r *podRunner) setReady(container string, ready bool) {
	r.mu.Lock()
	changed := r.rt.Ready[container] != ready
	r.rt.Ready[container] = ready
	r.mu.Unlock()
	if changed {
		r.log.V(1).Info("Container readiness changed", "container", container, "ready", ready)
		r.notify()
	}
}

// start runs the pod in a goroutine until it has terminated or ctx is done.
func (r *podRunner) start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(ctx)
	go func() {
		defer close(r.stopped)
		r.run(ctx)
	}()
}

// stop ends the pod at once (the pod is gone from the API, or the kubelet
// stops) and waits until its servers are closed.
func (r *podRunner) stop() {
	r.cancel()
	<-r.stopped
}

func (r *podRunner) run(ctx context.Context) {
	defer r.app.stop()
	probes, stopProbes := context.WithCancel(ctx)
	defer stopProbes()
	var probers sync.WaitGroup
	defer probers.Wait()

	var grace time.Duration
	select {
	case <-ctx.Done():
		return
	case grace = <-r.terminate:
		// Deleted before the app started: the kubelet still runs preStop.
	case <-r.clock.After(r.app.behaviour.Load().StartDelay):
		if err := r.app.listen(); err != nil {
			r.log.Error(err, "Pod app cannot listen; its containers stay unready")
		} else {
			r.startProbes(probes, &probers)
		}
		select {
		case <-ctx.Done():
			return
		case grace = <-r.terminate:
		}
	}

	deadline := r.clock.Now().Add(grace)
	r.log.V(1).Info("Terminating pod", "gracePeriod", grace, "preStop", r.preStop)
	// preStop runs while the app still serves; then the app gets SIGTERM
	// and drains for its shutdown delay. The kubelet kills whatever is left
	// when the grace period ends.
	if !r.sleepUntil(ctx, r.preStop, deadline) {
		return
	}
	if !r.sleepUntil(ctx, r.app.behaviour.Load().ShutdownDelay, deadline) {
		return
	}
	stopProbes()
	probers.Wait()
	r.app.stop()
	r.mu.Lock()
	r.rt.FinishedAt = r.clock.Now()
	r.mu.Unlock()
	r.log.V(1).Info("Pod terminated")
	r.notify()
}

// sleepUntil sleeps for d, but not past deadline. It reports false when ctx
// ended the wait.
func (r *podRunner) sleepUntil(ctx context.Context, d time.Duration, deadline time.Time) bool {
	d = min(d, deadline.Sub(r.clock.Now()))
	if d <= 0 {
		return ctx.Err() == nil
	}
	select {
	case <-ctx.Done():
		return false
	case <-r.clock.After(d):
		return true
	}
}

// startProbes marks containers without an HTTP readiness probe ready (the
// kubelet treats a container with no readiness probe as ready once it runs)
// and starts a prober for each of the others.
func (r *podRunner) startProbes(ctx context.Context, wg *sync.WaitGroup) {
	for _, c := range r.containers {
		if c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil {
			if c.ReadinessProbe != nil {
				r.log.Info("Only httpGet readiness probes are run; treating the container as ready", "container", c.Name)
			}
			r.setReady(c.Name, true)
			continue
		}
		url, err := probeTarget(c, r.app.loopback)
		if err != nil {
			r.log.Error(err, "Readiness probe cannot run; the container stays unready", "container", c.Name)
			continue
		}
		p := newProber(c.ReadinessProbe, url, r.maxProbePeriod, r.clock)
		wg.Go(func() { p.run(ctx, func(ready bool) { r.setReady(c.Name, ready) }) })
	}
}
