package measure

import (
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// Throttled is the result code ELB answers when a token bucket is empty.
const Throttled = "Throttling"

// Between returns the calls that started in [from, until); a zero until
// means no bound.
func Between(calls []emulator.Call, from, until time.Time) []emulator.Call {
	var out []emulator.Call
	for _, c := range calls {
		if c.Time.Before(from) || (!until.IsZero() && !c.Time.Before(until)) {
			continue
		}
		out = append(out, c)
	}
	return out
}

// IsDescribe reports whether an action only reads.
func IsDescribe(action string) bool { return strings.HasPrefix(action, "Describe") }

// CallCounts sums calls by kind. Attempts answered Throttling are counted
// in Throttled and in ByAction, like every attempt AWS saw.
type CallCounts struct {
	Total     int            `json:"total"`
	Mutating  int            `json:"mutating"`
	Describe  int            `json:"describe"`
	Throttled int            `json:"throttled"`
	Failed    int            `json:"failed"` // any other error answer
	ByAction  map[string]int `json:"byAction"`
}

// Count sums calls by kind.
func Count(calls []emulator.Call) CallCounts {
	cc := CallCounts{ByAction: map[string]int{}}
	for _, c := range calls {
		cc.Total++
		cc.ByAction[c.Action]++
		if IsDescribe(c.Action) {
			cc.Describe++
		} else {
			cc.Mutating++
		}
		switch c.Result {
		case "OK":
		case Throttled:
			cc.Throttled++
		default:
			cc.Failed++
		}
	}
	return cc
}

// FirstHealthRead is, per target group in groups, the completion of the
// first successful DescribeTargetHealth that started at or after since:
// when tgc had verified that group against AWS. Groups never read are
// absent.
func FirstHealthRead(calls []emulator.Call, since time.Time, groups []string) map[string]time.Time {
	want := map[string]bool{}
	for _, g := range groups {
		want[g] = true
	}
	out := map[string]time.Time{}
	for _, c := range calls {
		if c.Action != "DescribeTargetHealth" || c.Result != "OK" || c.Time.Before(since) || !want[c.TargetGroupARN] {
			continue
		}
		if t, seen := out[c.TargetGroupARN]; !seen || c.End().Before(t) {
			out[c.TargetGroupARN] = c.End()
		}
	}
	return out
}

// FirstRegistered is, per "group|target" in want, the completion of the
// first successful RegisterTargets carrying it that started at or after
// since. Targets never registered are absent.
func FirstRegistered(calls []emulator.Call, since time.Time, want map[string][]string) map[string]time.Time {
	wanted := map[groupTarget]bool{}
	for g, ts := range want {
		for _, t := range ts {
			wanted[groupTarget{g, t}] = true
		}
	}
	out := map[string]time.Time{}
	for _, c := range calls {
		if c.Action != "RegisterTargets" || c.Result != "OK" || c.Time.Before(since) {
			continue
		}
		for _, t := range c.TargetIDs {
			k := groupTarget{c.TargetGroupARN, t}
			if !wanted[k] {
				continue
			}
			key := c.TargetGroupARN + "|" + t
			if prev, seen := out[key]; !seen || c.End().Before(prev) {
				out[key] = c.End()
			}
		}
	}
	return out
}

// Latest is the latest of times, and false when there are none.
func Latest(times map[string]time.Time) (time.Time, bool) {
	var last time.Time
	for _, t := range times {
		if t.After(last) {
			last = t
		}
	}
	return last, !last.IsZero()
}
