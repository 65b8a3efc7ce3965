package rollout

import (
	"context"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/kubelet"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
)

// Config says what a Recorder watches.
type Config struct {
	Title     string
	Emulator  *emulator.Emulator
	Kube      kubernetes.Interface
	Namespace string
	// TargetGroupARN and ListenerARN are the run's group and the listener
	// its load goes through.
	TargetGroupARN, ListenerARN string
	// HarnessAccessKey is the key the test or demo itself signs its AWS
	// calls with: those calls are not the controller's and are not drawn.
	HarnessAccessKey string
	// Rate is the load's configured requests per second, for the summary.
	Rate int
	// Interval is how often the emulator is sampled; 100 ms by default.
	Interval time.Duration
}

// Recorder samples the emulator's targets and request counts and watches
// the namespace's pods, from Start until Finish.
type Recorder struct {
	cfg    Config
	start  time.Time
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	targets []targetSample
	counts  []countSample
	pods    []podSample
	notes   []Note
}

// Note marks a moment of the run's own, e.g. "controller stopped": the
// page numbers it on every lane, so what the harness did lines up with
// what followed.
func (r *Recorder) Note(at time.Time, text string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, Note{At: at, Text: text})
}

// Start begins recording; the pod watch is synced before it returns, so
// the pods already there are seen as such.
func Start(ctx context.Context, cfg Config) *Recorder {
	if cfg.Interval <= 0 {
		cfg.Interval = 100 * time.Millisecond
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Recorder{cfg: cfg, start: time.Now(), cancel: cancel, done: make(chan struct{})}
	factory := informers.NewSharedInformerFactoryWithOptions(cfg.Kube, 0, informers.WithNamespace(cfg.Namespace))
	pods := factory.Core().V1().Pods().Informer()
	_, _ = pods.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.observePod(obj, false) },
		UpdateFunc: func(_, obj any) { r.observePod(obj, false) },
		DeleteFunc: func(obj any) {
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			r.observePod(obj, true)
		},
	})
	factory.Start(ctx.Done())
	factory.WaitForCacheSync(ctx.Done())
	r.sample()
	go r.loop(ctx)
	return r
}

func (r *Recorder) loop(ctx context.Context) {
	defer close(r.done)
	tick := time.NewTicker(r.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			r.sample()
		}
	}
}

func (r *Recorder) sample() {
	now := time.Now()
	states, _ := r.cfg.Emulator.TargetStates(r.cfg.TargetGroupARN)
	counts := r.cfg.Emulator.RequestCounts()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.targets = append(r.targets, targetSample{At: now, States: states})
	r.counts = append(r.counts, countSample{At: now, Listener: counts.Listeners[r.cfg.ListenerARN], Targets: counts.Targets})
}

func (r *Recorder) observePod(obj any, deleted bool) {
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	s := podSample{
		At: time.Now(), Name: pod.Name, IP: pod.Status.PodIP, Created: pod.CreationTimestamp.Time,
		Terminating: pod.DeletionTimestamp != nil, Deleted: deleted, PreStop: kubelet.PreStop(pod),
		Exited: exited(pod),
	}
	for _, c := range pod.Status.Conditions {
		switch {
		case c.Type == corev1.PodReady:
			s.Ready = c.Status == corev1.ConditionTrue
		case strings.HasPrefix(string(c.Type), "target-health."):
			s.Gate = c.Status == corev1.ConditionTrue
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pods = append(r.pods, s)
}

func exited(pod *corev1.Pod) bool {
	if len(pod.Status.ContainerStatuses) == 0 {
		return false
	}
	for _, c := range pod.Status.ContainerStatuses {
		if c.State.Terminated == nil {
			return false
		}
	}
	return true
}

// Finish stops recording and builds the report, with load, the load
// generator's tally of the same run.
func (r *Recorder) Finish(load loadgen.Result) Report {
	r.sample()
	r.cancel()
	<-r.done
	end := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	return build(r.cfg, recording{start: r.start, end: end, targets: r.targets, counts: r.counts, pods: r.pods, notes: r.notes},
		load, r.cfg.Emulator.Calls())
}

// recording is what a Recorder sampled.
type recording struct {
	start, end time.Time
	targets    []targetSample
	counts     []countSample
	pods       []podSample
	notes      []Note
}

// build makes the report from a recording, the load generator's tally
// and the emulator's call log.
func build(cfg Config, rec recording, load loadgen.Result, calls []emulator.Call) Report {
	rep := Report{
		Title: cfg.Title, Start: rec.start, End: rec.end,
		Targets: targetLanes(rec.targets, rec.end),
		Pods:    podLanes(rec.pods, rec.start),
		Traffic: trafficBins(rec.counts, rec.start, rec.end, binWidth(rec.end.Sub(rec.start))),
		Calls:   controllerCalls(calls, cfg, rec.start, rec.end),
	}
	for _, n := range rec.notes {
		if !n.At.Before(rec.start) && !n.At.After(rec.end) {
			rep.Notes = append(rep.Notes, n)
		}
	}
	ipToPod := map[string]string{}
	for _, p := range rep.Pods {
		if p.IP != "" {
			ipToPod[p.IP] = p.Name
		}
	}
	for i := range rep.Targets {
		id, _, _ := cutLast(rep.Targets[i].Target, ":")
		rep.Targets[i].Pod = ipToPod[id]
	}
	for _, f := range load.Failures {
		rep.Failures = append(rep.Failures, Failure{At: f.At, Cause: f.Cause})
	}
	rep.Figures = Figures{Sent: load.Sent, Failed: len(load.Failures), Rate: cfg.Rate, Calls: len(rep.Calls)}
	if n := len(rec.counts); n > 0 {
		first, last := rec.counts[0].Listener, rec.counts[n-1].Listener
		rep.Figures.ListenerSent, rep.Figures.ListenerFailed = last.Total()-first.Total(), failed(last)-failed(first)
	}
	for _, c := range rep.Calls {
		if c.Write() {
			rep.Figures.Writes++
		}
	}
	return rep
}

// controllerCalls are the calls between start and end that the harness did
// not sign and that concern the run's group or no group at all.
func controllerCalls(calls []emulator.Call, cfg Config, start, end time.Time) []Call {
	var out []Call
	for _, c := range calls {
		if c.Time.Before(start) || c.Time.After(end) || c.AccessKeyID == cfg.HarnessAccessKey {
			continue
		}
		if c.TargetGroupARN != "" && c.TargetGroupARN != cfg.TargetGroupARN {
			continue
		}
		out = append(out, Call{At: c.Time, Action: c.Action, Result: c.Result, Targets: c.Targets})
	}
	return out
}

// binWidth keeps the traffic chart near a hundred bars whatever the run's
// length, in steps a reader can read off the axis.
func binWidth(d time.Duration) time.Duration {
	for _, w := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 5 * time.Second} {
		if d/w <= 120 {
			return w
		}
	}
	return 10 * time.Second
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}
