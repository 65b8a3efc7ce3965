package measure

import (
	"slices"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func at(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

func msd(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }

func TestSummarizeUsesNearestRankPercentiles(t *testing.T) {
	cases := map[string]struct {
		samples []time.Duration
		want    Summary
	}{
		"no samples give the zero summary": {nil, Summary{}},
		"one sample is every percentile":   {[]time.Duration{msd(7)}, Summary{N: 1, P50Ms: 7, P99Ms: 7, MaxMs: 7, MinMs: 7}},
		"p50 of an even count is the lower middle sample": {
			[]time.Duration{msd(4), msd(1), msd(3), msd(2)},
			Summary{N: 4, P50Ms: 2, P99Ms: 4, MaxMs: 4, MinMs: 1},
		},
		"p99 of 100 samples is the 99th, not the max": {
			func() []time.Duration {
				var s []time.Duration
				for i := 1; i <= 100; i++ {
					s = append(s, msd(i))
				}
				return s
			}(),
			Summary{N: 100, P50Ms: 50, P99Ms: 99, MaxMs: 100, MinMs: 1},
		},
		"sub-millisecond latencies keep microseconds": {
			[]time.Duration{1500 * time.Microsecond},
			Summary{N: 1, P50Ms: 1.5, P99Ms: 1.5, MaxMs: 1.5, MinMs: 1.5},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Summarize(tc.samples); got != tc.want {
				t.Errorf("Summarize = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestFloorsFollowTheBuckets(t *testing.T) {
	describe := emulator.RateLimit{PerSecond: 50, Burst: 200}
	register := emulator.RateLimit{PerSecond: 4, Burst: 20}
	cases := map[string]struct {
		got, want time.Duration
	}{
		"restart of 1000 bindings: 800 Describes beyond the burst at 50/s": {RestartFloor(1000, describe), 16 * time.Second},
		"restart within the burst has no floor":                            {RestartFloor(100, describe), 0},
		"adopt of 1000 x 20: 1000 calls, 980 beyond the burst at 4/s":      {AdoptFloor(1000, 20, register), 245 * time.Second},
		"adopt of 100 x 20: 80 calls beyond the burst":                     {AdoptFloor(100, 20, register), 20 * time.Second},
		"adopt of 1 x 500 needs 3 calls, within the burst":                 {AdoptFloor(1, 500, register), 0},
		"a zero rate has no floor rather than an infinite one":             {BucketFloor(100, emulator.RateLimit{Burst: 1}), 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("floor = %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestMinRegisterCallsBatchesTwoHundredTargetsPerCall(t *testing.T) {
	cases := map[string]struct{ bindings, endpoints, want int }{
		"20 endpoints fit one call per group": {1000, 20, 1000},
		"200 endpoints fit exactly one call":  {3, 200, 3},
		"201 endpoints need two calls":        {3, 201, 6},
		"no endpoints need no call":           {5, 0, 0},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := MinRegisterCalls(tc.bindings, tc.endpoints); got != tc.want {
				t.Errorf("MinRegisterCalls(%d, %d) = %d, want %d", tc.bindings, tc.endpoints, got, tc.want)
			}
		})
	}
}

func TestRatioIsNilWithoutAFloor(t *testing.T) {
	if r := Ratio(time.Second, 0); r != nil {
		t.Errorf("Ratio over a zero floor = %v, want nil", *r)
	}
	r := Ratio(18*time.Second, 16*time.Second)
	if r == nil || *r != 1.125 {
		t.Errorf("Ratio(18s, 16s) = %v, want 1.125", r)
	}
}

const tg = "arn:tg/a"

func call(action string, startMs, durMs int, result string, targets ...string) emulator.Call {
	return emulator.Call{Action: action, TargetGroupARN: tg, TargetIDs: targets, Targets: len(targets), Result: result, Time: at(startMs), Duration: msd(durMs)}
}

func TestMatchFindsTheCallThatCarriedEachChange(t *testing.T) {
	a, b := "10.244.0.1:8080", "10.244.0.2:8080"
	cases := map[string]struct {
		changes []Change
		calls   []emulator.Call
		want    []Outcome
	}{
		"a ready endpoint is carried by the first register after the write": {
			changes: []Change{{At: at(0), Group: tg, Target: a, Dir: Up}},
			calls: []emulator.Call{
				call("RegisterTargets", 5, 2, "OK", a),
				call("RegisterTargets", 50, 2, "OK", a),
			},
			want: []Outcome{{Change: Change{At: at(0), Group: tg, Target: a, Dir: Up}, State: Applied, CallEnd: at(7), Latency: msd(7)}},
		},
		"a call that started before the write does not carry it": {
			changes: []Change{{At: at(10), Group: tg, Target: a, Dir: Down}},
			calls: []emulator.Call{
				call("DeregisterTargets", 8, 5, "OK", a),
				call("DeregisterTargets", 20, 1, "OK", b, a),
			},
			want: []Outcome{{Change: Change{At: at(10), Group: tg, Target: a, Dir: Down}, State: Applied, CallEnd: at(21), Latency: msd(11)}},
		},
		"a throttled attempt does not carry it, the retry does": {
			changes: []Change{{At: at(0), Group: tg, Target: a, Dir: Up}},
			calls: []emulator.Call{
				call("RegisterTargets", 1, 1, "Throttling", a),
				call("RegisterTargets", 300, 1, "OK", a),
			},
			want: []Outcome{{Change: Change{At: at(0), Group: tg, Target: a, Dir: Up}, State: Applied, CallEnd: at(301), Latency: msd(301)}},
		},
		"the other action or another group does not carry it": {
			changes: []Change{{At: at(0), Group: tg, Target: a, Dir: Up}},
			calls: []emulator.Call{
				call("DeregisterTargets", 1, 1, "OK", a),
				{Action: "RegisterTargets", TargetGroupARN: "arn:tg/other", TargetIDs: []string{a}, Result: "OK", Time: at(2), Duration: msd(1)},
			},
			want: []Outcome{{Change: Change{At: at(0), Group: tg, Target: a, Dir: Up}, State: Unapplied}},
		},
		"a change undone before any call is superseded, and its undo reverted": {
			changes: []Change{
				{At: at(0), Group: tg, Target: a, Dir: Down},
				{At: at(5), Group: tg, Target: a, Dir: Up},
			},
			want: []Outcome{
				{Change: Change{At: at(0), Group: tg, Target: a, Dir: Down}, State: Superseded},
				{Change: Change{At: at(5), Group: tg, Target: a, Dir: Up}, State: Reverted},
			},
		},
		"flips back and forth each get their own call": {
			changes: []Change{
				{At: at(0), Group: tg, Target: a, Dir: Down},
				{At: at(1000), Group: tg, Target: a, Dir: Up},
			},
			calls: []emulator.Call{
				call("DeregisterTargets", 3, 1, "OK", a),
				call("RegisterTargets", 1002, 2, "OK", a),
			},
			want: []Outcome{
				{Change: Change{At: at(0), Group: tg, Target: a, Dir: Down}, State: Applied, CallEnd: at(4), Latency: msd(4)},
				{Change: Change{At: at(1000), Group: tg, Target: a, Dir: Up}, State: Applied, CallEnd: at(1004), Latency: msd(4)},
			},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := Match(tc.changes, tc.calls)
			if !slices.Equal(got, tc.want) {
				t.Errorf("Match =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestLatenciesAndStatesSplitOutcomes(t *testing.T) {
	outcomes := []Outcome{
		{Change: Change{Dir: Up}, State: Applied, Latency: msd(3)},
		{Change: Change{Dir: Down}, State: Applied, Latency: msd(9)},
		{Change: Change{Dir: Up}, State: Unapplied},
		{Change: Change{Dir: Up}, State: Applied, Latency: msd(1)},
	}
	if got := Latencies(outcomes, Up); !slices.Equal(got, []time.Duration{msd(3), msd(1)}) {
		t.Errorf("Latencies(Up) = %v, want [3ms 1ms]", got)
	}
	states := CountStates(outcomes)
	if states[Applied] != 3 || states[Unapplied] != 1 {
		t.Errorf("CountStates = %v, want 3 applied and 1 unapplied", states)
	}
}

func TestCountSplitsCallsByKindAndResult(t *testing.T) {
	calls := []emulator.Call{
		call("RegisterTargets", 0, 1, "OK"),
		call("RegisterTargets", 1, 1, "Throttling"),
		call("DescribeTargetHealth", 2, 1, "OK"),
		call("DescribeTargetGroups", 3, 1, "TargetGroupNotFound"),
		call("ModifyTargetGroupAttributes", 4, 1, "OK"),
	}
	got := Count(calls)
	if got.Total != 5 || got.Mutating != 3 || got.Describe != 2 || got.Throttled != 1 || got.Failed != 1 || got.ByAction["RegisterTargets"] != 2 {
		t.Errorf("Count = %+v", got)
	}
}

func TestBetweenSelectsCallsByStartTime(t *testing.T) {
	calls := []emulator.Call{call("A", 0, 50, "OK"), call("B", 10, 1, "OK"), call("C", 20, 1, "OK")}
	cases := map[string]struct {
		from, until time.Time
		want        []string
	}{
		"half-open window":                   {at(0), at(20), []string{"A", "B"}},
		"a call running at the start is out": {at(5), at(100), []string{"B", "C"}},
		"a zero end means everything after":  {at(10), time.Time{}, []string{"B", "C"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var got []string
			for _, c := range Between(calls, tc.from, tc.until) {
				got = append(got, c.Action)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Between = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFirstHealthReadIsTheEarliestCompletedReadPerGroupSinceTheStart(t *testing.T) {
	other := "arn:tg/b"
	calls := []emulator.Call{
		call("DescribeTargetHealth", 0, 1, "OK"), // before the start
		call("DescribeTargetHealth", 10, 5, "Throttling"),
		call("DescribeTargetHealth", 20, 5, "OK"),
		call("DescribeTargetHealth", 30, 5, "OK"),
		{Action: "DescribeTargetHealth", TargetGroupARN: "arn:tg/unbound", Result: "OK", Time: at(40), Duration: msd(1)},
	}
	got := FirstHealthRead(calls, at(5), []string{tg, other})
	if len(got) != 1 || !got[tg].Equal(at(25)) {
		t.Errorf("FirstHealthRead = %v, want only %s at +25ms", got, tg)
	}
	if last, ok := Latest(got); !ok || !last.Equal(at(25)) {
		t.Errorf("Latest = %v, %v", last, ok)
	}
}

func TestFirstRegisteredIsPerGroupAndTarget(t *testing.T) {
	a, b := "10.244.0.1:8080", "10.244.0.2:8080"
	calls := []emulator.Call{
		call("RegisterTargets", 0, 1, "Throttling", a, b),
		call("RegisterTargets", 10, 2, "OK", a),
		call("RegisterTargets", 20, 2, "OK", a, b),
	}
	got := FirstRegistered(calls, at(0), map[string][]string{tg: {a, b}, "arn:tg/none": {a}})
	want := map[string]time.Time{tg + "|" + a: at(12), tg + "|" + b: at(22)}
	if len(got) != len(want) || !got[tg+"|"+a].Equal(want[tg+"|"+a]) || !got[tg+"|"+b].Equal(want[tg+"|"+b]) {
		t.Errorf("FirstRegistered = %v, want %v", got, want)
	}
}
