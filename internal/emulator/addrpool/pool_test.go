package addrpool

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPoolHandsOutEachAddressToOneOwnerAtATime(t *testing.T) {
	dir := t.TempDir()
	mine, err := New(netip.MustParsePrefix("127.0.100.0/30"), dir)
	if err != nil {
		t.Fatal(err)
	}
	other, err := New(netip.MustParsePrefix("127.0.100.0/30"), dir)
	if err != nil {
		t.Fatal(err)
	}
	a, releaseA, err := mine.Take()
	if err != nil || a != netip.MustParseAddr("127.0.100.1") {
		t.Fatalf("first Take = %s, %v; want 127.0.100.1", a, err)
	}
	b, releaseB, err := other.Take()
	if err != nil || b != netip.MustParseAddr("127.0.100.2") {
		t.Fatalf("a second pool on the same directory took %s, %v; want 127.0.100.2", b, err)
	}
	if _, _, err := mine.Take(); !errors.Is(err, ErrExhausted) {
		t.Fatalf("Take of a full /30 = %v, want ErrExhausted (no network or broadcast address)", err)
	}
	releaseA()
	if again, _, err := other.Take(); err != nil || again != a {
		t.Fatalf("after release, Take = %s, %v; want %s back", again, err, a)
	}
	releaseB()
}
