package claims

import (
	"strings"
	"testing"
)

// FuzzValidateARN checks the ARN shape check (ValidateARN) against anything a user could
// put in spec.targetGroupARN: it never panics, and what it accepts is a
// target group ARN of ELBv2, with its six colon-separated fields.
func FuzzValidateARN(f *testing.F) {
	for _, s := range []string{
		"arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067",
		"arn:aws-us-gov:elasticloadbalancing:us-gov-west-1:123456789012:targetgroup/a/73e2d6bc24d8a067",
		"arn:aws:elasticloadbalancing:us-west-2:123456789012:loadbalancer/app/x/73e2d6bc24d8a067",
		"arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/a/73e2d6bc24d8a067\n",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arn string) {
		if ValidateARN(arn) != nil {
			return
		}
		fields := strings.Split(arn, ":")
		if len(fields) != 6 || fields[0] != "arn" || fields[2] != "elasticloadbalancing" || !strings.HasPrefix(fields[1], "aws") {
			t.Fatalf("accepted %q, which is not an ELBv2 ARN", arn)
		}
		res := strings.Split(fields[5], "/")
		if len(res) != 3 || res[0] != "targetgroup" || res[1] == "" || res[2] == "" {
			t.Fatalf("accepted %q, whose resource is not targetgroup/<name>/<id>", arn)
		}
		if strings.ContainsAny(arn, " \t\r\n") {
			t.Fatalf("accepted %q with white space", arn)
		}
		parsed, err := ParseARN(arn)
		if err != nil || parsed.Region != fields[3] || parsed.Account != fields[4] || parsed.Name != res[1] {
			t.Fatalf("ParseARN(%q) = %+v, %v; want the fields ValidateARN accepted", arn, parsed, err)
		}
	})
}
