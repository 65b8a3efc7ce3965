package elbv2

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Options configures the ELBv2 client.
type Options struct {
	// Region overrides the region from the environment (AWS_REGION) or the
	// shared config. The client needs one of the two.
	Region string
	// MaxAttempts is how many times one API call is tried in total when
	// AWS throttles it or answers 5xx. Zero means DefaultMaxAttempts.
	MaxAttempts int
	// MaxBackoff caps the jittered exponential wait between attempts. Zero
	// means the SDK's default of 20s.
	MaxBackoff time.Duration
	// Observer, if set, is told about every attempt of every call, which is
	// how retries and throttles get counted (see Metrics).
	Observer AttemptObserver
	// Throttles, if set, learns of each throttled attempt as it comes
	// back, before the SDK's backoff, so that the rate limiter slows down
	// while the call is still retrying (RateLimiter implements it).
	Throttles ThrottleObserver
	// Fence, if set, is asked before every attempt of a write; a closed
	// fence abandons the write without sending it (see Fence).
	Fence Fence
}

// DefaultMaxAttempts is higher than the SDK's 3 because ELBv2 throttles in
// bursts during rollouts of many Services, and giving up early only moves
// the retry into the controller's workqueue, where it costs a full resync.
const DefaultMaxAttempts = 5

// Attempt is the outcome of one HTTP attempt of an AWS API call.
type Attempt struct {
	// Code is the AWS error code, empty on success; "Transport" when no
	// answer arrived.
	Code string
	// Throttled tells whether AWS throttled the attempt.
	Throttled bool
}

// AttemptObserver learns about the attempts behind each API call.
type AttemptObserver interface {
	// ObserveAttempts is called once per API call, with every attempt in
	// order; more than one attempt means the SDK retried.
	ObserveAttempts(operation string, attempts []Attempt)
}

// ThrottleObserver learns which operations AWS throttles.
type ThrottleObserver interface {
	// Throttled is called once per throttled attempt of operation, an
	// ELBv2 action name.
	Throttled(operation string)
}

// NewClient builds the ELBv2 client from the SDK's standard configuration:
// credentials from the environment, shared config and credentials files,
// web identity (IRSA) or EKS Pod Identity, in the SDK's order; the endpoint
// from AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2 or the shared config's
// endpoint_url, when set.
//
// Throttling and 5xx answers are retried by the SDK's standard retryer with
// jittered exponential backoff. Its client-side retry quota is turned off:
// tgc paces its calls with its own token buckets (WithRateLimits), and the
// quota would otherwise fail calls outright after a throttling storm drained
// it, which is exactly when tgc needs to keep converging.
func NewClient(ctx context.Context, o Options) (*elb.Client, error) {
	cfg, err := LoadConfig(ctx, o)
	if err != nil {
		return nil, err
	}
	return NewClientFromConfig(cfg, o), nil
}

// NewClientFromConfig is NewClient on a configuration already loaded.
func NewClientFromConfig(cfg aws.Config, o Options) *elb.Client {
	return elb.NewFromConfig(cfg, func(eo *elb.Options) {
		if o.Observer != nil {
			eo.APIOptions = append(eo.APIOptions, observeAttempts(o.Observer))
		}
		if o.Throttles != nil {
			eo.APIOptions = append(eo.APIOptions, observeThrottles(o.Throttles))
		}
		if o.Fence != nil {
			eo.APIOptions = append(eo.APIOptions, fenceWrites(o.Fence))
		}
	})
}

// LoadConfig loads the SDK's standard configuration with tgc's retries, as
// NewClient does, for a caller that checks it before building a client.
func LoadConfig(ctx context.Context, o Options) (aws.Config, error) {
	attempts := o.MaxAttempts
	if attempts == 0 {
		attempts = DefaultMaxAttempts
	}
	if attempts < 1 {
		return aws.Config{}, fmt.Errorf("max attempts must be at least 1, got %d", o.MaxAttempts)
	}
	loaders := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = attempts
				if o.MaxBackoff > 0 {
					so.MaxBackoff = o.MaxBackoff
				}
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if o.Region != "" {
		loaders = append(loaders, config.WithRegion(o.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loaders...)
	if err != nil {
		return aws.Config{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		return aws.Config{}, errors.New("no AWS region: set --region or AWS_REGION")
	}
	return cfg, nil
}

// observeAttempts adds a middleware that runs once per operation, outside
// the retry loop, and reports the attempt results the retry middleware
// records in the call's metadata. The metadata comes back on failure too, so
// throttles that outlived the retries are counted as well.
func observeAttempts(obs AttemptObserver) func(*middleware.Stack) error {
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	mw := middleware.InitializeMiddlewareFunc("tgcObserveAttempts", func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleInitialize(ctx, in)
		results, ok := retry.GetAttemptResults(md)
		if !ok {
			return out, md, err
		}
		attempts := make([]Attempt, 0, len(results.Results))
		for _, r := range results.Results {
			a := Attempt{}
			if r.Err != nil {
				a.Code = "Transport"
				var ae smithy.APIError
				if errors.As(r.Err, &ae) {
					a.Code = ae.ErrorCode()
				}
				a.Throttled = throttles.IsErrorThrottle(r.Err) == aws.TrueTernary
			}
			attempts = append(attempts, a)
		}
		obs.ObserveAttempts(middleware.GetOperationName(ctx), attempts)
		return out, md, err
	})
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(mw, middleware.After)
	}
}

// observeThrottles adds a middleware inside the retry loop, so that it sees
// each attempt's answer as it arrives; observeAttempts runs only once the
// SDK gave up or succeeded, which after a few backoffs can be seconds late.
func observeThrottles(obs ThrottleObserver) func(*middleware.Stack) error {
	throttles := retry.IsErrorThrottles(retry.DefaultThrottles)
	mw := middleware.FinalizeMiddlewareFunc("tgcObserveThrottles", func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleFinalize(ctx, in)
		if err != nil && throttles.IsErrorThrottle(err) == aws.TrueTernary {
			obs.Throttled(middleware.GetOperationName(ctx))
		}
		return out, md, err
	})
	return func(s *middleware.Stack) error {
		return s.Finalize.Insert(mw, (&retry.Attempt{}).ID(), middleware.After)
	}
}
