package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// handlerFunc serves one action. It returns the XML result (nil for an empty
// one) or an AWS error.
type handlerFunc func(p query.Params) (any, *query.Error)

// maxRequestBody bounds a request; a RegisterTargets of 1,000 targets is
// well under 200 KiB.
const maxRequestBody = 8 << 20

func (e *Emulator) actions() map[string]handlerFunc {
	return map[string]handlerFunc{
		"CreateTargetGroup":             e.createTargetGroup,
		"DescribeTargetGroups":          e.describeTargetGroups,
		"DeleteTargetGroup":             e.deleteTargetGroup,
		"ModifyTargetGroup":             e.modifyTargetGroup,
		"ModifyTargetGroupAttributes":   e.modifyTargetGroupAttributes,
		"DescribeTargetGroupAttributes": e.describeTargetGroupAttributes,
		"RegisterTargets":               e.registerTargets,
		"DeregisterTargets":             e.deregisterTargets,
		"DescribeTargetHealth":          e.describeTargetHealth,
		"AddTags":                       e.addTags,
		"RemoveTags":                    e.removeTags,
		"DescribeTags":                  e.describeTags,
		"CreateLoadBalancer":            e.createLoadBalancer,
		"DescribeLoadBalancers":         e.describeLoadBalancers,
		"DeleteLoadBalancer":            e.deleteLoadBalancer,
		"CreateListener":                e.createListener,
		"DescribeListeners":             e.describeListeners,
		"ModifyListener":                e.modifyListener,
		"DeleteListener":                e.deleteListener,
	}
}

// services are the actions each emulated service answers.
type services struct {
	elbv2, ec2 map[string]handlerFunc
}

// routes builds the mux: the Query API of ELBv2 and of EC2 at "/", control
// under /_emulator/, Prometheus metrics at /metrics.
func (e *Emulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	svc := services{elbv2: e.actions(), ec2: e.ec2Actions()}
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { e.serveAPI(w, r, svc) }))
	e.controlRoutes(mux)
	mux.Handle("/metrics", e.metrics.handler())
	return mux
}

func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// actionLabel is the metric label of an action: its name when one of the
// APIs has it, else one value for every unknown one. The Action parameter
// is the caller's free text: as a label it could be invalid UTF-8, which
// makes the Prometheus client panic, and each new value would add a series
// forever.
func actionLabel(action string, svc services) string {
	if _, ok := svc.elbv2[action]; ok {
		return action
	}
	if _, ok := svc.ec2[action]; ok {
		return action
	}
	return "unknown"
}

// serveAPI decodes one Query request, applies auth, throttling and faults,
// runs the action and records the call.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request, svc services) {
	reqID := newRequestID()
	start := e.clock.Now()
	call := Call{Time: start}
	defer func() {
		if rec := recover(); rec != nil {
			e.log.Error(fmt.Errorf("%v", rec), "panic serving API call", "action", call.Action)
			qe := errInternal(fmt.Errorf("%v", rec))
			call.Result = qe.Code
			query.WriteError(w, qe, reqID)
		}
		call.Duration = e.clock.Since(start)
		if call.Action != "" {
			e.calls.add(call)
			e.metrics.observeCall(actionLabel(call.Action, svc), call.Result)
		}
	}()
	fail := func(qe *query.Error) {
		call.Result = qe.Code
		query.WriteError(w, qe, reqID)
	}

	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		fail(&query.Error{Status: http.StatusMethodNotAllowed, Type: "Sender", Code: "InvalidAction", Message: "The Query API accepts POST and GET only"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
	if err := r.ParseForm(); err != nil {
		fail(query.SenderError("MalformedQueryString", "Could not parse the request parameters: "+err.Error()))
		return
	}
	r.Form.Del(callerAccountParam)
	params := query.NewParams(r.Form)
	call.Action = params.String("Action")
	call.TargetGroupARN = params.String("TargetGroupArn")
	call.AccessKeyID = accessKeyID(r)
	if carriesTargets(call.Action) {
		call.TargetIDs = e.callTargetIDs(params, call.TargetGroupARN)
		call.Targets = len(call.TargetIDs)
	}
	if qe := checkSignature(r); qe != nil {
		fail(qe)
		return
	}
	account, qe := e.callerAccount(r)
	if qe != nil {
		fail(qe)
		return
	}
	call.Account = account
	r.Form.Set(callerAccountParam, account)
	if isSTSRequest(r, params) {
		call.Role = params.String("RoleArn")
		call.Result = e.serveSTS(w, params, reqID)
		return
	}
	if isEC2Request(r, params) {
		call.Result = e.serveEC2(w, params, svc.ec2, reqID)
		return
	}
	if call.Action == "" {
		fail(query.SenderError("MissingAction", "Request is missing the Action parameter"))
		return
	}
	handler, ok := svc.elbv2[call.Action]
	if version := params.String("Version"); !ok || version != query.Version {
		fail(query.SenderError("InvalidAction", fmt.Sprintf("Could not find operation %s for version %s", call.Action, version)))
		return
	}
	if qe := foreignResource(params, account); qe != nil {
		fail(qe)
		return
	}
	if !e.throt.allow(call.Action) {
		fail(errThrottling())
		return
	}
	delay, injected := e.faults.decide(call.Action)
	if delay > 0 {
		select {
		case <-e.clock.After(delay):
		case <-r.Context().Done():
			fail(errInternal(r.Context().Err()))
			return
		}
	}
	if injected != nil {
		fail(injected)
		return
	}

	result, qe := handler(params)
	if qe != nil {
		fail(qe)
		return
	}
	body, err := query.EncodeResult(call.Action, result, reqID)
	if err != nil {
		fail(errInternal(err))
		return
	}
	call.Result = "OK"
	query.WriteResult(w, body, reqID)
}

// checkSignature accepts any request that carries a SigV4 signature, in the
// Authorization header or presigned in the query, without verifying it: the
// emulator has no credentials to check against.
func checkSignature(r *http.Request) *query.Error {
	if r.URL.Query().Get("X-Amz-Signature") != "" {
		return nil
	}
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return errMissingAuth()
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 ") || !strings.Contains(auth, "Credential=") || !strings.Contains(auth, "Signature=") {
		return query.SenderError("IncompleteSignature", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' with the AWS4-HMAC-SHA256 algorithm")
	}
	return nil
}

// now is the emulator's current time.
func (e *Emulator) now() time.Time { return e.clock.Now() }
