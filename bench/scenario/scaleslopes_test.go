package scenario

import "testing"

func TestParseRcharReadsTheBytesReadLine(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    int64
		wantErr bool
	}{
		"rchar among the other counters": {in: "rchar: 123456\nwchar: 99\nsyscr: 10\nread_bytes: 4096\n", want: 123456},
		"no rchar line is an error":      {in: "wchar: 99\n", wantErr: true},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseRchar([]byte(tc.in))
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("parseRchar = %d, %v; want %d, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestScaleSizesFitThePodCIDR(t *testing.T) {
	// podIP hands out 254 addresses of each of 256 /24s; past them the
	// addresses would repeat and endpoints of two groups would collide.
	for name, scale := range map[string]Scale{"full": FullScale(), "quick": QuickScale()} {
		t.Run(name, func(t *testing.T) {
			s := scaleSizeOf(scale)
			if got := s.Bindings * s.Endpoints; got > 254*256 {
				t.Fatalf("%d x %d = %d endpoints do not fit the pod CIDR's %d addresses", s.Bindings, s.Endpoints, got, 254*256)
			}
		})
	}
}
