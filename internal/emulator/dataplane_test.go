package emulator

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatalf("GET %s%s: %v", addr, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func TestHTTPListenerRoundRobinsAcrossHealthyTargets(t *testing.T) {
	h := start(t, withPodDialMap)
	b1, b2 := newBackend(t, "127.244.1.1"), newBackend(t, "127.244.1.2")
	tg := h.group()
	addr := h.attach(tg)
	h.register(tg, b1.target(), b2.target())
	h.waitState(tg, b1.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	h.waitState(tg, b2.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	for range 10 {
		if status, _ := get(t, addr, "/work"); status != 200 {
			t.Fatalf("status %d through the listener, want 200", status)
		}
	}
	if b1.hits.Load() != 5 || b2.hits.Load() != 5 {
		t.Fatalf("round robin split 10 requests %d/%d, want 5/5", b1.hits.Load(), b2.hits.Load())
	}
}

func TestListenerNeverSendsNewRequestsToInitialOrDrainingTargets(t *testing.T) {
	h := start(t, withPodDialMap)
	healthy, initial, draining := newBackend(t, "127.244.2.1"), newBackend(t, "127.244.2.2"), newBackend(t, "127.244.2.3")
	tg := h.group()
	addr := h.attach(tg)
	h.register(tg, healthy.target(), draining.target())
	h.waitState(tg, healthy.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	h.waitState(tg, draining.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	// From now on registration takes an hour: the next target stays initial.
	p := FastProfile()
	p.RegistrationDelay = time.Hour
	h.emu.SetProfile(p)
	h.register(tg, initial.target())
	h.deregister(tg, draining.target())
	if th := h.health(tg); th[initial.key()].State != types.TargetHealthStateEnumInitial || th[draining.key()].State != types.TargetHealthStateEnumDraining {
		t.Fatalf("setup: states %v, want initial and draining", th)
	}
	for range 6 {
		get(t, addr, "/work")
	}
	if healthy.hits.Load() != 6 || initial.hits.Load() != 0 || draining.hits.Load() != 0 {
		t.Fatalf("hits healthy/initial/draining = %d/%d/%d, want 6/0/0", healthy.hits.Load(), initial.hits.Load(), draining.hits.Load())
	}
}

func TestListenerFailsOpenWhenNoTargetIsHealthy(t *testing.T) {
	h := start(t, withPodDialMap)
	b1, b2 := newBackend(t, "127.244.3.1"), newBackend(t, "127.244.3.2")
	tg := h.group(func(in *elbv2.CreateTargetGroupInput) { in.HealthCheckPath = aws.String("/healthz") })
	addr := h.attach(tg)
	h.register(tg, b1.target(), b2.target())
	for _, b := range []*backend{b1, b2} {
		if err := h.emu.ForceTargetHealth(*tg.TargetGroupArn, b.podIP(), int32(b.addr.Port()), "unhealthy"); err != nil {
			t.Fatal(err)
		}
	}
	h.waitState(tg, b1.key(), types.TargetHealthStateEnumUnhealthy, 3*time.Second)
	h.waitState(tg, b2.key(), types.TargetHealthStateEnumUnhealthy, 3*time.Second)
	for range 4 {
		get(t, addr, "/work")
	}
	if b1.hits.Load() != 2 || b2.hits.Load() != 2 {
		t.Fatalf("with every target unhealthy, hits = %d/%d, want 2/2 (fail open)", b1.hits.Load(), b2.hits.Load())
	}
}

func TestListenerWithoutRoutableTargetsAnswers503(t *testing.T) {
	h := start(t)
	tg := h.group()
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	l, addr := h.listen(lb, tg)
	if status, _ := get(t, addr, "/"); status != http.StatusServiceUnavailable {
		t.Fatalf("empty group answered %d, want 503", status)
	}
	if n := h.emu.RequestCounts().Listeners[*l.ListenerArn].NoTarget; n != 1 {
		t.Fatalf("no-target count = %d, want 1", n)
	}
}

func TestInFlightRequestToDrainingTargetCompletes(t *testing.T) {
	h := start(t, withPodDialMap)
	b := newBackend(t, "127.244.4.1")
	tg := h.group()
	h.setDeregistrationDelay(tg, 1)
	addr := h.attach(tg)
	h.register(tg, b.target())
	h.waitState(tg, b.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	done := make(chan int, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/slow") // the backend takes 300 ms
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	time.Sleep(100 * time.Millisecond)
	h.deregister(tg, b.target())
	if status := <-done; status != 200 {
		t.Fatalf("in-flight request during draining ended with %d, want 200", status)
	}
}

func TestInFlightRequestIsCutWhenTheDrainEnds(t *testing.T) {
	h := start(t, withPodDialMap)
	b := newBackend(t, "127.244.4.2")
	tg := h.group()
	h.setDeregistrationDelay(tg, 0)
	addr := h.attach(tg)
	h.register(tg, b.target())
	h.waitState(tg, b.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	done := make(chan int, 1)
	go func() {
		status, _ := get(t, addr, "/slow")
		done <- status
	}()
	time.Sleep(100 * time.Millisecond)
	h.deregister(tg, b.target()) // delay 0: the target leaves at once
	if status := <-done; status != http.StatusBadGateway {
		t.Fatalf("request in flight when the drain ended got %d, want 502", status)
	}
}

func TestTCPListenerSplicesConnectionsToHealthyTargets(t *testing.T) {
	h := start(t, withPodDialMap)
	echo := newEchoServer(t, "127.244.5.1")
	tg := h.group(func(in *elbv2.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp })
	lb := h.loadBalancer(types.LoadBalancerTypeEnumNetwork)
	l, addr := h.listen(lb, tg)
	h.register(tg, ipTarget("10.244.5.1", int32(echo.Addr().(*net.TCPAddr).Port)))
	key := fmt.Sprintf("10.244.5.1:%d", echo.Addr().(*net.TCPAddr).Port)
	h.waitState(tg, key, types.TargetHealthStateEnumHealthy, 3*time.Second)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "ping\n")
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("echo through the NLB listener = %q, %v", line, err)
	}
	if n := h.emu.RequestCounts().Listeners[*l.ListenerArn].Success; n != 1 {
		t.Fatalf("listener success count = %d, want 1", n)
	}
}

func newEchoServer(t *testing.T, ip string) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln
}

func TestRequestCountsRecordOutcomesPerListenerAndTarget(t *testing.T) {
	h := start(t, withPodDialMap)
	ok, failing := newBackend(t, "127.244.6.1"), newBackend(t, "127.244.6.2")
	failing.status.Store(503)
	closedPort := freePort(t)
	tg := h.group()
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	l, addr := h.listen(lb, tg)
	h.register(tg, ok.target(), failing.target(), ipTarget("10.244.6.3", int32(closedPort)))
	for _, tgt := range []struct {
		ip   string
		port int32
	}{{ok.podIP(), int32(ok.addr.Port())}, {failing.podIP(), int32(failing.addr.Port())}, {"10.244.6.3", int32(closedPort)}} {
		if err := h.emu.ForceTargetHealth(*tg.TargetGroupArn, tgt.ip, tgt.port, "healthy"); err != nil {
			t.Fatal(err)
		}
	}
	h.waitState(tg, ok.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
	h.waitState(tg, fmt.Sprintf("10.244.6.3:%d", closedPort), types.TargetHealthStateEnumHealthy, 3*time.Second)
	for range 6 {
		get(t, addr, "/work")
	}
	counts := h.emu.RequestCounts()
	got := counts.Listeners[*l.ListenerArn]
	if got.Success != 2 || got.ServerError != 2 || got.Refused != 2 {
		t.Fatalf("listener counts = %+v, want 2 success, 2 5xx, 2 refused", got)
	}
	if n := counts.Targets[ok.key()].Success; n != 2 {
		t.Fatalf("target %s success = %d, want 2", ok.key(), n)
	}
	if n := counts.Targets[fmt.Sprintf("10.244.6.3:%d", closedPort)].Refused; n != 2 {
		t.Fatalf("closed target refused = %d, want 2", n)
	}
}

func TestEmulatorNeverDialsNonLoopbackAddresses(t *testing.T) {
	// No dial map: 10.244.0.0/16 stays as is and must never be dialed.
	h := start(t)
	tg := h.group()
	addr := h.attach(tg)
	h.register(tg, ipTarget("10.244.7.1", 80))
	th := h.waitState(tg, "10.244.7.1:80", types.TargetHealthStateEnumUnhealthy, 3*time.Second)
	if th.Reason != types.TargetHealthReasonEnumFailedHealthChecks {
		t.Fatalf("unreachable target reason = %s, want Target.FailedHealthChecks", th.Reason)
	}
	// Fail open routes to it, and the data plane refuses to dial.
	if status, _ := get(t, addr, "/"); status != http.StatusBadGateway {
		t.Fatalf("request to a non-loopback target answered %d, want 502", status)
	}
	if n := h.emu.RequestCounts().Targets["10.244.7.1:80"].Refused; n != 1 {
		t.Fatalf("refused count = %d, want 1", n)
	}
}

func TestListenerAddrAndControlListenersReportTheRealAddress(t *testing.T) {
	h := start(t)
	tg := h.group()
	l, addr := h.listen(h.loadBalancer(types.LoadBalancerTypeEnumApplication), tg)
	infos := h.emu.Listeners()
	if len(infos) != 1 || infos[0].Address != addr || infos[0].ListenerARN != *l.ListenerArn {
		t.Fatalf("Listeners() = %+v, want one at %s", infos, addr)
	}
	if ap, err := netip.ParseAddrPort(addr); err != nil || !DefaultLoadBalancerAddresses.Contains(ap.Addr()) {
		t.Fatalf("listener address %s is not on a load balancer address of %s", addr, DefaultLoadBalancerAddresses)
	}
}
