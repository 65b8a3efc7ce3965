package elbv2

import "time"

// The control law that adapts a bucket's rate to throttling (AIMD, as TCP
// adapts its window to loss): a throttled answer means the account's
// bucket at AWS is empty, because other tools spend it too, so tgc halves
// its share at once; without throttles it probes back up slowly to the
// configured rate.
const (
	// cutFactor halves the rate: other callers' demand is unknown, and
	// halving is the largest cut that still converges to a fair share
	// when they adapt the same way (the AWS SDKs' adaptive retry mode
	// cuts by 0.7; tgc's calls are cheaper to delay than to retry).
	cutFactor = 0.5
	// cutCoolDown lets one throttling episode cut once. The calls that
	// drew the throttles were paced at the old rate, and the SDK retries
	// them after jittered backoffs of up to a second or two, so more
	// throttles arrive right after a cut that say nothing new about it.
	cutCoolDown = 2 * time.Second
	// floorFraction and minRate keep some pace in a throttling storm: a
	// deregistration must still reach AWS within seconds, and the SDK's
	// retries already back off per call.
	floorFraction = 0.1
	minRate       = 0.5
	// recoverPerSecond is the fraction of the configured rate regained
	// each second without throttles: from half to full rate in 10 s. Other
	// tools' bursts (a Terraform apply, another controller's rollout) last
	// seconds to minutes; a faster probe would run into them again after
	// every cool-down.
	recoverPerSecond = 0.05
)

// pace is a bucket's adapted rate.
type pace struct {
	rate float64   // tokens a second now
	at   time.Time // when rate was last brought up to date
	cut  time.Time // the last cut; zero before the first
}

// paceEvent is what the control law reacts to.
type paceEvent int

const (
	// paceTick brings the rate up to date: it recovers with time.
	paceTick paceEvent = iota
	// paceThrottled is a throttled answer from AWS.
	paceThrottled
)

// nextPace is the control law: the rate at now, given the configured rate,
// the pace so far and what happened. It is pure, so that its tables are its
// specification.
func nextPace(configured float64, p pace, ev paceEvent, now time.Time) pace {
	if p.at.IsZero() {
		p = pace{rate: configured, at: now}
	}
	if dt := now.Sub(p.at); dt > 0 {
		p.rate = min(configured, p.rate+recoverPerSecond*configured*dt.Seconds())
		p.at = now
	}
	if ev == paceThrottled && (p.cut.IsZero() || now.Sub(p.cut) >= cutCoolDown) {
		p.rate = max(floor(configured), p.rate*cutFactor)
		p.cut = now
	}
	return p
}

// floor is the lowest rate a cut leaves: a tenth of the configured rate,
// at least minRate, never above the configured rate.
func floor(configured float64) float64 {
	return min(configured, max(configured*floorFraction, minRate))
}
