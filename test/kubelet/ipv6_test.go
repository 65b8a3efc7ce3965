package kubelet

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func TestIPv6PodAddresses(t *testing.T) {
	v4, v6 := corev1.IPv4Protocol, corev1.IPv6Protocol
	cases := map[string]struct {
		families []corev1.IPFamily
		slot     string
		want     []string
	}{
		"IPv4 only is the default":                     {nil, "10.244.3.7", []string{"10.244.3.7"}},
		"dual stack lists IPv4 first":                  {[]corev1.IPFamily{v4, v6}, "10.244.3.7", []string{"10.244.3.7", "fd00:10:244::307"}},
		"IPv6-primary dual stack lists IPv6 first":     {[]corev1.IPFamily{v6, v4}, "10.244.3.7", []string{"fd00:10:244::307", "10.244.3.7"}},
		"IPv6 only keeps the slot's host bits":         {[]corev1.IPFamily{v6}, "10.244.255.254", []string{"fd00:10:244::fffe"}},
		"the IPv6 address never reuses another's bits": {[]corev1.IPFamily{v6}, "10.244.0.2", []string{"fd00:10:244::2"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			cfg, err := Config{IPFamilies: tc.families}.Defaulted()
			if err != nil {
				t.Fatal(err)
			}
			m, err := cfg.mapper()
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ip := range cfg.podIPs(m, netip.MustParseAddr(tc.slot)) {
				got = append(got, ip.String())
				// Every address of the pod is served where its slot is.
				if lo, want := m.toLoopback(ip), m.toLoopback(netip.MustParseAddr(tc.slot)); lo != want {
					t.Errorf("toLoopback(%s) = %s, want %s, where the pod serves", ip, lo, want)
				}
				if s := m.slot(ip); s.String() != tc.slot {
					t.Errorf("slot(%s) = %s, want %s", ip, s, tc.slot)
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("pod IPs = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestIPv6ConfigurationIsChecked(t *testing.T) {
	cases := map[string]Config{
		"an unknown family":                   {IPFamilies: []corev1.IPFamily{"IPv5"}},
		"one family twice":                    {IPFamilies: []corev1.IPFamily{corev1.IPv6Protocol, corev1.IPv6Protocol}},
		"an IPv6 CIDR with other host bits":   {IPFamilies: []corev1.IPFamily{corev1.IPv6Protocol}, IPv6PodCIDR: netip.MustParsePrefix("fd00:10:244::/104")},
		"an IPv4 prefix as the IPv6 pod CIDR": {IPFamilies: []corev1.IPFamily{corev1.IPv6Protocol}, IPv6PodCIDR: netip.MustParsePrefix("10.0.0.0/16")},
	}
	for name, cfg := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := cfg.Defaulted(); err == nil {
				t.Fatalf("Defaulted accepted %+v", cfg)
			}
		})
	}
}

func TestDesiredStatusReportsEveryPodIP(t *testing.T) {
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}}}
	rt := podRuntime{
		IP:     netip.MustParseAddr("10.244.3.7"),
		PodIPs: []netip.Addr{netip.MustParseAddr("fd00:10:244::307"), netip.MustParseAddr("10.244.3.7")},
		HostIP: netip.MustParseAddr("127.0.10.1"),
		Ready:  map[string]bool{},
	}
	s := desiredStatus(pod, rt, time.Now())
	if s.PodIP != "fd00:10:244::307" || len(s.PodIPs) != 2 || s.PodIPs[0].IP != s.PodIP || s.PodIPs[1].IP != "10.244.3.7" {
		t.Fatalf("podIP %q, podIPs %v; want the IPv6 address primary and both listed", s.PodIP, s.PodIPs)
	}
}
