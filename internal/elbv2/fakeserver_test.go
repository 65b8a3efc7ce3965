package elbv2

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

// fakeELB answers the five ELBv2 actions tgc calls in the AWS Query
// protocol (form-encoded POST, XML answer), so the tests exercise the real
// SDK's serialization, retries and error decoding over HTTP.
type fakeELB struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	groups map[string]*fakeGroup // by ARN
	calls  []fakeCall
	// failures are answered, in order, instead of serving requests whose
	// action matches (or any action when Action is empty).
	failures []fakeFailure
}

type fakeGroup struct {
	name    string
	delay   int
	targets map[string]bool // "ip:port"
}

type fakeCall struct {
	Action  string
	Targets int
}

type fakeFailure struct {
	Action string
	Status int
	Code   string
	// Skip lets this many matching requests through before failing one.
	Skip int
}

func newFakeELB(t *testing.T) *fakeELB {
	f := &fakeELB{t: t, groups: map[string]*fakeGroup{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeELB) addGroup(arn, name string, delaySeconds int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[arn] = &fakeGroup{name: name, delay: delaySeconds, targets: map[string]bool{}}
}

// fail makes the next n requests for action (any action when empty) fail.
func (f *fakeELB) fail(action string, n, status int, code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for range n {
		f.failures = append(f.failures, fakeFailure{Action: action, Status: status, Code: code})
	}
}

func (f *fakeELB) callsOf(action string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if c.Action == action {
			out = append(out, c)
		}
	}
	return out
}

func (f *fakeELB) members(arn string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.groups[arn].targets {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// client returns an SDK client built by NewClient, pointed at the fake
// through the SDK's own endpoint variable, with static credentials.
func (f *fakeELB) client(t *testing.T, o Options) *elb.Client {
	t.Helper()
	t.Setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", f.srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	if o.MaxBackoff == 0 {
		o.MaxBackoff = time.Millisecond
	}
	c, err := NewClient(context.Background(), o)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func (f *fakeELB) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	action := r.PostForm.Get("Action")
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") {
		f.t.Errorf("%s request is not SigV4-signed", action)
	}
	ts := formTargets(r.PostForm)

	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fakeCall{Action: action, Targets: len(ts)})
	for i, fl := range f.failures {
		if fl.Action == "" || fl.Action == action {
			if fl.Skip > 0 {
				f.failures[i].Skip--
				break
			}
			f.failures = append(f.failures[:i], f.failures[i+1:]...)
			writeError(w, fl.Status, fl.Code, "injected "+fl.Code)
			return
		}
	}

	var body bytes.Buffer
	switch action {
	case "DescribeTargetGroups":
		var found []string
		for _, arn := range formList(r.PostForm, "TargetGroupArns") {
			if f.groups[arn] != nil {
				found = append(found, arn)
			}
		}
		for _, name := range formList(r.PostForm, "Names") {
			for arn, g := range f.groups {
				if g.name == name {
					found = append(found, arn)
				}
			}
		}
		if len(found) == 0 {
			writeError(w, 400, "TargetGroupNotFound", "One or more target groups not found")
			return
		}
		body.WriteString("<TargetGroups>")
		for _, arn := range found {
			fmt.Fprintf(&body, "<member><TargetGroupArn>%s</TargetGroupArn><TargetGroupName>%s</TargetGroupName>"+
				"<Protocol>HTTP</Protocol><Port>80</Port><VpcId>vpc-0</VpcId><TargetType>ip</TargetType><IpAddressType>ipv4</IpAddressType>"+
				"<LoadBalancerArns><member>arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/lb/1</member></LoadBalancerArns></member>",
				esc(arn), esc(f.groups[arn].name))
		}
		body.WriteString("</TargetGroups>")
	case "DescribeTargetGroupAttributes":
		g := f.group(w, r)
		if g == nil {
			return
		}
		fmt.Fprintf(&body, "<Attributes><member><Key>stickiness.enabled</Key><Value>false</Value></member>"+
			"<member><Key>deregistration_delay.timeout_seconds</Key><Value>%d</Value></member></Attributes>", g.delay)
	case "DescribeTargetHealth":
		g := f.group(w, r)
		if g == nil {
			return
		}
		asked := ts
		if len(asked) == 0 {
			for k := range g.targets {
				asked = append(asked, k)
			}
			sort.Strings(asked)
		}
		body.WriteString("<TargetHealthDescriptions>")
		for _, k := range asked {
			i := strings.LastIndex(k, ":")
			ip, port := k[:i], k[i+1:]
			state, reason := "healthy", ""
			if !g.targets[k] {
				state, reason = "unused", "<Reason>Target.NotRegistered</Reason>"
			}
			fmt.Fprintf(&body, "<member><Target><Id>%s</Id><Port>%s</Port></Target><TargetHealth><State>%s</State>%s</TargetHealth></member>",
				esc(ip), port, state, reason)
		}
		body.WriteString("</TargetHealthDescriptions>")
	case "RegisterTargets", "DeregisterTargets":
		g := f.group(w, r)
		if g == nil {
			return
		}
		for _, k := range ts {
			if action == "RegisterTargets" {
				g.targets[k] = true
			} else {
				delete(g.targets, k)
			}
		}
	default:
		writeError(w, 400, "InvalidAction", "unknown action "+action)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	fmt.Fprintf(w, `<%sResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><%sResult>%s</%sResult>`+
		`<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></%sResponse>`, action, action, body.String(), action, action)
}

func (f *fakeELB) group(w http.ResponseWriter, r *http.Request) *fakeGroup {
	g := f.groups[r.PostForm.Get("TargetGroupArn")]
	if g == nil {
		writeError(w, 400, "TargetGroupNotFound", "Target groups '"+r.PostForm.Get("TargetGroupArn")+"' not found")
	}
	return g
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"><Error><Type>Sender</Type>`+
		`<Code>%s</Code><Message>%s</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`, esc(code), esc(msg))
}

// formList reads a Query-protocol list: Name.member.1, Name.member.2, ...
func formList(form map[string][]string, name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// formTargets reads Targets.member.N.Id/Port as "ip:port" keys.
func formTargets(form map[string][]string) []string {
	var out []string
	for i := 1; ; i++ {
		p := "Targets.member." + strconv.Itoa(i) + "."
		id, ok := form[p+"Id"]
		if !ok {
			return out
		}
		port := ""
		if v := form[p+"Port"]; len(v) > 0 {
			port = v[0]
		}
		out = append(out, id[0]+":"+port)
	}
}

func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
