package targets

import (
	"net/netip"
	"slices"
	"testing"
)

func many(n int) []Target {
	out := make([]Target, n)
	for i := range out {
		out[i] = Target{IP: netip.AddrFrom4([4]byte{10, 244, byte(i / 256), byte(i % 256)}), Port: 8080}
	}
	return out
}

func TestBatches(t *testing.T) {
	cases := map[string]struct {
		n, size   int
		wantSizes []int
	}{
		"450 targets make three calls of at most 200": {n: 450, size: 200, wantSizes: []int{200, 200, 50}},
		"exactly one full batch":                      {n: 200, size: 200, wantSizes: []int{200}},
		"nothing makes no calls":                      {n: 0, size: 200, wantSizes: nil},
		"size below one means the AWS maximum":        {n: 201, size: 0, wantSizes: []int{200, 1}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := many(tc.n)
			got := Batches(in, tc.size)
			var sizes []int
			var joined []Target
			for _, b := range got {
				sizes = append(sizes, len(b))
				joined = append(joined, b...)
			}
			if !slices.Equal(sizes, tc.wantSizes) {
				t.Errorf("batch sizes = %v, want %v", sizes, tc.wantSizes)
			}
			if !slices.Equal(joined, in) {
				t.Errorf("batches do not keep every target once and in order")
			}
		})
	}
}

func TestBatchesDoNotLetAppendOverwriteTheNextBatch(t *testing.T) {
	in := many(4)
	b := Batches(in, 2)
	_ = append(b[0], Target{IP: netip.MustParseAddr("192.0.2.1"), Port: 1})
	if b[1][0] != in[2] {
		t.Fatalf("appending to the first batch changed the second: %v", b[1][0])
	}
}
