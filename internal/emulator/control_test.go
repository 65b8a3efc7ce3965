package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func TestThrottlingAnswersRateExceededPerOperationClass(t *testing.T) {
	h := start(t, func(c *Config) {
		c.Throttle = Throttle{Register: RateLimit{PerSecond: 0.001, Burst: 2}}
	})
	tg := h.group()
	var codes []string
	for range 3 {
		_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80)}})
		codes = append(codes, errorCode(err))
	}
	if codes[0] != "" || codes[1] != "" || codes[2] != "Throttling" {
		t.Fatalf("codes of three RegisterTargets with burst 2 = %q, want two successes then Throttling", codes)
	}
	_, err := h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
	h.wantCode(err, "") // another class has its own bucket
	_, err = h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80)}})
	if !strings.Contains(err.Error(), "Rate exceeded") {
		t.Fatalf("throttling message = %v, want Rate exceeded", err)
	}
}

func TestThrottlingStormRefusesEveryTargetWriteUntilItEnds(t *testing.T) {
	h := start(t, func(c *Config) { c.Throttle = Throttle{Disabled: true} })
	tg := h.group()
	register := func() error {
		_, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80)}})
		return err
	}
	deregister := func() error {
		_, err := h.c.DeregisterTargets(h.ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80)}})
		return err
	}
	h.emu.SetThrottle(Throttle{Disabled: true, Storm: true})
	for range 3 {
		h.wantCode(register(), "Throttling")
		h.wantCode(deregister(), "Throttling")
	}
	_, err := h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
	h.wantCode(err, "") // reads keep their bucket
	h.emu.SetThrottle(Throttle{Disabled: true})
	h.wantCode(register(), "")
	h.wantCode(deregister(), "")
}

func TestThrottlingIsOnByDefaultWithAWSLikeBursts(t *testing.T) {
	emu, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, emu: emu, c: sdkClient(emu.URL()), ctx: t.Context()}
	tg := h.group()
	throttled := 0
	for range 25 {
		_, err := h.c.DeregisterTargets(h.ctx, &elbv2.DeregisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 80)}})
		if errorCode(err) == "Throttling" {
			throttled++
		}
	}
	// Burst 20 and 4/s refill: 25 quick calls see a few throttled.
	if throttled == 0 || throttled > 5 {
		t.Fatalf("%d of 25 quick DeregisterTargets calls throttled, want 1-5", throttled)
	}
	want := Throttle{Register: RateLimit{4, 20}, Deregister: RateLimit{4, 20}, Describe: RateLimit{50, 200}, Modify: RateLimit{3, 20}}
	if got := emu.Throttle(); got != want {
		t.Fatalf("default throttle = %+v, want %+v", got, want)
	}
}

func TestInjectedServerErrorsAndLatency(t *testing.T) {
	h := start(t)
	tg := h.group()
	if err := h.emu.SetFaults(Faults{ErrorRate: 1, Actions: []string{"DescribeTargetHealth"}}); err != nil {
		t.Fatal(err)
	}
	_, err := h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: tg.TargetGroupArn})
	h.wantCode(err, "InternalFailure")
	_, err = h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{})
	h.wantCode(err, "") // other actions are not affected
	if err := h.emu.SetFaults(Faults{ErrorRate: 1, ErrorStatus: 503}); err != nil {
		t.Fatal(err)
	}
	_, err = h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{})
	h.wantCode(err, "ServiceUnavailable")
	if err := h.emu.SetFaults(Faults{Latency: 150 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	_, err = h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{})
	if err != nil || time.Since(began) < 150*time.Millisecond {
		t.Fatalf("call with 150 ms injected latency took %v (err %v)", time.Since(began), err)
	}
	if err := h.emu.SetFaults(Faults{ErrorRate: 2}); err == nil {
		t.Fatal("SetFaults accepted an error rate above 1")
	}
}

func TestCallLogRecordsActionGroupTargetsAndResult(t *testing.T) {
	h := start(t)
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80), ipTarget("10.244.0.2", 80))
	_, _ = h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: tg.TargetGroupArn, Targets: []types.TargetDescription{ipTarget("8.8.8.8", 80)}})
	calls := h.emu.Calls()
	if len(calls) != 3 {
		t.Fatalf("got %d calls, want 3: %+v", len(calls), calls)
	}
	ok, bad := calls[1], calls[2]
	if ok.Action != "RegisterTargets" || ok.TargetGroupARN != *tg.TargetGroupArn || ok.Targets != 2 || ok.Result != "OK" || ok.Time.IsZero() {
		t.Fatalf("successful call logged as %+v", ok)
	}
	if bad.Result != "InvalidTarget" || bad.Targets != 1 {
		t.Fatalf("failed call logged as %+v", bad)
	}
}

func TestResetClearsResourcesCountsAndCalls(t *testing.T) {
	h := start(t)
	tg := h.group()
	h.attach(tg)
	h.emu.Reset()
	if n := len(h.emu.Calls()); n != 0 {
		t.Fatalf("%d calls after Reset, want 0", n)
	}
	if n := len(h.emu.Listeners()); n != 0 {
		t.Fatalf("%d listeners after Reset, want 0", n)
	}
	_, err := h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{TargetGroupArns: []string{*tg.TargetGroupArn}})
	h.wantCode(err, "TargetGroupNotFound")
}

func controlCall(t *testing.T, method, url string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestControlAPIOverHTTP(t *testing.T) {
	h := start(t, func(c *Config) { c.HealthChecks = HealthChecksSimulated })
	base := h.emu.URL() + "/_emulator/"
	tg := h.group()
	addr := h.attach(tg)
	h.register(tg, ipTarget("10.244.0.1", 80))
	h.waitState(tg, "10.244.0.1:80", types.TargetHealthStateEnumHealthy, 3*time.Second)

	t.Run("profile can be read and set by name or by field", func(t *testing.T) {
		status, body := controlCall(t, http.MethodPut, base+"profile", map[string]any{"name": "realistic", "nlb": true})
		if status != 200 || h.emu.Profile().RegistrationDelay != 180*time.Second {
			t.Fatalf("PUT profile realistic nlb = %d %s; profile now %+v", status, body, h.emu.Profile())
		}
		if p := h.emu.Profile(); p.DeregistrationPropagation != 120*time.Second {
			t.Fatalf("realistic NLB profile propagates deregistration in %s, want 120s", p.DeregistrationPropagation)
		}
		status, _ = controlCall(t, http.MethodPut, base+"profile", map[string]any{"name": "custom", "registrationDelay": "20ms", "healthCheckInterval": 0.01, "deregistrationPropagation": "1s"})
		if p := h.emu.Profile(); status != 200 || p.RegistrationDelay != 20*time.Millisecond || p.HealthCheckInterval != 10*time.Millisecond || p.DeregistrationPropagation != time.Second {
			t.Fatalf("PUT custom profile = %d; profile now %+v", status, p)
		}
		_, body = controlCall(t, http.MethodGet, base+"profile", nil)
		var got profileJSON
		if err := json.Unmarshal(body, &got); err != nil || got.Name != "custom" || time.Duration(got.RegistrationDelay) != 20*time.Millisecond || time.Duration(got.DeregistrationPropagation) != time.Second {
			t.Fatalf("GET profile = %s (%v)", body, err)
		}
	})
	t.Run("target health can be forced", func(t *testing.T) {
		status, body := controlCall(t, http.MethodPost, base+"target-health", forceHealthJSON{TargetGroupARN: *tg.TargetGroupArn, ID: "10.244.0.1", Port: 80, State: "unhealthy"})
		if status != 200 || h.health(tg)["10.244.0.1:80"].State != types.TargetHealthStateEnumUnhealthy {
			t.Fatalf("forcing over HTTP = %d %s; state %s", status, body, h.health(tg)["10.244.0.1:80"].State)
		}
		status, _ = controlCall(t, http.MethodPost, base+"target-health", forceHealthJSON{TargetGroupARN: *tg.TargetGroupArn, ID: "10.244.0.9", Port: 80, State: "healthy"})
		if status != 400 {
			t.Fatalf("forcing an unregistered target answered %d, want 400", status)
		}
	})
	t.Run("throttle and faults can be set", func(t *testing.T) {
		status, _ := controlCall(t, http.MethodPut, base+"throttle", Throttle{Describe: RateLimit{PerSecond: 1, Burst: 1}})
		if got := h.emu.Throttle(); status != 200 || got.Disabled || got.Describe.Burst != 1 {
			t.Fatalf("PUT throttle = %d; now %+v", status, got)
		}
		status, _ = controlCall(t, http.MethodPut, base+"faults", map[string]any{"latency": "5ms", "errorRate": 0.5})
		if got := h.emu.Faults(); status != 200 || got.Latency != 5*time.Millisecond || got.ErrorRate != 0.5 {
			t.Fatalf("PUT faults = %d; now %+v", status, got)
		}
		controlCall(t, http.MethodPut, base+"faults", map[string]any{})
		controlCall(t, http.MethodPut, base+"throttle", Throttle{Disabled: true})
	})
	t.Run("requests, calls and listeners can be read", func(t *testing.T) {
		get(t, addr, "/")
		_, body := controlCall(t, http.MethodGet, base+"requests", nil)
		var counts RequestCounts
		if err := json.Unmarshal(body, &counts); err != nil || len(counts.Listeners) != 1 {
			t.Fatalf("GET requests = %s (%v)", body, err)
		}
		_, body = controlCall(t, http.MethodGet, base+"calls?last=1", nil)
		var calls []Call
		if err := json.Unmarshal(body, &calls); err != nil || len(calls) != 1 || calls[0].Action == "" {
			t.Fatalf("GET calls = %s (%v)", body, err)
		}
		_, body = controlCall(t, http.MethodGet, base+"listeners", nil)
		var ls []ListenerInfo
		if err := json.Unmarshal(body, &ls); err != nil || len(ls) != 1 || ls[0].Address != addr {
			t.Fatalf("GET listeners = %s (%v)", body, err)
		}
	})
	t.Run("reset empties the emulator", func(t *testing.T) {
		if status, _ := controlCall(t, http.MethodPost, base+"reset", nil); status != 200 {
			t.Fatalf("POST reset = %d", status)
		}
		_, err := h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{aws.ToString(tg.TargetGroupName)}})
		h.wantCode(err, "TargetGroupNotFound")
	})
}

func TestMetricsExposeCallsByActionAndResultAndTargetsByState(t *testing.T) {
	h := start(t, func(c *Config) { c.HealthChecks = HealthChecksSimulated })
	tg := h.group()
	h.register(tg, ipTarget("10.244.0.1", 80))
	_, _ = h.c.DescribeTargetGroups(h.ctx, &elbv2.DescribeTargetGroupsInput{Names: []string{"missing"}})
	resp, err := http.Get(h.emu.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`elbv2_emulator_api_calls_total{action="RegisterTargets",result="OK"} 1`,
		`elbv2_emulator_api_calls_total{action="DescribeTargetGroups",result="TargetGroupNotFound"} 1`,
		`elbv2_emulator_targets{state="unused"} 1`,
		`elbv2_emulator_targets{state="healthy"} 0`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestProfileByName(t *testing.T) {
	cases := map[string]struct {
		name    string
		nlb     bool
		wantReg time.Duration
		wantErr bool
	}{
		"fast registers in fractions of a second": {"fast", false, 50 * time.Millisecond, false},
		"realistic ALB registers in seconds":      {"realistic", false, 10 * time.Second, false},
		"realistic NLB registers in minutes":      {"realistic", true, 180 * time.Second, false},
		"unknown name is an error":                {"slow", false, 0, true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := ProfileByName(tc.name, tc.nlb)
			if (err != nil) != tc.wantErr || p.RegistrationDelay != tc.wantReg {
				t.Fatalf("ProfileByName(%q, %v) = %+v, %v", tc.name, tc.nlb, p, err)
			}
		})
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	emu, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	if err := emu.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}
