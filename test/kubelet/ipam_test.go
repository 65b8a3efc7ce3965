package kubelet

import (
	"fmt"
	"net/netip"
	"testing"
)

func TestIPAllocatorHandsOutUniqueUsableIPs(t *testing.T) {
	a := newIPAllocator(netip.MustParsePrefix("10.244.0.0/28"), noClaims) // 16 addresses, 13 usable
	seen := map[netip.Addr]bool{}
	for i := range 13 {
		ip, err := a.Allocate(fmt.Sprintf("pod-%d", i))
		if err != nil {
			t.Fatalf("allocation %d: %v", i, err)
		}
		if seen[ip] {
			t.Fatalf("allocation %d returned %s twice", i, ip)
		}
		seen[ip] = true
		for _, reserved := range []string{"10.244.0.0", "10.244.0.1", "10.244.0.15"} {
			if ip == netip.MustParseAddr(reserved) {
				t.Fatalf("allocated reserved address %s", ip)
			}
		}
	}
	if _, err := a.Allocate("one-too-many"); err == nil {
		t.Fatal("allocating from an exhausted CIDR succeeded")
	}
}

func TestIPAllocatorIsIdempotentPerOwner(t *testing.T) {
	a := newIPAllocator(netip.MustParsePrefix("10.244.0.0/16"), noClaims)
	first, _ := a.Allocate("pod-a")
	again, _ := a.Allocate("pod-a")
	if first != again {
		t.Errorf("second allocation for the same pod gave %s, want %s", again, first)
	}
}

func TestIPAllocatorDoesNotReuseAReleasedIPAtOnce(t *testing.T) {
	a := newIPAllocator(netip.MustParsePrefix("10.244.0.0/16"), noClaims)
	first, _ := a.Allocate("pod-a")
	a.Release(first, "pod-a")
	next, _ := a.Allocate("pod-b")
	if next == first {
		t.Errorf("released IP %s was handed out again at once", first)
	}
}

func TestIPAllocatorReleaseByAnotherOwnerKeepsTheIP(t *testing.T) {
	a := newIPAllocator(netip.MustParsePrefix("10.244.0.0/29"), noClaims) // 5 usable
	held, _ := a.Allocate("pod-a")
	a.Release(held, "pod-b")
	for i := range 4 {
		ip, err := a.Allocate(fmt.Sprintf("other-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if ip == held {
			t.Fatalf("IP %s still held by pod-a was given to other-%d", held, i)
		}
	}
}

func TestIPAllocatorReserve(t *testing.T) {
	tests := map[string]struct {
		ip      string
		owner   string
		wantErr bool
	}{
		"free IP in the CIDR is kept":       {"10.244.7.7", "pod-b", false},
		"IP held by the same owner is kept": {"10.244.0.9", "pod-a", false},
		"IP held by another pod is refused": {"10.244.0.9", "pod-b", true},
		"IP outside the CIDR is refused":    {"10.1.0.9", "pod-b", true},
		"network address is refused":        {"10.244.0.0", "pod-b", true},
		"gateway address is refused":        {"10.244.0.1", "pod-b", true},
		"broadcast address is refused":      {"10.244.255.255", "pod-b", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := newIPAllocator(netip.MustParsePrefix("10.244.0.0/16"), noClaims)
			if err := a.Reserve(netip.MustParseAddr("10.244.0.9"), "pod-a"); err != nil {
				t.Fatal(err)
			}
			err := a.Reserve(netip.MustParseAddr(tc.ip), tc.owner)
			if (err != nil) != tc.wantErr {
				t.Errorf("Reserve(%s, %s) error = %v, want error %v", tc.ip, tc.owner, err, tc.wantErr)
			}
		})
	}
}

func TestIPAllocatorSkipsReservedIPs(t *testing.T) {
	a := newIPAllocator(netip.MustParsePrefix("10.244.0.0/16"), noClaims)
	if err := a.Reserve(netip.MustParseAddr("10.244.0.2"), "survivor"); err != nil {
		t.Fatal(err)
	}
	ip, _ := a.Allocate("new-pod")
	if ip == netip.MustParseAddr("10.244.0.2") {
		t.Errorf("allocated %s, which a surviving pod holds", ip)
	}
}

func TestIPAllocatorSkipsIPsClaimedByAnotherKubelet(t *testing.T) {
	claims, err := newFileClaims(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other := newIPAllocator(netip.MustParsePrefix("10.244.0.0/16"), claims.Claim)
	mine := newIPAllocator(netip.MustParsePrefix("10.244.0.0/16"), claims.Claim)
	theirs, err := other.Allocate("their-pod")
	if err != nil {
		t.Fatal(err)
	}
	got, err := mine.Allocate("my-pod")
	if err != nil {
		t.Fatal(err)
	}
	if got == theirs {
		t.Fatalf("both kubelets got %s", got)
	}
	if err := mine.Reserve(theirs, "my-other-pod"); err == nil {
		t.Errorf("reserved %s, which another kubelet holds", theirs)
	}
	other.ReleaseAll()
	if err := mine.Reserve(theirs, "my-other-pod"); err != nil {
		t.Errorf("reserving %s after the other kubelet let go: %v", theirs, err)
	}
}
