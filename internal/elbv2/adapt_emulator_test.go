package elbv2_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// contention is what one run of tgc against a second client saw.
type contention struct {
	throttled int           // tgc's attempts the emulator throttled
	landed    int           // tgc's registrations that succeeded
	converged time.Duration // from the start to the first second without a throttle; -1 for never
	perSecond []int         // tgc's throttled answers in each second of the run
	rates     []float64     // tgc's register rate at the end of each second
}

// throttleLog timestamps the throttles tgc's client sees and passes them on
// to the rate limiter, as the manager wires it.
type throttleLog struct {
	next elbv2.ThrottleObserver
	mu   sync.Mutex
	at   []time.Time
}

func (l *throttleLog) Throttled(operation string) {
	l.mu.Lock()
	l.at = append(l.at, time.Now())
	l.mu.Unlock()
	l.next.Throttled(operation)
}

// perSecond counts the throttles in each second from start.
func (l *throttleLog) perSecond(start time.Time, d time.Duration) []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := make([]int, int(d/time.Second))
	for _, at := range l.at {
		if i := int(at.Sub(start) / time.Second); i < len(n) {
			n[i]++
		}
	}
	return n
}

// gauge keeps the register bucket's rate as the rate limiter reports it.
type gauge struct {
	mu   sync.Mutex
	rate float64
}

func (g *gauge) ObserveWait(string, time.Duration) {}

func (g *gauge) ObserveRate(bucket string, perSecond float64) {
	if bucket == "RegisterTargets" {
		g.mu.Lock()
		g.rate = perSecond
		g.mu.Unlock()
	}
}

func (g *gauge) get() float64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.rate
}

// convergedAfter is the start of the first second after start in which no
// throttle came, or -1 when every second until end had one.
func (l *throttleLog) convergedAfter(start, end time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	for from := start; !from.Add(time.Second).After(end); from = from.Add(100 * time.Millisecond) {
		quiet := true
		for _, at := range l.at {
			if !at.Before(from) && at.Before(from.Add(time.Second)) {
				quiet = false
				break
			}
		}
		if quiet {
			return from.Sub(start)
		}
	}
	return -1
}

// contend runs tgc's registrations, paced at the emulator's full rate, for
// d while a second client with fixed pacing spends half the emulator's
// register tokens: the account's budget shared with another tool.
func contend(t *testing.T, adaptive bool, d time.Duration) contention {
	const awsRate, awsBurst = 20, 10
	limits := elbv2.Limits{Register: elbv2.Bucket{Rate: awsRate, Burst: awsBurst * 9 / 10}, Adaptive: adaptive}
	g := &gauge{}
	limiter := elbv2.NewRateLimiter(limits, g)
	log := &throttleLog{next: limiter}
	s := startEmulator(t, emulator.Throttle{Register: emulator.RateLimit{PerSecond: awsRate, Burst: awsBurst}},
		elbv2.Options{MaxAttempts: 3, MaxBackoff: 50 * time.Millisecond, Throttles: log})
	arn := s.group(t, "web")
	other, err := elbv2.NewClient(context.Background(), elbv2.Options{MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	otherTGs := elbv2.WithRateLimits(elbv2.NewSDK(other), elbv2.Limits{Register: elbv2.Bucket{Rate: awsRate / 2, Burst: 1}}, nil)
	tgc := limiter.Wrap(elbv2.NewSDK(s.client))

	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	landed := 0
	wg.Go(func() {
		for ctx.Err() == nil {
			_ = otherTGs.Register(ctx, arn, pods(1), elbv2.Write{}) // its throttles are its own
		}
	})
	// Four workers, as tgc's default --max-concurrent-reconciles, keep
	// tgc's bucket the only thing that paces it.
	for range 4 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if err := tgc.Register(ctx, arn, pods(1), elbv2.Write{}); err == nil {
					mu.Lock()
					landed++
					mu.Unlock()
				}
			}
		})
	}
	var rates []float64
	wg.Go(func() {
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for len(rates) < int(d/time.Second) {
			<-tick.C
			rates = append(rates, g.get())
		}
	})
	wg.Wait()
	end := time.Now()
	return contention{
		throttled: int(s.value(t, "tgc_aws_api_throttles_total", map[string]string{"operation": "RegisterTargets"})),
		landed:    landed,
		converged: log.convergedAfter(start, end),
		perSecond: log.perSecond(start, d),
		rates:     rates,
	}
}

// TestAdaptiveRateLimitsAtLeastHalveThrottlesUnderContention is the guard
// of --aws-adaptive-rate-limits against the emulator: with a second client
// spending half the account's register budget, tgc's client sees at most
// half the throttled answers it sees with fixed rates.
func TestAdaptiveRateLimitsAtLeastHalveThrottlesUnderContention(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two 8 s contention runs against the emulator")
	}
	const d = 8 * time.Second
	off := contend(t, false, d)
	on := contend(t, true, d)
	for name, c := range map[string]contention{"off": off, "on": on} {
		t.Logf("adaptation %s: %d throttled answers, %d registrations landed, first second without a throttle after %v; throttles a second %v; register rate at each second %.1f",
			name, c.throttled, c.landed, c.converged, c.perSecond, c.rates)
	}
	if off.throttled == 0 {
		t.Fatal("tgc saw no throttles with fixed rates; the second client did not contend")
	}
	if 2*on.throttled > off.throttled {
		t.Errorf("adaptation left %d throttled answers against %d without it; want at most half", on.throttled, off.throttled)
	}
}
