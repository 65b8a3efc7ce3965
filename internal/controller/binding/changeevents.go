package binding

import (
	"fmt"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// changeEventInterval is how often a binding gets a Registered (or a
// Deregistered) Event while its targets keep changing.
const changeEventInterval = 10 * time.Second

// maxNamed is how many targets a summary names, newest first; it counts
// the rest.
const maxNamed = 10

// changeEvents sums up the Registered and Deregistered Events of each
// binding. The first change of a quiet binding is announced at once, so
// that a user watching it sees it at once; the changes that follow within
// the interval become one Event at its end, with their count. An Event is
// an API write that every Event watcher decodes, and a busy Service would
// otherwise get one per endpoint change.
type changeEvents struct {
	interval time.Duration
	clock    clock.PassiveClock
	// after runs f after d (time.AfterFunc); tests run it themselves.
	after func(d time.Duration, f func())
	emit  func(obj runtime.Object, reason, action, note string)

	mu sync.Mutex
	m  map[changeKey]*changeSummary
}

type changeKey struct {
	binding types.NamespacedName
	reason  string
}

// changeSummary is what a binding's next Event of one reason will say.
type changeSummary struct {
	sentAt time.Time
	// due: a summary is scheduled for the end of the interval.
	due bool
	obj runtime.Object
	// last is the latest change; recent its targets and those before,
	// newest first, as many as an Event names.
	last   change
	recent []targets.Target
	n      int
	calls  int
}

// change is one write's worth of an Event: "registered 3 targets in <arn>".
type change struct {
	reason, action string
	// verb and prep make the note: "registered ... in", "deregistered ... from".
	verb, prep string
	arn        string
	targets    []targets.Target
}

func newChangeEvents(clk clock.PassiveClock, emit func(obj runtime.Object, reason, action, note string)) *changeEvents {
	return &changeEvents{
		interval: changeEventInterval,
		clock:    clk,
		after:    func(d time.Duration, f func()) { time.AfterFunc(d, f) },
		emit:     emit,
		m:        map[changeKey]*changeSummary{},
	}
}

// record announces ch on tgb now, or adds it to the summary due at the end
// of the binding's interval.
func (e *changeEvents) record(tgb *v1alpha1.TargetGroupBinding, ch change) {
	key := changeKey{binding: bindingKey(tgb), reason: ch.reason}
	now := e.clock.Now()
	e.mu.Lock()
	s := e.m[key]
	if s == nil || (!s.due && now.Sub(s.sentAt) >= e.interval) {
		e.m[key] = &changeSummary{sentAt: now}
		e.mu.Unlock()
		e.emit(tgb, ch.reason, ch.action, fmt.Sprintf("%s %d targets %s %s: %s", ch.verb, len(ch.targets), ch.prep, ch.arn, targetList(ch.targets)))
		return
	}
	// What the Event's reference needs, copied: the summary goes out after
	// this sync's object has moved on.
	s.obj = &v1alpha1.TargetGroupBinding{TypeMeta: tgb.TypeMeta, ObjectMeta: metav1.ObjectMeta{
		Name: tgb.Name, Namespace: tgb.Namespace, UID: tgb.UID, ResourceVersion: tgb.ResourceVersion,
	}}
	s.last, s.n, s.calls = ch, s.n+len(ch.targets), s.calls+1
	s.recent = append(append([]targets.Target(nil), ch.targets...), s.recent...)
	s.recent = s.recent[:min(len(s.recent), maxNamed)]
	if !s.due {
		s.due = true
		e.after(s.sentAt.Add(e.interval).Sub(now), func() { e.flush(key) })
	}
	e.mu.Unlock()
}

// flush sends the summary of key's changes since its last Event.
func (e *changeEvents) flush(key changeKey) {
	e.mu.Lock()
	s := e.m[key]
	if s == nil || !s.due {
		e.mu.Unlock()
		return
	}
	obj, ch, n, calls, recent := s.obj, s.last, s.n, s.calls, s.recent
	*s = changeSummary{sentAt: e.clock.Now()}
	e.mu.Unlock()
	names := targetList(recent)
	if n > len(recent) {
		names = fmt.Sprintf("%s and %d more", names, n-len(recent))
	}
	e.emit(obj, ch.reason, ch.action, fmt.Sprintf("%s %d targets %s %s in %d calls over the last %s: %s",
		ch.verb, n, ch.prep, ch.arn, calls, e.interval, names))
}

// forget drops a deleted binding's summaries; a scheduled one finds
// nothing to send.
func (e *changeEvents) forget(key types.NamespacedName) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k := range e.m {
		if k.binding == key {
			delete(e.m, k)
		}
	}
}
