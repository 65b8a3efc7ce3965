package harness

import "github.com/tgc-dev/targetgroupcontroller/internal/emulator"

// CountCalls counts the emulator's calls by action; throttled or failed
// ones count under "<action>:<error code>" instead.
func CountCalls(cs []emulator.Call) map[string]int {
	n := map[string]int{}
	for _, c := range cs {
		key := c.Action
		if c.Result != "OK" {
			key += ":" + c.Result
		}
		n[key]++
	}
	return n
}
