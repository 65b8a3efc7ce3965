package emulator

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// sharedPort is the port two load balancers both listen on: 80, as the
// users of AWS do, when this process may bind it, else another one, which
// shows the same thing.
func sharedPort(t *testing.T) int32 {
	t.Helper()
	start, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	unprivileged, _ := strconv.Atoi(strings.TrimSpace(string(start)))
	if os.Geteuid() == 0 || (err == nil && unprivileged <= 80) {
		return 80
	}
	t.Logf("port 80 needs privileges here; both load balancers listen on another shared port")
	return int32(freePort(t))
}

// listenOn creates an HTTP listener on port forwarding to tg.
func (h *harness) listenOn(lb types.LoadBalancer, tg types.TargetGroup, port int32) types.Listener {
	h.t.Helper()
	out, err := h.c.CreateListener(h.ctx, &elbv2.CreateListenerInput{
		LoadBalancerArn: lb.LoadBalancerArn,
		Protocol:        types.ProtocolEnumHttp,
		Port:            aws.Int32(port),
		DefaultActions:  []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: tg.TargetGroupArn}},
	})
	if err != nil {
		h.t.Fatalf("CreateListener on port %d: %v", port, err)
	}
	return out.Listeners[0]
}

// byName is an HTTP client that resolves load balancers' DNS names through
// the emulator, as /etc/hosts lines from GET /_emulator/hosts would.
func byName(emu *Emulator) *http.Client {
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, port, err := net.SplitHostPort(addr)
			if err != nil {
				return nil, err
			}
			if a, ok := emu.Resolve(host); ok {
				addr = net.JoinHostPort(a.String(), port)
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
}

func TestTwoLoadBalancersBothListenOnPort80(t *testing.T) {
	h := start(t, withPodDialMap)
	port := sharedPort(t)
	blue, green := newBackend(t, "127.244.40.1"), newBackend(t, "127.244.40.2")
	var names []string
	for _, b := range []*backend{blue, green} {
		tg := h.group()
		lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
		h.listenOn(lb, tg, port)
		h.register(tg, b.target())
		h.waitState(tg, b.key(), types.TargetHealthStateEnumHealthy, 3*time.Second)
		names = append(names, *lb.DNSName)
	}
	if names[0] == names[1] || !strings.HasSuffix(names[0], ".us-east-1.elb.amazonaws.com") {
		t.Fatalf("DNS names %v, want two of AWS's shape", names)
	}

	infos := h.emu.Listeners()
	if len(infos) != 2 || infos[0].Address == infos[1].Address {
		t.Fatalf("Listeners() = %+v, want two listeners at two addresses", infos)
	}
	for _, info := range infos {
		ap, err := netip.ParseAddrPort(info.Address)
		if err != nil || ap.Port() != uint16(port) || !DefaultLoadBalancerAddresses.Contains(ap.Addr()) || info.DNSName == "" {
			t.Fatalf("listener %+v, want port %d on an address of %s and a DNS name", info, port, DefaultLoadBalancerAddresses)
		}
	}
	hosts := h.emu.Hosts()
	for i, name := range names {
		a, ok := h.emu.Resolve(name)
		if !ok || !strings.Contains(hosts, a.String()+" "+name+"\n") {
			t.Fatalf("load balancer %d: Resolve(%s) = %s, %v; hosts:\n%s", i, name, a, ok, hosts)
		}
	}

	client := byName(h.emu)
	for i, b := range []*backend{blue, green} {
		url := "http://" + names[i] + ":" + strconv.Itoa(int(port)) + "/work"
		resp, err := client.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(body) != b.addr.String() {
			t.Fatalf("GET %s = %d %q, want 200 from %s", url, resp.StatusCode, body, b.addr)
		}
	}
}

func TestADeletedLoadBalancersAddressIsTakenAgain(t *testing.T) {
	h := start(t)
	lb := h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	first, _ := h.emu.Resolve(*lb.DNSName)
	if _, err := h.c.DeleteLoadBalancer(h.ctx, &elbv2.DeleteLoadBalancerInput{LoadBalancerArn: lb.LoadBalancerArn}); err != nil {
		t.Fatal(err)
	}
	if _, ok := h.emu.Resolve(*lb.DNSName); ok {
		t.Fatalf("a deleted load balancer still resolves")
	}
	next, _ := h.emu.Resolve(*h.loadBalancer(types.LoadBalancerTypeEnumApplication).DNSName)
	if next != first {
		t.Fatalf("the next load balancer took %s, want the freed %s", next, first)
	}
}

func TestRunningOutOfAddressesIsTooManyLoadBalancers(t *testing.T) {
	// A /30 of a range no other test uses holds two load balancers.
	h := start(t, func(c *Config) { c.LoadBalancerAddresses = mustPrefix("127.0.99.252/30") })
	h.loadBalancer(types.LoadBalancerTypeEnumApplication)
	h.loadBalancer(types.LoadBalancerTypeEnumNetwork)
	_, err := h.c.CreateLoadBalancer(h.ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String("third"), Type: types.LoadBalancerTypeEnumApplication})
	h.wantCode(err, "TooManyLoadBalancers")
}

func TestLoadBalancerAddressesMustBeALoopbackRange(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/24", "127.0.100.1/32", "::1/128"} {
		if _, err := New(Config{LoadBalancerAddresses: mustPrefix(bad)}); err == nil {
			t.Errorf("LoadBalancerAddresses %s accepted", bad)
		}
	}
}
