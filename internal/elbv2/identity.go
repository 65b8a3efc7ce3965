package elbv2

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Identity is whose credentials a binding's ELBv2 calls use: a role to
// assume, with the external ID its trust policy asks for, or, when RoleARN
// is empty, the controller's own.
//
// The external ID is part of the identity, not a detail of it: credentials
// are cached per Identity, so a binding with a wrong or missing external ID
// never rides on the session another binding's right one opened. Caching by
// role alone is the confused deputy that external IDs exist to prevent (AWS
// Load Balancer Controller #4656, fixed in #4659).
type Identity struct {
	RoleARN    string
	ExternalID string
}

// roleARN is an IAM role ARN; its fifth field is the role's account.
var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(\d{12}):role/`)

// Account is the account of the role, which is where its calls count
// against AWS's API limits; empty for the controller's own identity.
func (i Identity) Account() string {
	m := roleARN.FindStringSubmatch(i.RoleARN)
	if m == nil {
		return ""
	}
	return m[1]
}

// AssumeRoleError is STS refusing to let tgc assume a role. It is bad
// input, not an AWS outage: the role's trust policy or the binding's
// external ID needs fixing.
type AssumeRoleError struct {
	Identity Identity
	// Code is STS's error code (AccessDenied, ValidationError), "" when no
	// answer came.
	Code string
	Err  error
}

func (e *AssumeRoleError) Error() string {
	return fmt.Sprintf("assuming role %s: %v", e.Identity.RoleARN, e.Err)
}

func (e *AssumeRoleError) Unwrap() error { return e.Err }

// Assumer builds the TargetGroups of an assumed role, paced by limiter.
type Assumer func(id Identity, limiter *RateLimiter) (TargetGroups, error)

// Accounts hands out the TargetGroups of each identity, built once and
// kept, each paced by the token buckets of its account and Region: AWS
// counts API calls per account, so one account's throttling storm must not
// slow the bindings of another.
type Accounts struct {
	cfg AccountsConfig

	mu       sync.Mutex
	byID     map[Identity]TargetGroups
	limiters map[string]*RateLimiter
}

// AccountsConfig is what Accounts builds from.
type AccountsConfig struct {
	// Own is the controller's own stack, paced by OwnLimiter, served for
	// the empty identity.
	Own        TargetGroups
	OwnLimiter *RateLimiter
	// OwnAccount is the controller's own account when known
	// (--aws-account-id): a role of that account shares OwnLimiter, as AWS
	// counts both against one account. Empty gives every role's account
	// buckets of its own.
	OwnAccount string
	Region     string
	// Limits and Observe build each further account's limiter.
	Limits  Limits
	Observe func(account string) LimitObserver
	// Assume builds an assumed role's stack; nil refuses every role.
	Assume Assumer
}

// NewAccounts serves the identities of cfg.
func NewAccounts(cfg AccountsConfig) *Accounts {
	return &Accounts{cfg: cfg, byID: map[Identity]TargetGroups{}, limiters: map[string]*RateLimiter{}}
}

// For returns the TargetGroups of id.
func (a *Accounts) For(id Identity) (TargetGroups, error) {
	if id.RoleARN == "" {
		return a.cfg.Own, nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if tgs, ok := a.byID[id]; ok {
		return tgs, nil
	}
	if a.cfg.Assume == nil {
		return nil, fmt.Errorf("role %s: this controller cannot assume roles", id.RoleARN)
	}
	tgs, err := a.cfg.Assume(id, a.limiter(id.Account()))
	if err != nil {
		return nil, err
	}
	a.byID[id] = tgs
	return tgs, nil
}

// limiter is the account's limiter, one per account and Region. Callers
// hold a.mu.
func (a *Accounts) limiter(account string) *RateLimiter {
	if account == a.cfg.OwnAccount && a.cfg.OwnLimiter != nil {
		return a.cfg.OwnLimiter
	}
	key := account + "/" + a.cfg.Region
	l, ok := a.limiters[key]
	if !ok {
		var obs LimitObserver
		if a.cfg.Observe != nil {
			obs = a.cfg.Observe(account)
		}
		l = NewRateLimiter(a.cfg.Limits, obs)
		a.limiters[key] = l
	}
	return l
}

// SDKAssumer builds assumed roles' clients from base, the controller's own
// configuration: the SDK's AssumeRole provider, with the external ID when
// there is one, behind a credentials cache that renews the session before
// it expires. STS is found by the standard endpoint resolution
// (AWS_ENDPOINT_URL_STS). Each client is built as the controller's own is,
// from o (attempts counted, writes fenced), but tells its own limiter about
// throttles; decorate adds the metrics.
func SDKAssumer(base aws.Config, o Options, decorate func(TargetGroups) TargetGroups) Assumer {
	stsClient := sts.NewFromConfig(base)
	return func(id Identity, limiter *RateLimiter) (TargetGroups, error) {
		provider := stscreds.NewAssumeRoleProvider(stsClient, id.RoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "tgc-" + fmt.Sprint(time.Now().Unix())
			if id.ExternalID != "" {
				o.ExternalID = aws.String(id.ExternalID)
			}
		})
		cfg := base.Copy()
		cfg.Credentials = aws.NewCredentialsCache(provider)
		opts := o
		opts.Throttles = limiter
		client := NewClientFromConfig(cfg, opts)
		// The group is in the role's account, the pods in the cluster's
		// VPC: IP targets need their zones placed (zones.go).
		sdk := NewSDK(client).WithZones(ec2.NewFromConfig(cfg))
		return limiter.Wrap(decorate(&assumed{TargetGroups: sdk, id: id, creds: cfg.Credentials})), nil
	}
}

// assumed checks that the role's credentials can be had before each call,
// so that a refused AssumeRole surfaces as an *AssumeRoleError naming the
// role rather than as an access error on the target group. The credentials
// cache answers from memory while the session lasts.
type assumed struct {
	TargetGroups
	id    Identity
	creds aws.CredentialsProvider
}

func (a *assumed) check(ctx context.Context) error {
	if _, err := a.creds.Retrieve(ctx); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		ae := &AssumeRoleError{Identity: a.id, Err: err}
		var api smithy.APIError
		if errors.As(err, &api) {
			ae.Code = api.ErrorCode()
		}
		return ae
	}
	return nil
}

func (a *assumed) TargetGroupPage(ctx context.Context, marker string) ([]TargetGroup, string, error) {
	if err := a.check(ctx); err != nil {
		return nil, "", err
	}
	return a.TargetGroups.TargetGroupPage(ctx, marker)
}

func (a *assumed) DescribeTargetGroup(ctx context.Context, arn string) (TargetGroup, error) {
	if err := a.check(ctx); err != nil {
		return TargetGroup{}, err
	}
	return a.TargetGroups.DescribeTargetGroup(ctx, arn)
}

func (a *assumed) FindTargetGroupByName(ctx context.Context, name string) (TargetGroup, error) {
	if err := a.check(ctx); err != nil {
		return TargetGroup{}, err
	}
	return a.TargetGroups.FindTargetGroupByName(ctx, name)
}

func (a *assumed) DeregistrationDelay(ctx context.Context, arn string, p Priority) (time.Duration, error) {
	if err := a.check(ctx); err != nil {
		return 0, err
	}
	return a.TargetGroups.DeregistrationDelay(ctx, arn, p)
}

func (a *assumed) Tags(ctx context.Context, arn string) (map[string]string, error) {
	if err := a.check(ctx); err != nil {
		return nil, err
	}
	return a.TargetGroups.Tags(ctx, arn)
}

func (a *assumed) TargetHealth(ctx context.Context, arn string, p Priority) ([]targets.Health, error) {
	if err := a.check(ctx); err != nil {
		return nil, err
	}
	return a.TargetGroups.TargetHealth(ctx, arn, p)
}

func (a *assumed) Register(ctx context.Context, arn string, ts []targets.Target, w Write) error {
	if err := a.check(ctx); err != nil {
		return err
	}
	return a.TargetGroups.Register(ctx, arn, ts, w)
}

func (a *assumed) Deregister(ctx context.Context, arn string, ts []targets.Target, w Write) error {
	if err := a.check(ctx); err != nil {
		return err
	}
	return a.TargetGroups.Deregister(ctx, arn, ts, w)
}
