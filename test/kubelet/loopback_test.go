package kubelet

import (
	"net/netip"
	"testing"
)

func TestLoopbackMapping(t *testing.T) {
	m, err := newLoopbackMapper(netip.MustParsePrefix("10.244.0.0/16"), netip.MustParsePrefix("127.244.0.0/16"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		in, want string
	}{
		"pod IP keeps its host bits":             {"10.244.3.7", "127.244.3.7"},
		"highest pod IP maps to highest address": {"10.244.255.254", "127.244.255.254"},
		"loopback address passes through":        {"127.0.0.1", "127.0.0.1"},
		"IPv4-mapped IPv6 pod IP is unmapped":    {"::ffff:10.244.1.2", "127.244.1.2"},
		"address outside pod CIDR is refused":    {"10.245.0.1", "invalid IP"},
		"public address is refused":              {"8.8.8.8", "invalid IP"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := m.toLoopback(netip.MustParseAddr(tc.in)).String(); got != tc.want {
				t.Errorf("toLoopback(%s) = %s, want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestLoopbackMapperRejectsCIDRsThatCannotMap(t *testing.T) {
	tests := map[string]struct{ pods, loopback string }{
		"different lengths":       {"10.244.0.0/16", "127.244.0.0/24"},
		"target is not loopback":  {"10.244.0.0/16", "10.245.0.0/16"},
		"pod CIDR larger than /8": {"10.0.0.0/7", "127.0.0.0/7"},
		"IPv6 pod CIDR":           {"fd00::/112", "127.244.0.0/16"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := newLoopbackMapper(netip.MustParsePrefix(tc.pods), netip.MustParsePrefix(tc.loopback)); err == nil {
				t.Errorf("newLoopbackMapper(%s, %s) succeeded, want an error", tc.pods, tc.loopback)
			}
		})
	}
}

func TestKubeletLoopbackAddrUsesConfiguredCIDRs(t *testing.T) {
	k, err := New(nil, Config{PodCIDR: netip.MustParsePrefix("10.99.0.0/24"), LoopbackCIDR: netip.MustParsePrefix("127.5.5.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := k.LoopbackAddr(netip.MustParseAddr("10.99.0.42")), netip.MustParseAddr("127.5.5.42"); got != want {
		t.Errorf("LoopbackAddr = %s, want %s", got, want)
	}
}
