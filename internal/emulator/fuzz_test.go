package emulator

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzQueryAPI sends random Query-protocol requests to the emulator's
// handler in process. Whatever arrives, the emulator answers in AWS's
// shape: a 2xx with an XML result, or an AWS error document; never a
// panic, never a broken document.
func FuzzQueryAPI(f *testing.F) {
	f.Add("Action=DescribeTargetGroups&Version=2015-12-01")
	f.Add("Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=arn%3Aaws%3Aelasticloadbalancing%3Aus-east-1%3A123456789012%3Atargetgroup%2Fx%2F0123456789abcdef&Targets.member.1.Id=10.0.0.1&Targets.member.1.Port=80")
	f.Add("Action=CreateTargetGroup&Version=2015-12-01&Name=web&Protocol=HTTP&Port=80&VpcId=vpc-1&TargetType=ip&HealthCheckIntervalSeconds=-5")
	f.Add("Action=Describe%FFTags&Version=2015-12-01")
	f.Add("Action=DescribeTags&Version=2015-12-01&ResourceArns.member.1=arn&ResourceArns.member.30=arn")
	f.Add("%zz&&==")
	emu, err := New(Config{Throttle: Throttle{Disabled: true}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = emu.Close() })
	h := emu.Handler()
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=00")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		out, _ := io.ReadAll(rec.Result().Body)
		d := xml.NewDecoder(strings.NewReader(string(out)))
		var root string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("status %d: response is not XML (%v): %q", rec.Code, err, out)
			}
			if se, ok := tok.(xml.StartElement); ok && root == "" {
				root = se.Name.Local
			}
		}
		switch {
		case rec.Code >= 200 && rec.Code < 300:
			if !strings.HasSuffix(root, "Response") {
				t.Fatalf("status %d with root <%s>", rec.Code, root)
			}
		case rec.Code >= 400 && rec.Code < 600:
			if root != "ErrorResponse" {
				t.Fatalf("status %d with root <%s>, want an ErrorResponse: %q", rec.Code, root, out)
			}
		default:
			t.Fatalf("status %d", rec.Code)
		}
	})
}
