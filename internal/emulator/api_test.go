package emulator

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/config"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
)

func TestUnmodifiedSDKWorksThroughEndpointEnvironmentVariable(t *testing.T) {
	h := start(t)
	t.Setenv("AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2", h.emu.URL())
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "SECRET")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := elbv2.NewFromConfig(cfg)
	tg := h.group()
	out, err := c.DescribeTargetGroups(context.Background(), &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{*tg.TargetGroupArn}})
	if err != nil {
		t.Fatalf("DescribeTargetGroups through the environment endpoint: %v", err)
	}
	if len(out.TargetGroups) != 1 || *out.TargetGroups[0].TargetGroupName != *tg.TargetGroupName {
		t.Fatalf("got %+v, want the group just created", out.TargetGroups)
	}
}

// rawCall posts form values, signed with a syntactically valid (unverified)
// SigV4 header unless unsigned.
func rawCall(t *testing.T, endpoint string, form url.Values, unsigned bool) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !unsigned {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

type wireError struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ReqID   string   `xml:"RequestId"`
}

func TestBadRequestsGetAWSStyleErrors(t *testing.T) {
	h := start(t)
	cases := map[string]struct {
		form     url.Values
		unsigned bool
		status   int
		code     string
	}{
		"unsigned request is missing authentication":  {url.Values{"Action": {"DescribeTargetGroups"}, "Version": {"2015-12-01"}}, true, 403, "MissingAuthenticationToken"},
		"unknown action is an invalid action":         {url.Values{"Action": {"LaunchRockets"}, "Version": {"2015-12-01"}}, false, 400, "InvalidAction"},
		"wrong version is an invalid action":          {url.Values{"Action": {"DescribeTargetGroups"}, "Version": {"2012-06-01"}}, false, 400, "InvalidAction"},
		"missing action":                              {url.Values{"Version": {"2015-12-01"}}, false, 400, "MissingAction"},
		"non-integer parameter is a validation error": {url.Values{"Action": {"DescribeTargetGroups"}, "Version": {"2015-12-01"}, "PageSize": {"many"}}, false, 400, "ValidationError"},
		"malformed ARN is a validation error":         {url.Values{"Action": {"DescribeTargetHealth"}, "Version": {"2015-12-01"}, "TargetGroupArn": {"arn:nope"}}, false, 400, "ValidationError"},
		"unknown target group is not found": {url.Values{"Action": {"DescribeTargetHealth"}, "Version": {"2015-12-01"},
			"TargetGroupArn": {"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/nope/0123456789abcdef"}}, false, 400, "TargetGroupNotFound"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status, body := rawCall(t, h.emu.URL(), tc.form, tc.unsigned)
			var we wireError
			if err := xml.Unmarshal([]byte(body), &we); err != nil {
				t.Fatalf("body is not an ErrorResponse: %v\n%s", err, body)
			}
			if status != tc.status || we.Code != tc.code || we.Type != "Sender" || we.Message == "" || we.ReqID == "" {
				t.Fatalf("got %d %+v, want %d %s with type, message and request ID", status, we, tc.status, tc.code)
			}
		})
	}
}

func TestGarbageBodyNeverPanics(t *testing.T) {
	h := start(t)
	req, _ := http.NewRequest(http.MethodPost, h.emu.URL(), strings.NewReader("%zz&&=="))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=a, Signature=b")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 400 || !strings.Contains(string(body), "<ErrorResponse") {
		t.Fatalf("got %d %s, want a 400 ErrorResponse", resp.StatusCode, body)
	}
}

func TestResponsesCarryNamespaceAndRequestID(t *testing.T) {
	h := start(t)
	status, body := rawCall(t, h.emu.URL(), url.Values{"Action": {"DescribeTargetGroups"}, "Version": {"2015-12-01"}}, false)
	var doc struct {
		XMLName xml.Name
		ReqID   string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	if status != 200 || doc.XMLName.Local != "DescribeTargetGroupsResponse" ||
		doc.XMLName.Space != "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/" || doc.ReqID == "" {
		t.Fatalf("got %d %+v; want DescribeTargetGroupsResponse in the 2015-12-01 namespace with a request ID\n%s", status, doc, body)
	}
	if !strings.Contains(body, "<DescribeTargetGroupsResult>") {
		t.Fatalf("response lacks the Result wrapper:\n%s", body)
	}
}

func TestSDKErrorCarriesRequestID(t *testing.T) {
	h := start(t)
	_, err := h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"missing"}})
	h.wantCode(err, "TargetGroupNotFound")
	if !strings.Contains(err.Error(), "RequestID") {
		t.Fatalf("SDK error %q does not show the request ID", err)
	}
}

func TestAnActionThatIsNotValidUTF8GetsAnAWSErrorAndUnknownActionsShareOneSeries(t *testing.T) {
	h := start(t)
	status, body := rawCall(t, h.emu.URL(), url.Values{"Action": {"Describe\xffTags"}, "Version": {"2015-12-01"}}, false)
	if status != http.StatusBadRequest || !strings.Contains(body, "InvalidAction") {
		t.Fatalf("non-UTF-8 Action: %d %s, want 400 InvalidAction", status, body)
	}
	for i := range 50 {
		rawCall(t, h.emu.URL(), url.Values{"Action": {fmt.Sprintf("NoSuchAction%d", i)}, "Version": {"2015-12-01"}}, false)
	}
	families, err := h.emu.metrics.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "elbv2_emulator_api_calls_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "action" {
					actions[l.GetValue()] = true
				}
			}
		}
	}
	if len(actions) != 1 || !actions["unknown"] {
		t.Errorf("action label values after 51 unknown actions = %v, want only \"unknown\"", actions)
	}
}
