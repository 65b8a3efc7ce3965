package emulator

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// The emulator's three hot paths, measured through
// the real SDK over loopback HTTP (client and server share the machine).

func benchHarness(b *testing.B) *harness {
	b.Helper()
	emu, err := New(Config{Throttle: Throttle{Disabled: true}, HealthChecks: HealthChecksSimulated, CallLogSize: 1000})
	if err != nil {
		b.Fatal(err)
	}
	if err := emu.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = emu.Close() })
	return &harness{t: &testing.T{}, emu: emu, c: sdkClient(emu.URL()), ctx: context.Background()}
}

func benchGroup(b *testing.B, h *harness, name string, targets int) *string {
	b.Helper()
	out, err := h.c.CreateTargetGroup(h.ctx, &elbv2.CreateTargetGroupInput{
		Name: aws.String(name), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		VpcId: aws.String(DefaultVPC.ID), TargetType: types.TargetTypeEnumIp,
	})
	if err != nil {
		b.Fatal(err)
	}
	arn := out.TargetGroups[0].TargetGroupArn
	for start := 0; start < targets; start += 500 {
		batch := make([]types.TargetDescription, 0, 500)
		for i := start; i < min(start+500, targets); i++ {
			batch = append(batch, ipTarget(fmt.Sprintf("10.244.%d.%d", i/250, i%250+1), 8080))
		}
		if _, err := h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: arn, Targets: batch}); err != nil {
			b.Fatal(err)
		}
	}
	return arn
}

// BenchmarkAPICalls measures sustained API throughput: each op is one
// RegisterTargets or DescribeTargetHealth call on a 20-target group, from
// parallel SDK clients.
func BenchmarkAPICalls(b *testing.B) {
	h := benchHarness(b)
	arn := benchGroup(b, h, "bench-calls", 20)
	b.SetParallelism(4)
	began := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			var err error
			if i%2 == 0 {
				_, err = h.c.RegisterTargets(h.ctx, &elbv2.RegisterTargetsInput{TargetGroupArn: arn, Targets: []types.TargetDescription{ipTarget("10.244.0.1", 8080)}})
			} else {
				_, err = h.c.DescribeTargetHealth(h.ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: arn})
			}
			if err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "calls/s")
}

// rawQuery posts a pre-encoded Query request, as a lean client would; it
// keeps the SDK's signing and XML decoding out of the measurement.
func rawQuery(b *testing.B, client *http.Client, endpoint, body string) {
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(body))
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=00")
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkAPICallsRawHTTP is BenchmarkAPICalls with a lean HTTP client, so
// the figure is the emulator's capacity rather than the SDK's.
func BenchmarkAPICallsRawHTTP(b *testing.B) {
	h := benchHarness(b)
	arn := benchGroup(b, h, "bench-raw", 20)
	register := url.Values{"Action": {"RegisterTargets"}, "Version": {"2015-12-01"}, "TargetGroupArn": {*arn},
		"Targets.member.1.Id": {"10.244.0.1"}, "Targets.member.1.Port": {"8080"}}.Encode()
	describe := url.Values{"Action": {"DescribeTargetHealth"}, "Version": {"2015-12-01"}, "TargetGroupArn": {*arn}}.Encode()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	b.SetParallelism(4)
	began := time.Now()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if i%2 == 0 {
				rawQuery(b, client, h.emu.URL(), register)
			} else {
				rawQuery(b, client, h.emu.URL(), describe)
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(began).Seconds(), "calls/s")
}

// BenchmarkDescribeTargetHealth1000 measures DescribeTargetHealth of a
// 1,000-target group over loopback HTTP and reports the p99.
func BenchmarkDescribeTargetHealth1000(b *testing.B) {
	h := benchHarness(b)
	arn := benchGroup(b, h, "bench-dth", 1000)
	body := url.Values{"Action": {"DescribeTargetHealth"}, "Version": {"2015-12-01"}, "TargetGroupArn": {*arn}}.Encode()
	client := &http.Client{}
	var durations []time.Duration
	for b.Loop() {
		began := time.Now()
		rawQuery(b, client, h.emu.URL(), body)
		durations = append(durations, time.Since(began))
	}
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkMemory50kTargets registers 50,000 targets across 1,000 groups and
// reports the live heap they hold.
func BenchmarkMemory50kTargets(b *testing.B) {
	for b.Loop() {
		h := benchHarness(b)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		for g := range 1000 {
			benchGroup(b, h, fmt.Sprintf("mem-%d", g), 50)
		}
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(after.Sys)/(1<<20), "sys-MiB")
		_ = h.emu.Close()
	}
}
