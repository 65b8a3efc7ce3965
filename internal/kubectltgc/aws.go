package kubectltgc

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"k8s.io/utils/clock"

	"github.com/tgc-dev/targetgroupcontroller/internal/controller/targetgroups"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// errReadOnly is what a write through the boundary returns. No command
// plans a write; this makes sure none can reach AWS, whatever the user's
// credentials allow.
var errReadOnly = errors.New("kubectl tgc never writes to AWS")

// readOnly is the ELBv2 boundary with its writes cut off.
type readOnly struct{ elbv2.TargetGroups }

func (readOnly) Register(context.Context, string, []targets.Target, elbv2.Write) error {
	return errReadOnly
}

func (readOnly) Deregister(context.Context, string, []targets.Target, elbv2.Write) error {
	return errReadOnly
}

// loadAWS loads the user's AWS configuration, the SDK's standard one
// unless the caller gives its own.
func loadAWS(ctx context.Context, region string, load func(context.Context, string) (aws.Config, error)) (aws.Config, error) {
	if load == nil {
		load = func(ctx context.Context, region string) (aws.Config, error) {
			return elbv2.LoadConfig(ctx, elbv2.Options{Region: region})
		}
	}
	return load(ctx, region)
}

// awsTargetGroups is the read-only boundary over the user's AWS
// configuration. It checks the credentials first, so that a user without
// any learns it in one line rather than from the first call's error.
func awsTargetGroups(ctx context.Context, region string, load func(context.Context, string) (aws.Config, error)) (aws.Config, elbv2.TargetGroups, error) {
	cfg, err := loadAWS(ctx, region, load)
	if err != nil {
		return cfg, nil, &exitCode{exitError, fmt.Errorf("%w; kubectl tgc reads target health from AWS with your standard AWS configuration (set AWS_REGION, or --region)", err)}
	}
	if cfg.Credentials == nil {
		return cfg, nil, noCredentials(errors.New("no credentials provider"))
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return cfg, nil, noCredentials(err)
	}
	return cfg, readOnly{elbv2.NewSDK(elb.NewFromConfig(cfg))}, nil
}

// views gives each binding's identity a read-only view of its own: a
// binding with spec.iamRoleArnToAssume is read with that role, assumed
// with the user's credentials as the controller assumes it with its own,
// so the user needs sts:AssumeRole on it and its trust policy must allow
// them.
func views(cfg aws.Config, own elbv2.TargetGroups, clk clock.PassiveClock) *targetgroups.Views {
	readOnlyStack := func(t elbv2.TargetGroups) elbv2.TargetGroups { return readOnly{t} }
	accounts := elbv2.NewAccounts(elbv2.AccountsConfig{Own: own, Region: cfg.Region, Assume: elbv2.SDKAssumer(cfg, elbv2.Options{}, readOnlyStack)})
	return targetgroups.NewViews(accounts, clk, targetgroups.Config{})
}

func noCredentials(err error) error {
	return &exitCode{exitError, fmt.Errorf("no usable AWS credentials (%v): kubectl tgc reads target health from AWS with your standard AWS credentials; set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run aws sso login", err)}
}
