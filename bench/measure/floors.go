package measure

import (
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

// MaxTargetsPerCall is how many targets one RegisterTargets or
// DeregisterTargets call may carry, so a group of n targets needs
// ceil(n/200) calls at least
// (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RegisterTargets.html,
// "Array Members: Minimum number of 1 item. Maximum number of 200 items").
const MaxTargetsPerCall = 200

// BucketFloor is the least time a client needs to make calls calls against a
// token bucket that starts full: the burst goes at once, every further
// call waits for a token at the bucket's rate.
func BucketFloor(calls int, bucket emulator.RateLimit) time.Duration {
	extra := calls - bucket.Burst
	if extra <= 0 || bucket.PerSecond <= 0 {
		return 0
	}
	return time.Duration(float64(extra) / bucket.PerSecond * float64(time.Second))
}

// RestartFloor is the least time to verify every binding after a restart:
// at least one DescribeTargetHealth per bound target group,
// (bindings - describeBurst) / describeRate.
func RestartFloor(bindings int, describe emulator.RateLimit) time.Duration {
	return BucketFloor(bindings, describe)
}

// MinRegisterCalls is the fewest RegisterTargets calls that register
// endpoints targets in each of bindings empty groups.
func MinRegisterCalls(bindings, endpoints int) int {
	if endpoints <= 0 {
		return 0
	}
	return bindings * ((endpoints + MaxTargetsPerCall - 1) / MaxTargetsPerCall)
}

// AdoptFloor is the least time to fill bindings empty groups with
// endpoints targets each: (minRegisterCalls - registerBurst) / registerRate.
func AdoptFloor(bindings, endpoints int, register emulator.RateLimit) time.Duration {
	return BucketFloor(MinRegisterCalls(bindings, endpoints), register)
}

// Ratio is measured / floor, or nil when the floor is zero (the burst
// alone covers the work, so there is nothing to be a multiple of); the
// report then explains why.
func Ratio(measured, floor time.Duration) *float64 {
	if floor <= 0 {
		return nil
	}
	r := float64(measured) / float64(floor)
	r = float64(int64(r*1000+0.5)) / 1000
	return &r
}
