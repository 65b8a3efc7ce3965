package scenario

import (
	"slices"
	"time"
)

// stepKind is one kind of EndpointSlice change in a rolling update.
type stepKind string

const (
	stepAdd       stepKind = "add"       // new pods' endpoints appear, not ready
	stepReady     stepKind = "ready"     // some new endpoints turn ready
	stepTerminate stepKind = "terminate" // as many old endpoints start terminating
	stepRemove    stepKind = "remove"    // a wave's terminated endpoints go away
)

// rolloutStep is one scheduled change.
type rolloutStep struct {
	At    time.Duration
	Kind  stepKind
	Wave  int
	Count int
}

// rolloutTiming is how a pod of the rollout behaves.
type rolloutTiming struct {
	// ReadyAfter: a new pod turns ready this long after it appears.
	ReadyAfter time.Duration
	// ReadySpread: a wave's pods turn ready spread over this long, in
	// batches of at most Batch endpoints per write.
	ReadySpread time.Duration
	Batch       int
	// RemoveAfter: a terminating endpoint is removed this long after it
	// started terminating (the pod's shutdown).
	RemoveAfter time.Duration
}

// defaultRolloutTiming: pods ready ~1 s after they appear, within a
// second of each other, written in batches of 10 as the EndpointSlice
// controller coalesces close updates, and gone 3 s after termination.
var defaultRolloutTiming = rolloutTiming{ReadyAfter: time.Second, ReadySpread: time.Second, Batch: 10, RemoveAfter: 3 * time.Second}

// rolloutPlan schedules a Deployment rolling update of total pods with
// maxSurge surge (a fraction, rounded up as Kubernetes rounds maxSurge)
// and maxUnavailable 0, spread over d: each wave adds surge new pods;
// as each batch of them turns ready, as many old pods start terminating
// (maxUnavailable 0 keeps total ready pods at least total); they are
// removed RemoveAfter later. The waves start evenly spaced so that the last
// wave's old pods are removed at d. Steps are ordered by time; a terminate step
// follows the ready step it answers.
func rolloutPlan(total int, surge float64, d time.Duration, tm rolloutTiming) []rolloutStep {
	if total <= 0 {
		return nil
	}
	wave := int(float64(total)*surge + 0.999999)
	wave = max(1, wave)
	waves := (total + wave - 1) / wave
	// Waves start evenly so that the last wave's pods are gone at d.
	tail := tm.ReadyAfter + tm.ReadySpread + tm.RemoveAfter
	var period time.Duration
	if waves > 1 {
		period = max(d-tail, 0) / time.Duration(waves-1)
	}
	var steps []rolloutStep
	for w := range waves {
		n := min(wave, total-w*wave)
		t := time.Duration(w) * period
		steps = append(steps, rolloutStep{At: t, Kind: stepAdd, Wave: w, Count: n})
		batches := (n + tm.Batch - 1) / tm.Batch
		gap := tm.ReadySpread / time.Duration(batches)
		for b := range batches {
			c := min(tm.Batch, n-b*tm.Batch)
			at := t + tm.ReadyAfter + time.Duration(b)*gap
			steps = append(steps,
				rolloutStep{At: at, Kind: stepReady, Wave: w, Count: c},
				rolloutStep{At: at, Kind: stepTerminate, Wave: w, Count: c})
		}
		steps = append(steps, rolloutStep{At: t + tm.ReadyAfter + tm.ReadySpread + tm.RemoveAfter, Kind: stepRemove, Wave: w, Count: n})
	}
	slices.SortStableFunc(steps, func(a, b rolloutStep) int { return int(a.At - b.At) })
	return steps
}
