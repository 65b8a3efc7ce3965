package emulator

import (
	"fmt"
	"net/http"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// Error codes ELBv2 answers with. Each is a 400 "Sender" error; see the SDK's
// response snapshots for the codes and the ELBv2 API reference for when they
// are used.
func errValidation(format string, args ...any) *query.Error {
	return query.SenderError("ValidationError", fmt.Sprintf(format, args...))
}

func errTargetGroupNotFound(format string, args ...any) *query.Error {
	return query.SenderError("TargetGroupNotFound", fmt.Sprintf(format, args...))
}

func errLoadBalancerNotFound(format string, args ...any) *query.Error {
	return query.SenderError("LoadBalancerNotFound", fmt.Sprintf(format, args...))
}

func errListenerNotFound(format string, args ...any) *query.Error {
	return query.SenderError("ListenerNotFound", fmt.Sprintf(format, args...))
}

func errInvalidTarget(format string, args ...any) *query.Error {
	return query.SenderError("InvalidTarget", fmt.Sprintf(format, args...))
}

func errTooManyTargets(format string, args ...any) *query.Error {
	return query.SenderError("TooManyTargets", fmt.Sprintf(format, args...))
}

func errDuplicateTargetGroupName(name string) *query.Error {
	return query.SenderError("DuplicateTargetGroupName", fmt.Sprintf("A target group with the same name '%s' exists, but with different settings", name))
}

func errResourceInUse(format string, args ...any) *query.Error {
	return query.SenderError("ResourceInUse", fmt.Sprintf(format, args...))
}

// errThrottling is what ELB answers when a token bucket is empty: code
// Throttling, message "Rate exceeded", HTTP 400
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/userguide/elb-api-throttling.html).
func errThrottling() *query.Error {
	return query.SenderError("Throttling", "Rate exceeded")
}

func errMissingAuth() *query.Error {
	return &query.Error{Status: http.StatusForbidden, Type: "Sender", Code: "MissingAuthenticationToken", Message: "Request is missing Authentication Token"}
}

func errInternal(err error) *query.Error {
	return &query.Error{Status: http.StatusInternalServerError, Type: "Receiver", Code: "InternalFailure", Message: "The emulator failed to process the request: " + err.Error()}
}

// paramError turns a malformed parameter into a ValidationError.
func paramError(err error) *query.Error {
	return errValidation("%s", err.Error())
}
