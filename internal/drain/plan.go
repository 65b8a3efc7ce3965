package drain

import (
	"fmt"
	"maps"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
)

// Margins are what the preStop and grace period add to the delay.
type Margins struct {
	// Propagation is how long the load balancer keeps sending new
	// requests to a target after its deregistration: users measured about
	// 10 s on ALB, minutes on NLB.
	Propagation time.Duration
	// Shutdown is the app's own time to end after SIGTERM, which the
	// kubelet sends once the preStop has returned.
	Shutdown time.Duration
	// MaxPreStop caps the sleep.
	MaxPreStop time.Duration
}

// Source is one binding that selects the pod and opted in to drain sizing.
type Source struct {
	Binding     string
	ServicePort corev1.ServicePort
	// Delay is the binding's recorded deregistration delay; nil while the
	// controller has not read it yet.
	Delay *time.Duration
}

// Problem is why a binding could not size the pod's drain, or a warning
// about what it found. Every problem is told to the user with an Event on
// the binding.
type Problem struct {
	Binding string
	Reason  string
	Message string
}

// Reasons of Problems.
const (
	// ReasonNoDelayRecorded: the binding has no deregistration delay in its
	// status yet, so the pod is admitted unchanged.
	ReasonNoDelayRecorded = "DrainDelayUnknown"
	// ReasonNoServingContainer: the Service's targetPort names no
	// container port of the pod.
	ReasonNoServingContainer = "DrainNoServingContainer"
	// ReasonPreStopTooShort: the serving container has its own preStop,
	// shorter than the deregistration delay.
	ReasonPreStopTooShort = "PreStopTooShort"
)

// Plan is what to do to the pod.
type Plan struct {
	// PreStop maps container indexes to the sleep they get.
	PreStop map[int]int64
	// Grace is the pod's new terminationGracePeriodSeconds; nil keeps it.
	Grace *int64
	// Record is the annotation's content; nil when nothing is done.
	Record *v1alpha1.DrainRecord
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return p.Record == nil }

// defaultGrace is the API's default terminationGracePeriodSeconds.
const defaultGrace = 30

// Decide sizes the pod's drain from the sources: every serving container
// without a preStop sleeps the largest delay plus the propagation margin
// (capped), and the grace period is raised to that sleep plus the shutdown
// margin, never lowered. A pod with an unknown delay among its sources is
// left unchanged, since its largest delay is not known.
func Decide(pod *corev1.Pod, sources []Source, m Margins) (Plan, []Problem) {
	var problems []Problem
	var delay time.Duration
	var bindings []string
	serving := map[int]bool{}
	for _, s := range sources {
		if s.Delay == nil {
			problems = append(problems, Problem{Binding: s.Binding, Reason: ReasonNoDelayRecorded,
				Message: fmt.Sprintf("TargetGroupBinding %s has no deregistration delay recorded yet (status.deregistrationDelaySeconds), so the pod is admitted without a preStop or a longer grace period; pods created after the binding's first sync get them", s.Binding)})
			continue
		}
		i, err := ServingContainer(&pod.Spec, s.ServicePort)
		if err != nil {
			problems = append(problems, Problem{Binding: s.Binding, Reason: ReasonNoServingContainer, Message: err.Error()})
			continue
		}
		serving[i] = true
		bindings = append(bindings, s.Binding)
		delay = max(delay, *s.Delay)
	}
	if len(serving) == 0 || hasReason(problems, ReasonNoDelayRecorded) {
		return Plan{}, problems
	}
	slices.Sort(bindings)
	sleep := min(delay+m.Propagation, m.MaxPreStop)
	sleepSecs := ceilSeconds(sleep)
	plan := Plan{PreStop: map[int]int64{}}
	rec := &v1alpha1.DrainRecord{Bindings: bindings, DeregistrationDelaySeconds: int32(ceilSeconds(delay))}
	for _, i := range slices.Sorted(maps.Keys(serving)) {
		c := &pod.Spec.Containers[i]
		rec.Containers = append(rec.Containers, c.Name)
		if own, has, known := PreStopDuration(c); has {
			rec.OwnPreStop = true
			if known && own < delay {
				problems = append(problems, Problem{Binding: bindings[0], Reason: ReasonPreStopTooShort,
					Message: fmt.Sprintf("container %s has its own preStop of %s, shorter than the target group's deregistration delay of %s; tgc leaves it alone. Lengthen it to at least %s, or remove it to have tgc size it", c.Name, own, delay, sleep)})
			}
			continue
		}
		plan.PreStop[i] = sleepSecs
	}
	grace := int64(defaultGrace)
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = *g
	}
	rec.TerminationGracePeriodSeconds = grace
	if len(plan.PreStop) > 0 {
		rec.PreStopSeconds = sleepSecs
		if need := sleepSecs + ceilSeconds(m.Shutdown); need > grace {
			plan.Grace = &need
			rec.TerminationGracePeriodSeconds = need
		}
	}
	plan.Record = rec
	return plan, problems
}

func hasReason(ps []Problem, reason string) bool {
	return slices.ContainsFunc(ps, func(p Problem) bool { return p.Reason == reason })
}

func ceilSeconds(d time.Duration) int64 {
	return int64((d + time.Second - 1) / time.Second)
}
