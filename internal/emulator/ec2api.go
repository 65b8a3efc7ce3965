package emulator

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// The EC2 API shares the emulator's endpoint: point the SDK at it with
// AWS_ENDPOINT_URL_EC2. A request is EC2's when its SigV4 credential scope
// names the ec2 service (the SDK signs every call), or, unsigned scope
// aside, when it asks for EC2's API version; ELBv2 and EC2 share action
// names (DescribeTags), so the action alone cannot tell.

func (e *Emulator) ec2Actions() map[string]handlerFunc {
	return map[string]handlerFunc{
		"DescribeVpcs":           e.describeVpcs,
		"DescribeSecurityGroups": e.describeSecurityGroups,
	}
}

func isEC2Request(r *http.Request, p query.Params) bool {
	switch signingService(r) {
	case "ec2":
		return true
	case "":
		return p.String("Version") == query.EC2Version
	}
	return false
}

// signingService reads the service of the SigV4 credential scope.
func signingService(r *http.Request) string {
	if scope := credentialScope(r); len(scope) == 5 {
		return scope[3]
	}
	return ""
}

// credentialScope splits the SigV4 credential scope,
// AKID/date/region/service/aws4_request, from the Authorization header or
// a presigned URL; nil when the request carries none.
func credentialScope(r *http.Request) []string {
	cred := r.URL.Query().Get("X-Amz-Credential")
	if cred == "" {
		_, after, ok := strings.Cut(r.Header.Get("Authorization"), "Credential=")
		if !ok {
			return nil
		}
		cred, _, _ = strings.Cut(after, ",")
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return nil
	}
	return parts
}

// serveEC2 answers one EC2 call and returns the result for the call log.
// EC2 calls are neither throttled nor subject to injected faults: those
// model ELBv2's behaviour, which is what tgc's tests exercise.
func (e *Emulator) serveEC2(w http.ResponseWriter, p query.Params, actions map[string]handlerFunc, reqID string) string {
	fail := func(qe *query.Error) string {
		query.WriteEC2Error(w, qe, reqID)
		return qe.Code
	}
	action := p.String("Action")
	if action == "" {
		return fail(errEC2("MissingAction", "The request must contain the parameter Action"))
	}
	handler, ok := actions[action]
	if !ok {
		// "The action or operation requested is not valid" (EC2 error codes).
		return fail(errEC2("InvalidAction", fmt.Sprintf("The action %s is not valid for this web service.", action)))
	}
	// The VPCs are configuration, read-only: no lock.
	result, qe := handler(p)
	if qe != nil {
		return fail(qe)
	}
	body, err := query.EncodeEC2Result(action, result, reqID)
	if err != nil {
		return fail(errInternal(err))
	}
	query.WriteResult(w, body, reqID)
	return "OK"
}
