package scenario

import (
	"context"

	"github.com/tgc-dev/targetgroupcontroller/bench/sample"
)

// workSeries are the controller's own counts of the work a change causes:
// syncs, API writes (status patches, Events) and AWS calls. Read before and
// after a window, outside the CPU reading, they say what each change cost
// besides CPU.
var workSeries = map[string][]sample.Series{
	"reconciles": {
		`controller_runtime_reconcile_total{controller="targetgroupbinding",result="success"}`,
		`controller_runtime_reconcile_total{controller="targetgroupbinding",result="requeue_after"}`,
		`controller_runtime_reconcile_total{controller="targetgroupbinding",result="requeue"}`,
		`controller_runtime_reconcile_total{controller="targetgroupbinding",result="error"}`,
	},
	// Status patches, and the Event series' patches.
	"apiPatches": {`rest_client_requests_total{method="PATCH",code="200"}`},
	// Events, and any other create.
	"apiCreates":           {`rest_client_requests_total{method="POST",code="201"}`},
	"describeTargetHealth": {`tgc_aws_api_calls_total{operation="DescribeTargetHealth",result="success"}`},
	"registerTargets":      {`tgc_aws_api_calls_total{operation="RegisterTargets",result="success"}`},
	"deregisterTargets":    {`tgc_aws_api_calls_total{operation="DeregisterTargets",result="success"}`},
}

// workCounts reads workSeries; a failed scrape gives nil, and the figures
// are then left out.
func workCounts(ctx context.Context, c *controller) map[string]float64 {
	var want []sample.Series
	for _, ss := range workSeries {
		want = append(want, ss...)
	}
	m, err := c.scrape(ctx, want...)
	if err != nil {
		return nil
	}
	out := map[string]float64{}
	for name, ss := range workSeries {
		for _, s := range ss {
			out[name] += m[s]
		}
	}
	return out
}

// perChange is what each change cost between two readings of workCounts.
func perChange(before, after map[string]float64, changes int) map[string]float64 {
	if before == nil || after == nil || changes == 0 {
		return nil
	}
	out := map[string]float64{}
	for name := range workSeries {
		out[name] = (after[name] - before[name]) / float64(changes)
	}
	return out
}
