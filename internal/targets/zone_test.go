package targets

import (
	"net/netip"
	"testing"
)

func TestZoneFor(t *testing.T) {
	vpc := []netip.Prefix{netip.MustParsePrefix("10.50.0.0/16"), netip.MustParsePrefix("10.60.0.0/16")}
	cases := map[string]struct {
		ip       string
		vpc      []netip.Prefix
		wantZone string
		wantOK   bool
	}{
		"an address in the VPC's first CIDR needs no zone":        {ip: "10.50.3.4", vpc: vpc, wantOK: true},
		"an address in a secondary CIDR needs no zone":            {ip: "10.60.0.9", vpc: vpc, wantOK: true},
		"a pod of another VPC in 10/8 is registered in zone all":  {ip: "10.244.1.7", vpc: vpc, wantZone: ZoneAll, wantOK: true},
		"172.16/12 outside the VPC is registered in zone all":     {ip: "172.20.0.1", vpc: vpc, wantZone: ZoneAll, wantOK: true},
		"192.168/16 outside the VPC is registered in zone all":    {ip: "192.168.7.7", vpc: vpc, wantZone: ZoneAll, wantOK: true},
		"RFC 6598 shared space outside the VPC is in zone all":    {ip: "100.64.9.1", vpc: vpc, wantZone: ZoneAll, wantOK: true},
		"just past RFC 6598 is public and refused":                {ip: "100.128.0.1", vpc: vpc},
		"a public address outside the VPC is refused":             {ip: "203.0.113.10", vpc: vpc},
		"a public address inside the VPC's CIDR needs no zone":    {ip: "198.51.100.7", vpc: []netip.Prefix{netip.MustParsePrefix("198.51.100.0/24")}, wantOK: true},
		"an IPv4-mapped IPv6 address is judged as its IPv4":       {ip: "::ffff:10.244.1.7", vpc: vpc, wantZone: ZoneAll, wantOK: true},
		"an IPv6 address outside the VPC does not qualify":        {ip: "fd00::1", vpc: vpc},
		"with no VPC CIDR known every private address is outside": {ip: "10.50.3.4", wantZone: ZoneAll, wantOK: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			zone, ok := ZoneFor(netip.MustParseAddr(tc.ip), tc.vpc)
			if zone != tc.wantZone || ok != tc.wantOK {
				t.Errorf("ZoneFor(%s) = %q, %v; want %q, %v", tc.ip, zone, ok, tc.wantZone, tc.wantOK)
			}
		})
	}
}
