package e2e

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
	"github.com/tgc-dev/targetgroupcontroller/test/loadgen"
)

// timeline records what happened to the scenario's pods, so that a failed
// request can be told apart: did it hit a pod that had already stopped, a
// target still registered, or no target at all?
type timeline struct {
	mu     sync.Mutex
	events []event
	pods   map[string]podState
	// history is every state each pod was seen in, in order, to tell
	// afterwards what a pod was doing when a call named its address.
	history []podChange
	// noted, when set, also gets each note (the rollout report's).
	noted func(at time.Time, what string)
}

// podChange is one pod's state from at on, until its next change.
type podChange struct {
	at   time.Time
	name string
	podState
	gone bool
}

type event struct {
	at   time.Time
	what string
}

type podState struct {
	ip          string
	ready       bool
	terminating bool
}

// watchPods records pod changes in namespace until ctx ends.
func watchPods(ctx context.Context, c kubernetes.Interface, namespace string) *timeline {
	tl := &timeline{pods: map[string]podState{}}
	go tl.watch(ctx, c, namespace)
	return tl
}

func (tl *timeline) watch(ctx context.Context, c kubernetes.Interface, namespace string) {
	rv := ""
	for ctx.Err() == nil {
		if rv == "" {
			// First start, or the watch's place was lost (a restarted API
			// server answers an old resourceVersion with 410 Gone): list to
			// catch up, as an informer would, then watch from the list.
			list, err := c.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{})
			if err != nil {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				continue
			}
			tl.relisted(list.Items)
			rv = list.ResourceVersion
		}
		w, err := c.CoreV1().Pods(namespace).Watch(ctx, metav1.ListOptions{ResourceVersion: rv})
		if err != nil {
			rv = ""
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
			continue
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				rv = ""
				break
			}
			pod, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			rv = pod.ResourceVersion
			tl.observe(ev.Type, pod)
		}
		w.Stop()
	}
}

// relisted records what a list shows: every pod as it is now, and the pods
// the timeline knew that are gone.
func (tl *timeline) relisted(pods []corev1.Pod) {
	seen := map[string]bool{}
	for i := range pods {
		seen[pods[i].Name] = true
		tl.observe(watch.Modified, &pods[i])
	}
	tl.mu.Lock()
	var gone []string
	for name := range tl.pods {
		if !seen[name] {
			gone = append(gone, name)
		}
	}
	tl.mu.Unlock()
	for _, name := range gone {
		tl.observe(watch.Deleted, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}})
	}
}

func (tl *timeline) observe(t watch.EventType, pod *corev1.Pod) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	now := time.Now()
	old, known := tl.pods[pod.Name]
	if t == watch.Deleted {
		delete(tl.pods, pod.Name)
		tl.history = append(tl.history, podChange{at: now, name: pod.Name, podState: old, gone: true})
		tl.events = append(tl.events, event{now, fmt.Sprintf("pod %s (%s) gone", pod.Name, old.ip)})
		return
	}
	cur := podState{ip: pod.Status.PodIP, ready: podReady(pod), terminating: pod.DeletionTimestamp != nil}
	tl.pods[pod.Name] = cur
	if !known || cur != old {
		tl.history = append(tl.history, podChange{at: now, name: pod.Name, podState: cur})
	}
	switch {
	case !known:
		tl.events = append(tl.events, event{now, fmt.Sprintf("pod %s created", pod.Name)})
	}
	if cur.ip != old.ip && cur.ip != "" {
		tl.events = append(tl.events, event{now, fmt.Sprintf("pod %s got IP %s", pod.Name, cur.ip)})
	}
	if cur.ready != old.ready {
		tl.events = append(tl.events, event{now, fmt.Sprintf("pod %s (%s) Ready=%t%s", pod.Name, cur.ip, cur.ready, gateNote(pod))})
	}
	if cur.terminating && !old.terminating {
		tl.events = append(tl.events, event{now, fmt.Sprintf("pod %s (%s) deleted (terminating)", pod.Name, cur.ip)})
	}
}

// gateNote shows the gate condition's reason next to a readiness change.
func gateNote(pod *corev1.Pod) string {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.ContainersReady && c.Status != corev1.ConditionTrue {
			return " (containers not ready)"
		}
	}
	for _, c := range pod.Status.Conditions {
		if strings.HasPrefix(string(c.Type), "target-health.") {
			return fmt.Sprintf(" (gate %s %s)", c.Status, c.Reason)
		}
	}
	return ""
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// changes is a copy of the pods' state history.
func (tl *timeline) changes() []podChange {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	return slices.Clone(tl.history)
}

// note adds an event of the test's own, e.g. "controller restarted".
func (tl *timeline) note(format string, args ...any) {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	e := event{time.Now(), fmt.Sprintf(format, args...)}
	tl.events = append(tl.events, e)
	if tl.noted != nil {
		tl.noted(e.at, e.what)
	}
}

// render lists the pod events, the target group's Register/Deregister calls
// and a summary of failed requests, by time since start.
func (tl *timeline) render(start time.Time, calls []emulator.Call, targetGroupARN string, failures []loadgen.Failure) string {
	tl.mu.Lock()
	events := slices.Clone(tl.events)
	tl.mu.Unlock()
	for _, c := range calls {
		if c.TargetGroupARN != targetGroupARN || (c.Action != "RegisterTargets" && c.Action != "DeregisterTargets") {
			continue
		}
		events = append(events, event{c.Time, fmt.Sprintf("%s of %d targets: %s", c.Action, c.Targets, c.Result)})
	}
	events = append(events, failureEvents(failures)...)
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	var b strings.Builder
	for _, e := range events {
		fmt.Fprintf(&b, "  %+8.3fs  %s\n", e.at.Sub(start).Seconds(), e.what)
	}
	return b.String()
}

// failureEvents folds failed requests into one event per burst: failures of
// one cause less than 100 ms apart.
func failureEvents(failures []loadgen.Failure) []event {
	failures = slices.Clone(failures)
	slices.SortFunc(failures, func(a, b loadgen.Failure) int { return a.At.Compare(b.At) })
	var out []event
	var first, last time.Time
	cause, n := "", 0
	flush := func() {
		switch {
		case n == 1:
			out = append(out, event{first, fmt.Sprintf("FAILED 1 request (%s)", cause)})
		case n > 1:
			out = append(out, event{first, fmt.Sprintf("FAILED %d requests (%s) within %.3fs", n, cause, last.Sub(first).Seconds())})
		}
	}
	for _, f := range failures {
		if f.Cause == cause && f.At.Sub(last) < 100*time.Millisecond {
			last, n = f.At, n+1
			continue
		}
		flush()
		first, last, cause, n = f.At, f.At, f.Cause, 1
	}
	flush()
	return out
}
