package integration

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"sync"
)

// denyProxy sits between the controller and the emulator and answers
// AccessDenied, as IAM would, for the actions a test denies on a target
// group. The emulator has no IAM; this keeps the AWS error on the wire, so
// the SDK's own error parsing is exercised.
type denyProxy struct {
	srv  *httptest.Server
	mu   sync.Mutex
	deny map[string]map[string]bool // target group ARN -> action -> denied
}

func newDenyProxy(target string) (*denyProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("parsing emulator URL %q: %w", target, err)
	}
	p := &denyProxy{deny: map[string]map[string]bool{}}
	rp := httputil.NewSingleHostReverseProxy(u)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		action := form.Get("Action")
		arn := form.Get("TargetGroupArn")
		if arn == "" {
			arn = form.Get("TargetGroupArns.member.1")
		}
		if p.denied(arn, action) {
			w.Header().Set("Content-Type", "text/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::123456789012:assumed-role/tgc/test is not authorized to perform: elasticloadbalancing:%s on resource: %s because no identity-based policy allows the elasticloadbalancing:%s action</Message></Error><RequestId>00000000-0000-0000-0000-000000000000</RequestId></ErrorResponse>`, action, arn, action)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	return p, nil
}

func (p *denyProxy) URL() string { return p.srv.URL }
func (p *denyProxy) Close()      { p.srv.Close() }

// Deny makes the proxy refuse these actions on the target group.
func (p *denyProxy) Deny(arn string, actions ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.deny[arn] == nil {
		p.deny[arn] = map[string]bool{}
	}
	for _, a := range actions {
		p.deny[arn][a] = true
	}
}

// Allow lifts every denial on the target group.
func (p *denyProxy) Allow(arn string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.deny, arn)
}

func (p *denyProxy) denied(arn, action string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.deny[arn][action]
}
