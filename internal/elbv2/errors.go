package elbv2

import (
	"errors"
	"fmt"

	"github.com/tgc-dev/targetgroupcontroller/internal/targets"
)

// Errors the controllers act on. The adapter maps AWS error codes onto them so
// that callers decide with errors.Is and never parse codes themselves.
var (
	// ErrTargetGroupNotFound: TargetGroupNotFound, or a name that resolves to nothing.
	ErrTargetGroupNotFound = errors.New("target group not found")
	// ErrAccessDenied: AccessDenied / UnauthorizedOperation; the IAM policy is missing an action.
	ErrAccessDenied = errors.New("access denied")
	// ErrInvalidTarget: InvalidTarget; AWS refused one or more targets of the call.
	ErrInvalidTarget = errors.New("invalid target")
	// ErrTooManyTargets: TooManyTargets; the group's target quota is reached.
	ErrTooManyTargets = errors.New("too many targets")
	// ErrThrottled: Throttling that outlived the retries.
	ErrThrottled = errors.New("throttled")
	// ErrValidation: ValidationError, e.g. a malformed ARN.
	ErrValidation = errors.New("validation error")
)

// APIError carries the AWS code and message behind one of the errors above,
// so Events and conditions can show users what AWS said.
type APIError struct {
	Op      string // SDK operation, e.g. "RegisterTargets"
	Code    string // AWS error code
	Message string
	Kind    error // one of the Err* values, or nil when the code is not one tgc acts on
}

func (e *APIError) Error() string {
	// The wrapping error names the operation and the target group.
	return e.Code + ": " + e.Message
}

// Is makes errors.Is(err, ErrTargetGroupNotFound) and friends work.
func (e *APIError) Is(target error) bool { return e.Kind != nil && e.Kind == target }

// PartialError reports a Register or Deregister that failed after some of its
// batches had succeeded. Done lists the targets AWS accepted, so the caller's
// cache and counters stay true; Err is the failure of the next batch.
type PartialError struct {
	Done []targets.Target
	Err  error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("%d targets done before failure: %v", len(e.Done), e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// KindOf returns the Err* value for an AWS error code, or nil when tgc does
// not act on the code. Codes come from the ELBv2 API reference's
// per-operation error lists plus the common errors every AWS Query API
// returns (AccessDenied, Throttling, ValidationError).
func KindOf(code string) error {
	switch code {
	case "TargetGroupNotFound":
		return ErrTargetGroupNotFound
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation":
		return ErrAccessDenied
	case "InvalidTarget":
		return ErrInvalidTarget
	case "TooManyTargets", "TooManyRegistrationsForTargetId":
		return ErrTooManyTargets
	case "Throttling", "ThrottlingException", "RequestLimitExceeded":
		return ErrThrottled
	case "ValidationError":
		return ErrValidation
	}
	return nil
}
