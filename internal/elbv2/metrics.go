package elbv2

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Metrics holds tgc's ELBv2 metrics. It decorates a TargetGroups (Decorate)
// and observes the SDK's attempts (pass it as Options.Observer to NewClient).
//
// Operation labels are ELBv2 API action names: DescribeTargetGroups,
// DescribeTargetGroupAttributes, DescribeTargetHealth, DescribeTags,
// RegisterTargets, DeregisterTargets.
//
// Counted per call of the decorated TargetGroups (a call may be several AWS
// requests: batches, attributes, SDK retries):
//
//   - tgc_aws_api_calls_total{operation,result}: calls, result "success" or
//     "error". DescribeTargetGroup and FindTargetGroupByName count as
//     DescribeTargetGroups.
//   - tgc_aws_api_errors_total{operation,code}: failed calls by the AWS
//     error code of the final failure ("Canceled" when the caller's context
//     ended, "Other" when AWS sent no code, e.g. a connection error).
//   - tgc_aws_api_call_duration_seconds{operation}: call latency, including
//     SDK retries and their backoff but not waiting for a rate-limit token
//     when decorated inside WithRateLimits.
//   - tgc_targets_registered_total, tgc_targets_deregistered_total: targets
//     AWS accepted in RegisterTargets / DeregisterTargets calls, including
//     the batches that succeeded before a later batch failed.
//
// Counted per AWS request attempt, only when the Metrics is Options.Observer:
//
//   - tgc_aws_api_throttles_total{operation}: attempts AWS answered with a
//     throttling error (Throttling and the other codes the SDK treats as
//     throttles), whether or not a retry then succeeded.
//   - tgc_aws_api_retries_total{operation}: attempts beyond the first.
//
// Observed per call that got its client-side rate-limit tokens, only when
// the Metrics is the WaitObserver of WithRateLimits:
//
//   - tgc_aws_rate_limit_wait_seconds{operation}: how long the call waited
//     for its tokens, zero when the bucket had them.
//
// Set per client-side bucket, only when the Metrics is the LimitObserver of
// the RateLimiter:
//
//   - tgc_aws_rate_limit_per_second{operation}: the bucket's current rate,
//     below --aws-*-rate while it adapts to throttling. Its operation is the
//     bucket's: RegisterTargets, DeregisterTargets or Describe (all the
//     Describe actions share one bucket).
type Metrics struct {
	calls        *prometheus.CounterVec
	errors       *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	throttles    *prometheus.CounterVec
	retries      *prometheus.CounterVec
	registered   prometheus.Counter
	deregistered prometheus.Counter
	waits        *prometheus.HistogramVec
	rates        *prometheus.GaugeVec
	accounts     accountMetrics
}

// NewMetrics creates the metrics and registers them with reg. Registering
// twice with one registry panics, as with prometheus.MustRegister: it is a
// wiring mistake, not a runtime condition.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		calls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_aws_api_calls_total",
			Help: "ELBv2 API calls by operation and result (success or error), after SDK retries.",
		}, []string{"operation", "result"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_aws_api_errors_total",
			Help: "Failed ELBv2 API calls by operation and AWS error code.",
		}, []string{"operation", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "tgc_aws_api_call_duration_seconds",
			Help:    "Latency of ELBv2 API calls, including SDK retries.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"operation"}),
		throttles: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_aws_api_throttles_total",
			Help: "ELBv2 API request attempts that AWS throttled, by operation.",
		}, []string{"operation"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tgc_aws_api_retries_total",
			Help: "ELBv2 API request attempts beyond the first, by operation.",
		}, []string{"operation"}),
		registered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tgc_targets_registered_total",
			Help: "Targets registered with RegisterTargets.",
		}),
		deregistered: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tgc_targets_deregistered_total",
			Help: "Targets deregistered with DeregisterTargets.",
		}),
		waits: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tgc_aws_rate_limit_wait_seconds",
			Help: "Time an ELBv2 call waited for its client-side rate-limit tokens (--aws-*-rate), by operation; zero when the bucket had them.",
			// Most calls find a token (the first bucket); a rollout of many
			// Services drains the 4/s register bucket and waits grow to
			// seconds or, across hundreds of bindings, minutes.
			Buckets: []float64{0.001, .01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"operation"}),
		rates: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "tgc_aws_rate_limit_per_second",
			Help: "Current rate of a client-side ELBv2 token bucket (--aws-*-rate, cut while AWS throttles with --aws-adaptive-rate-limits), by bucket.",
		}, []string{"operation"}),
		accounts: newAccountMetrics(),
	}
	reg.MustRegister(m.calls, m.errors, m.duration, m.throttles, m.retries, m.registered, m.deregistered, m.waits, m.rates, m.accounts.calls, m.accounts.waits)
	return m
}

// Decorate wraps next so that its calls are counted.
func (m *Metrics) Decorate(next TargetGroups) TargetGroups {
	return &measured{next: next, m: m}
}

// ObserveAttempts implements AttemptObserver.
func (m *Metrics) ObserveAttempts(operation string, attempts []Attempt) {
	for i, a := range attempts {
		if i > 0 {
			m.retries.WithLabelValues(operation).Inc()
		}
		if a.Throttled {
			m.throttles.WithLabelValues(operation).Inc()
		}
	}
}

// ObserveWait implements WaitObserver.
func (m *Metrics) ObserveWait(operation string, waited time.Duration) {
	m.waits.WithLabelValues(operation).Observe(waited.Seconds())
}

// ObserveRate implements RateObserver.
func (m *Metrics) ObserveRate(bucket string, perSecond float64) {
	m.rates.WithLabelValues(bucket).Set(perSecond)
}

func (m *Metrics) observe(op string, start time.Time, err error) {
	m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err == nil {
		m.calls.WithLabelValues(op, "success").Inc()
		return
	}
	m.calls.WithLabelValues(op, "error").Inc()
	m.errors.WithLabelValues(op, errorCode(err)).Inc()
}

func errorCode(err error) string {
	var ae *APIError
	switch {
	case errors.As(err, &ae):
		return ae.Code
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "Canceled"
	}
	return "Other"
}

// done is how many targets a Register or Deregister got through.
func done(ts []targets.Target, err error) int {
	if err == nil {
		return len(ts)
	}
	var pe *PartialError
	if errors.As(err, &pe) {
		return len(pe.Done)
	}
	return 0
}

type measured struct {
	next TargetGroups
	m    *Metrics
}

func (d *measured) DescribeTargetGroup(ctx context.Context, arn string) (TargetGroup, error) {
	start := time.Now()
	tg, err := d.next.DescribeTargetGroup(ctx, arn)
	d.m.observe("DescribeTargetGroups", start, err)
	return tg, err
}

func (d *measured) TargetGroupPage(ctx context.Context, marker string) ([]TargetGroup, string, error) {
	start := time.Now()
	page, next, err := d.next.TargetGroupPage(ctx, marker)
	d.m.observe("DescribeTargetGroups", start, err)
	return page, next, err
}

func (d *measured) DeregistrationDelay(ctx context.Context, arn string, p Priority) (time.Duration, error) {
	start := time.Now()
	delay, err := d.next.DeregistrationDelay(ctx, arn, p)
	d.m.observe("DescribeTargetGroupAttributes", start, err)
	return delay, err
}

func (d *measured) FindTargetGroupByName(ctx context.Context, name string) (TargetGroup, error) {
	start := time.Now()
	tg, err := d.next.FindTargetGroupByName(ctx, name)
	d.m.observe("DescribeTargetGroups", start, err)
	return tg, err
}

func (d *measured) Tags(ctx context.Context, arn string) (map[string]string, error) {
	start := time.Now()
	tags, err := d.next.Tags(ctx, arn)
	d.m.observe("DescribeTags", start, err)
	return tags, err
}

func (d *measured) TargetHealth(ctx context.Context, arn string, p Priority) ([]targets.Health, error) {
	start := time.Now()
	hs, err := d.next.TargetHealth(ctx, arn, p)
	d.m.observe("DescribeTargetHealth", start, err)
	return hs, err
}

func (d *measured) Register(ctx context.Context, arn string, ts []targets.Target, w Write) error {
	start := time.Now()
	err := d.next.Register(ctx, arn, ts, w)
	d.m.observe("RegisterTargets", start, err)
	d.m.registered.Add(float64(done(ts, err)))
	return err
}

func (d *measured) Deregister(ctx context.Context, arn string, ts []targets.Target, w Write) error {
	start := time.Now()
	err := d.next.Deregister(ctx, arn, ts, w)
	d.m.observe("DeregisterTargets", start, err)
	d.m.deregistered.Add(float64(done(ts, err)))
	return err
}
