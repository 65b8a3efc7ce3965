package dial

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

func TestResolve(t *testing.T) {
	podToLoopback := []Mapping{{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")}}
	v6ToLoopback := []Mapping{{From: netip.MustParsePrefix("fd00:10:244::/112"), To: netip.MustParsePrefix("127.244.0.0/16")}}
	cases := map[string]struct {
		mappings []Mapping
		in       string
		want     string
		refused  bool
	}{
		"pod address is mapped onto loopback keeping host bits": {podToLoopback, "10.244.3.7:8080", "127.244.3.7:8080", false},
		"loopback address is dialed as given":                   {podToLoopback, "127.0.0.1:80", "127.0.0.1:80", false},
		"unmapped private address is refused":                   {podToLoopback, "10.1.2.3:80", "", true},
		"public address is refused without mappings":            {nil, "8.8.8.8:53", "", true},
		"non-octet-aligned prefix keeps host bits":              {[]Mapping{{From: netip.MustParsePrefix("10.0.0.0/12"), To: netip.MustParsePrefix("127.0.0.0/12")}}, "10.15.255.1:1", "127.15.255.1:1", false},
		"IPv6 pod address maps onto an IPv4 loopback range":     {v6ToLoopback, "[fd00:10:244::307]:8080", "127.244.3.7:8080", false},
		"IPv6 address outside the mapped prefix is refused":     {v6ToLoopback, "[fd00:10:245::307]:8080", "", true},
		"IPv6 loopback is dialed as given":                      {v6ToLoopback, "[::1]:80", "[::1]:80", false},
		"IPv6 mapping with unaligned host bits keeps them":      {[]Mapping{{From: netip.MustParsePrefix("fd00::/108"), To: netip.MustParsePrefix("127.16.0.0/12")}}, "[fd00::a:bcde]:1", "127.26.188.222:1", false},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			d, err := New(tc.mappings, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			got, err := d.Resolve(netip.MustParseAddrPort(tc.in))
			if tc.refused {
				if !errors.Is(err, ErrNotLoopback) {
					t.Fatalf("Resolve(%s) = %v, %v; want ErrNotLoopback", tc.in, got, err)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("Resolve(%s) = %v, %v; want %s", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestNewRejectsPrefixesWithDifferentHostBits(t *testing.T) {
	for name, m := range map[string]Mapping{
		"IPv4 prefixes of different lengths":        {From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.0.0.0/8")},
		"IPv6 prefix with more host bits than IPv4": {From: netip.MustParsePrefix("fd00:10:244::/96"), To: netip.MustParsePrefix("127.244.0.0/16")},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New([]Mapping{m}, time.Second); err == nil {
				t.Fatalf("New accepted %s=%s", m.From, m.To)
			}
		})
	}
}

func TestDialContextReachesMappedListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.244.0.9:0")
	if err != nil {
		t.Skipf("cannot listen on 127.244.0.9: %v", err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
	}()
	d, err := New([]Mapping{{From: netip.MustParsePrefix("10.244.0.0/16"), To: netip.MustParsePrefix("127.244.0.0/16")}}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	conn, err := d.DialContext(context.Background(), netip.AddrPortFrom(netip.MustParseAddr("10.244.0.9"), uint16(port)))
	if err != nil {
		t.Fatalf("dialing mapped pod address: %v", err)
	}
	conn.Close()
}
