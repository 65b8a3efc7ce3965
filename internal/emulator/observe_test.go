package emulator

import (
	"maps"
	"testing"
)

func TestObserveTargetHealth(t *testing.T) {
	t.Run("answers what DescribeTargetHealth answers, outside the call log and the buckets", func(t *testing.T) {
		h := start(t, func(c *Config) { c.Throttle = Throttle{Describe: RateLimit{PerSecond: 1, Burst: 1}} })
		tg := h.group()
		h.register(tg, ipTarget("10.244.0.1", 80), ipTarget("10.244.0.2", 8080))
		h.deregister(tg, ipTarget("10.244.0.2", 8080))
		before := len(h.emu.Calls())
		var got map[string]string
		for range 50 {
			var err error
			if got, err = h.emu.ObserveTargetHealth(*tg.TargetGroupArn); err != nil {
				t.Fatalf("ObserveTargetHealth: %v", err)
			}
		}
		if n := len(h.emu.Calls()); n != before {
			t.Errorf("the call log grew by %d calls; observing must not enter it", n-before)
		}
		want := map[string]string{}
		for k, th := range h.health(tg) { // one real call, which the 1/s bucket still allows
			want[k] = string(th.State)
		}
		if !maps.Equal(got, want) {
			t.Errorf("observed %v, DescribeTargetHealth answered %v", got, want)
		}
	})
	t.Run("an unknown group is an error naming it", func(t *testing.T) {
		h := start(t)
		if _, err := h.emu.ObserveTargetHealth("arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/none/0"); err == nil {
			t.Fatal("no error for an unknown group")
		}
	})
}
