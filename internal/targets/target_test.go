package targets

import (
	"net/netip"
	"testing"
)

func TestTargetStringParsesBack(t *testing.T) {
	cases := map[string]struct {
		target Target
		text   string
	}{
		"ipv4 target":                    {Target{IP: netip.MustParseAddr("10.0.0.1"), Port: 8080}, "10.0.0.1:8080"},
		"ipv6 target keeps its brackets": {Target{IP: netip.MustParseAddr("fd00::1"), Port: 80}, "[fd00::1]:80"},
		"target outside the VPC carries its zone": {
			Target{IP: netip.MustParseAddr("192.168.0.1"), Port: 80, AvailabilityZone: "all"}, "192.168.0.1:80/all"},
		"instance target is its instance ID on its port": {Target{Instance: "i-0123456789abcdef0", Port: 30080}, "i-0123456789abcdef0:30080"},
		"instance target with an 8-digit ID":             {Target{Instance: "i-01234567", Port: 30080, AvailabilityZone: "us-east-1a"}, "i-01234567:30080/us-east-1a"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := tc.target.String(); got != tc.text {
				t.Fatalf("String() = %q, want %q", got, tc.text)
			}
			back, err := Parse(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if back != tc.target {
				t.Fatalf("Parse(%q) = %#v, want %#v", tc.text, back, tc.target)
			}
		})
	}
}

func TestParseIDRefusesWhatIsNeitherAnIPNorAnInstance(t *testing.T) {
	for _, id := range []string{
		"arn:aws:lambda:us-east-1:123456789012:function:f",
		"i-XYZ",
		"i-0123456789abcdef",
		"ip-10-0-0-1.ec2.internal",
		"",
	} {
		if got, err := ParseID(id, 80, ""); err == nil {
			t.Errorf("ParseID(%q) = %v, want an error", id, got)
		}
	}
}

func TestKeysOfAnInstanceAndAnIPNeverMeet(t *testing.T) {
	ip := Target{IP: netip.MustParseAddr("10.0.0.1"), Port: 80}
	inst := Target{Instance: "i-0123456789abcdef0", Port: 80}
	if ip.Key() == inst.Key() {
		t.Fatal("an ip target and an instance target share a key")
	}
	if inst.Key() != (Target{Instance: "i-0123456789abcdef0", Port: 80, AvailabilityZone: "us-east-1a"}).Key() {
		t.Fatal("the zone AWS adds changes an instance target's key")
	}
}
