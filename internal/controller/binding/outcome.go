package binding

import (
	"errors"
	"fmt"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/api/v1alpha1"
	"github.com/tgc-dev/targetgroupcontroller/internal/elbv2"
	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// awsFailure classifies an AWS error; a group AWS says is gone is dropped
// from the cache so that a recreated group is read afresh.
func (p *Planner) awsFailure(tgb *v1alpha1.TargetGroupBinding, err error, arn string) *failure {
	if errors.Is(err, elbv2.ErrTargetGroupNotFound) {
		if v, f := p.view(tgb); f == nil {
			v.Forget(arn)
		}
	}
	return classifyAWS(err, arn)
}

// failure is a reason a sync could not finish. It says what the user sees
// (Ready condition reason and message) and how tgc retries.
type failure struct {
	reason  string
	message string
	// badInput failures need the user (or AWS-side change) to fix something:
	// they are retried on the slow bad-input interval, never hot-looped, and
	// any change to the binding, Service or slices retries at once.
	badInput bool
	err      error
}

func (f *failure) Error() string { return f.reason + ": " + f.message }
func (f *failure) Unwrap() error { return f.err }

func badInput(reason, format string, args ...any) *failure {
	return &failure{reason: reason, message: fmt.Sprintf(format, args...), badInput: true}
}

// classifyAWS turns an error from the elbv2 boundary into a failure with a
// message that says what to do about it.
func classifyAWS(err error, arn string) *failure {
	var f *failure
	if errors.As(err, &f) {
		return f
	}
	if f := assumeRoleFailure(err); f != nil {
		return f
	}
	detail := err.Error()
	var apiErr *elbv2.APIError
	if errors.As(err, &apiErr) {
		detail = apiErr.Code + ": " + apiErr.Message
	}
	switch {
	case errors.Is(err, elbv2.ErrTargetGroupNotFound):
		return &failure{reason: v1alpha1.ReasonTargetGroupNotFound, badInput: true, err: err,
			message: fmt.Sprintf("target group %s does not exist (%s); create it or fix the binding's targetGroupARN/targetGroupName", arn, detail)}
	case errors.Is(err, elbv2.ErrAccessDenied):
		return &failure{reason: v1alpha1.ReasonAccessDenied, badInput: true, err: err,
			message: fmt.Sprintf("AWS denied a call on %s (%s); grant the controller's IAM role the actions in aws/policy.json", arn, detail)}
	case errors.Is(err, elbv2.ErrValidation):
		return &failure{reason: v1alpha1.ReasonInvalidARN, badInput: true, err: err,
			message: fmt.Sprintf("AWS rejected the request for %s (%s); check the binding's targetGroupARN", arn, detail)}
	case errors.Is(err, elbv2.ErrTooManyTargets):
		return &failure{reason: v1alpha1.ReasonTooManyTargets, badInput: true, err: err,
			message: fmt.Sprintf("target group %s is at its target quota (%s); raise the ELBv2 quota or split the Service", arn, detail)}
	case errors.Is(err, elbv2.ErrThrottled):
		return &failure{reason: v1alpha1.ReasonThrottled, err: err,
			message: fmt.Sprintf("AWS throttled calls on %s beyond the retries (%s); tgc backs off and retries", arn, detail)}
	}
	return &failure{reason: v1alpha1.ReasonAWSError, err: err,
		message: fmt.Sprintf("calling AWS failed: %v; tgc retries with backoff", err)}
}

// fromProblem maps a problem in the binding's Kubernetes input onto a failure.
func fromProblem(p *targets.Problem) *failure {
	reason := string(p.Reason)
	switch p.Reason {
	case targets.ReasonServiceNotFound:
		reason = v1alpha1.ReasonServiceNotFound
	case targets.ReasonServicePortNotFound:
		reason = v1alpha1.ReasonPortNotFound
	case targets.ReasonIPFamilyMismatch:
		reason = v1alpha1.ReasonIPFamilyMismatch
	case targets.ReasonNoNodePort:
		reason = v1alpha1.ReasonNoNodePort
	}
	return &failure{reason: reason, message: p.Message, badInput: true, err: p}
}

// jitter spreads periodic work of many bindings over up to 10% more time so
// that drift checks do not all hit AWS in the same second.
func jitter(d time.Duration, r float64) time.Duration {
	return d + time.Duration(float64(d)*0.1*r)
}
