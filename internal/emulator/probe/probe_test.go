package probe

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/emulator/dial"
)

func TestMatches(t *testing.T) {
	cases := map[string]struct {
		matcher string
		code    int
		want    bool
	}{
		"empty matcher means 200":         {"", 200, true},
		"empty matcher rejects 204":       {"", 204, false},
		"code inside a range matches":     {"200-299", 204, true},
		"code outside a range fails":      {"200-299", 302, false},
		"code in a list matches":          {"200,302", 302, true},
		"code missing from a list fails":  {"200,302", 301, false},
		"list mixing codes and ranges":    {"200, 300-399", 301, true},
		"server error never matches 2xxs": {"200-299", 503, false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := Matches(tc.matcher, tc.code); got != tc.want {
				t.Fatalf("Matches(%q, %d) = %v, want %v", tc.matcher, tc.code, got, tc.want)
			}
		})
	}
}

func TestProbe(t *testing.T) {
	var status, delay atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(delay.Load()))
		if r.URL.Path != "/healthz" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	live := netip.MustParseAddrPort(srv.Listener.Addr().String())

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := netip.MustParseAddrPort(closed.Addr().String())
	closed.Close()

	d, err := dial.New(nil, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	p := New(d)
	defer p.Close()

	cases := map[string]struct {
		spec       Spec
		addr       netip.AddrPort
		status     int
		delay      time.Duration
		wantOK     bool
		wantReason string
	}{
		"http 200 on the path is healthy":      {Spec{Protocol: "HTTP", Path: "/healthz", Matcher: "200", Timeout: time.Second}, live, 200, 0, true, ""},
		"http 503 is a response code mismatch": {Spec{Protocol: "HTTP", Path: "/healthz", Matcher: "200", Timeout: time.Second}, live, 503, 0, false, ReasonResponseCodeMismatch},
		"slow answer is a timeout":             {Spec{Protocol: "HTTP", Path: "/healthz", Matcher: "200", Timeout: 50 * time.Millisecond}, live, 200, 200 * time.Millisecond, false, ReasonTimeout},
		"refused connection fails the check":   {Spec{Protocol: "HTTP", Path: "/", Timeout: time.Second}, dead, 200, 0, false, ReasonFailedHealthChecks},
		"tcp connect to a listener is healthy": {Spec{Protocol: "TCP", Timeout: time.Second}, live, 200, 0, true, ""},
		"tcp connect refused fails the check":  {Spec{Protocol: "TCP", Timeout: time.Second}, dead, 200, 0, false, ReasonFailedHealthChecks},
		"non-loopback target is never dialed":  {Spec{Protocol: "TCP", Timeout: time.Second}, netip.MustParseAddrPort("10.0.0.1:80"), 200, 0, false, ReasonFailedHealthChecks},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			status.Store(int64(tc.status))
			delay.Store(int64(tc.delay))
			got := p.Probe(context.Background(), tc.spec, tc.addr)
			if got.Healthy != tc.wantOK || got.Reason != tc.wantReason {
				t.Fatalf("Probe = %+v, want healthy=%v reason=%q", got, tc.wantOK, tc.wantReason)
			}
		})
	}
}
