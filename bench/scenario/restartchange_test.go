package scenario

import (
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

func TestWritesBeforeReadCountsWritesThatNoCompletedReadOfTheirGroupPreceded(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	call := func(action, group string, startMs, durMs int, result string) emulator.Call {
		return emulator.Call{Action: action, TargetGroupARN: group, Time: t0.Add(time.Duration(startMs) * time.Millisecond), Duration: time.Duration(durMs) * time.Millisecond, Result: result}
	}
	cases := map[string]struct {
		calls []emulator.Call
		want  int
	}{
		"a write after its group's read is fine": {
			calls: []emulator.Call{call("DescribeTargetHealth", "a", 0, 5, "OK"), call("RegisterTargets", "a", 10, 5, "OK")},
		},
		"a write started while its group's read was still in flight was planned without it": {
			calls: []emulator.Call{call("DescribeTargetHealth", "a", 0, 20, "OK"), call("DeregisterTargets", "a", 10, 5, "OK")},
			want:  1,
		},
		"a read of another group does not count": {
			calls: []emulator.Call{call("DescribeTargetHealth", "b", 0, 5, "OK"), call("RegisterTargets", "a", 10, 5, "OK")},
			want:  1,
		},
		"a throttled read does not count": {
			calls: []emulator.Call{call("DescribeTargetHealth", "a", 0, 5, "Throttling"), call("RegisterTargets", "a", 10, 5, "OK")},
			want:  1,
		},
		"reads and other calls are not writes": {
			calls: []emulator.Call{call("DescribeTargetGroups", "", 0, 5, "OK"), call("DescribeTargetHealth", "a", 10, 5, "OK")},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := writesBeforeRead(tc.calls); got != tc.want {
				t.Errorf("writesBeforeRead = %d, want %d", got, tc.want)
			}
		})
	}
}
