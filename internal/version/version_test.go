package version

import (
	"runtime/debug"
	"testing"
)

func TestInfoString(t *testing.T) {
	cases := map[string]struct {
		bi   *debug.BuildInfo
		want string
	}{
		"a build from a clean commit names the commit and its time": {
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20260101120000-0123456789ab"}, Settings: []debug.BuildSetting{
				{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
				{Key: "vcs.revision", Value: "0123456789abcdef"}, {Key: "vcs.time", Value: "2026-01-01T12:00:00Z"}, {Key: "vcs.modified", Value: "false"},
			}},
			want: "tgc v0.0.0-20260101120000-0123456789ab commit 0123456789abcdef (2026-01-01T12:00:00Z) go1.26.8 linux/arm64",
		},
		"a build from a work tree with changes says modified": {
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3+dirty"}, Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"},
			}},
			want: "tgc v1.2.3+dirty commit abc modified go1.26.8",
		},
		"a build without version control information is devel of an unknown commit": {
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}},
			want: "tgc devel commit unknown go1.26.8",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			if got := FromBuildInfo(tc.bi).String("tgc"); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}
