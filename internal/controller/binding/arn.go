package binding

import (
	"fmt"
	"regexp"
)

// targetGroupARN matches the documented ELBv2 target group ARN:
// arn:<partition>:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>.
// The id is hex; its length is not fixed here so that ARNs from other ELBv2
// implementations (emulators, LocalStack) pass.
var targetGroupARN = regexp.MustCompile(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]{1,32}/[0-9a-f]+$`)

// validateARN catches a malformed ARN before any AWS call, so the user gets
// a precise message instead of AWS's generic ValidationError.
func validateARN(arn string) error {
	if !targetGroupARN.MatchString(arn) {
		return fmt.Errorf("%q is not a target group ARN; expected arn:aws:elasticloadbalancing:<region>:<account-id>:targetgroup/<name>/<id>", arn)
	}
	return nil
}
