package binding

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// eventLog is a changeEvents whose Events and timers the test holds.
type eventLog struct {
	e      *changeEvents
	clock  *clocktesting.FakePassiveClock
	notes  []string
	timers []func()
}

func newEventLog() *eventLog {
	l := &eventLog{clock: clocktesting.NewFakePassiveClock(t0)}
	l.e = newChangeEvents(l.clock, func(obj runtime.Object, reason, action, note string) {
		l.notes = append(l.notes, reason+" "+obj.(*v1alpha1.TargetGroupBinding).Name+": "+note)
	})
	l.e.after = func(d time.Duration, f func()) {
		if d <= 0 || d > changeEventInterval {
			panic("summary scheduled " + d.String() + " ahead")
		}
		l.timers = append(l.timers, f)
	}
	return l
}

// fire runs the scheduled summaries at the end of the interval.
func (l *eventLog) fire() {
	l.clock.SetTime(l.clock.Now().Add(changeEventInterval))
	ts := l.timers
	l.timers = nil
	for _, f := range ts {
		f()
	}
}

func registered(ips ...string) change {
	var ts []targets.Target
	for _, ip := range ips {
		ts = append(ts, target(ip+":80"))
	}
	return change{reason: "Registered", action: "RegisterTargets", verb: "registered", prep: "in", arn: arnA, targets: ts}
}

func deregistered(ips ...string) change {
	c := registered(ips...)
	c.reason, c.action, c.verb, c.prep = "Deregistered", "DeregisterTargets", "deregistered", "from"
	return c
}

func TestChangeEvents(t *testing.T) {
	web := &v1alpha1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}}
	api := &v1alpha1.TargetGroupBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}}
	cases := map[string]struct {
		run  func(l *eventLog)
		want []string
	}{
		"the first change of a quiet binding is announced at once": {
			run:  func(l *eventLog) { l.e.record(web, registered("10.0.0.1")) },
			want: []string{"Registered web: registered 1 targets in " + arnA + ": 10.0.0.1:80"},
		},
		"changes within the interval become one Event at its end, newest targets first": {
			run: func(l *eventLog) {
				l.e.record(web, registered("10.0.0.1"))
				l.clock.SetTime(l.clock.Now().Add(time.Second))
				l.e.record(web, registered("10.0.0.2"))
				l.e.record(web, registered("10.0.0.3", "10.0.0.4"))
				if len(l.notes) != 1 {
					panic("a change within the interval was announced at once")
				}
				l.fire()
			},
			want: []string{
				"Registered web: registered 1 targets in " + arnA + ": 10.0.0.1:80",
				"Registered web: registered 3 targets in " + arnA + " in 2 calls over the last 10s: 10.0.0.3:80, 10.0.0.4:80, 10.0.0.2:80",
			},
		},
		"a change after a quiet interval is announced at once again": {
			run: func(l *eventLog) {
				l.e.record(web, registered("10.0.0.1"))
				l.clock.SetTime(l.clock.Now().Add(changeEventInterval))
				l.e.record(web, registered("10.0.0.2"))
			},
			want: []string{
				"Registered web: registered 1 targets in " + arnA + ": 10.0.0.1:80",
				"Registered web: registered 1 targets in " + arnA + ": 10.0.0.2:80",
			},
		},
		"registrations and deregistrations, and bindings, are summed up apart": {
			run: func(l *eventLog) {
				l.e.record(web, registered("10.0.0.1"))
				l.e.record(web, deregistered("10.0.0.9"))
				l.e.record(api, registered("10.0.1.1"))
			},
			want: []string{
				"Registered web: registered 1 targets in " + arnA + ": 10.0.0.1:80",
				"Deregistered web: deregistered 1 targets from " + arnA + ": 10.0.0.9:80",
				"Registered api: registered 1 targets in " + arnA + ": 10.0.1.1:80",
			},
		},
		"a summary names ten targets and counts the rest": {
			run: func(l *eventLog) {
				l.e.record(web, registered("10.0.0.1"))
				for i := range 12 {
					l.e.record(web, registered(fmt.Sprintf("10.0.1.%d", i+1)))
				}
				l.fire()
			},
			want: []string{
				"Registered web: registered 1 targets in " + arnA + ": 10.0.0.1:80",
				"Registered web: registered 12 targets in " + arnA + " in 12 calls over the last 10s: " +
					"10.0.1.12:80, 10.0.1.11:80, 10.0.1.10:80, 10.0.1.9:80, 10.0.1.8:80, 10.0.1.7:80, 10.0.1.6:80, 10.0.1.5:80, 10.0.1.4:80, 10.0.1.3:80 and 2 more",
			},
		},
		"a deleted binding's pending summary is never sent": {
			run: func(l *eventLog) {
				l.e.record(web, registered("10.0.0.1"))
				l.e.record(web, registered("10.0.0.2"))
				l.e.forget(bindingKey(web))
				l.fire()
			},
			want: []string{"Registered web: registered 1 targets in " + arnA + ": 10.0.0.1:80"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			l := newEventLog()
			tc.run(l)
			if got := strings.Join(l.notes, "\n"); got != strings.Join(tc.want, "\n") {
				t.Errorf("Events:\n%s\nwant:\n%s", got, strings.Join(tc.want, "\n"))
			}
		})
	}
}
