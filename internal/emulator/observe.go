package emulator

import (
	"fmt"
	"net"
	"net/url"
	"strconv"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/query"
)

// ObserveTargetHealth answers what DescribeTargetHealth of the whole group
// would answer at this moment, as "id:port" -> state, without entering
// the call log or taking a token from the throttle buckets. It exists for
// a harness that watches a group every few milliseconds while it measures
// a controller: polling through the API would spend the Describe bucket
// the controller is measured against and add the harness's own calls to
// the controller's counts.
func (e *Emulator) ObserveTargetHealth(tgARN string) (map[string]string, error) {
	out, qe := e.describeTargetHealth(query.NewParams(url.Values{"TargetGroupArn": {tgARN}}))
	if qe != nil {
		return nil, fmt.Errorf("observing target health of %s: %s: %s", tgARN, qe.Code, qe.Message)
	}
	descs := out.(xmlTargetHealthDescriptions).TargetHealthDescriptions
	states := make(map[string]string, len(descs))
	for _, d := range descs {
		states[net.JoinHostPort(d.Target.ID, strconv.Itoa(int(d.Target.Port)))] = d.TargetHealth.State
	}
	return states, nil
}
