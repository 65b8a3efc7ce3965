// Package version tells which build of a binary is running, from the build
// information the Go toolchain embeds: the module version, the commit it was
// built from and the Go version. Every command prints it for --version.
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Set with -ldflags=-X by a build that cannot rely on the go command's
// stamping: it stamps nothing when .git is a file (a git worktree) or absent
// (an exported tree), so the image tool builds with -buildvcs=false and
// passes what git says here instead. The go command's stamp wins when both
// are there.
var (
	linkedVersion    string
	linkedCommit     string
	linkedCommitTime string
	linkedModified   string
)

// Info is what a binary knows about its own build.
type Info struct {
	// Version is the main module's version: a tag, a pseudo-version the go
	// command derives from the commit, or "devel" when it was built without
	// version control information (go run, -buildvcs=false, no .git).
	Version string
	// Commit is the vcs.revision the binary was built from; empty when
	// unknown.
	Commit string
	// CommitTime is the vcs.time of that commit, RFC 3339.
	CommitTime string
	// Modified says the work tree had uncommitted changes.
	Modified  bool
	GoVersion string
	Platform  string
}

// Get reads the running binary's build information.
func Get() Info {
	info := Info{Version: "devel", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := debug.ReadBuildInfo(); ok {
		info = FromBuildInfo(bi)
	}
	if info.Commit == "" && linkedCommit != "" {
		info.Commit, info.CommitTime, info.Modified = linkedCommit, linkedCommitTime, linkedModified == "true"
	}
	if info.Version == "devel" && linkedVersion != "" {
		info.Version = linkedVersion
	}
	return info
}

// LinkerFlags are the -X flags that give a binary built with
// -buildvcs=false the Info of i.
func (i Info) LinkerFlags() []string {
	const pkg = "github.com/tgc-dev/targetgroupcontroller/internal/version."
	return []string{
		"-X", pkg + "linkedVersion=" + i.Version,
		"-X", pkg + "linkedCommit=" + i.Commit,
		"-X", pkg + "linkedCommitTime=" + i.CommitTime,
		"-X", pkg + "linkedModified=" + fmt.Sprint(i.Modified),
	}
}

// FromBuildInfo reads the Info of any binary's build information, for
// example one read with debug/buildinfo from a file.
func FromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: "devel", GoVersion: bi.GoVersion}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		info.Version = v
	}
	var goos, goarch string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Commit = s.Value
		case "vcs.time":
			info.CommitTime = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		case "GOOS":
			goos = s.Value
		case "GOARCH":
			goarch = s.Value
		}
	}
	if goos != "" && goarch != "" {
		info.Platform = goos + "/" + goarch
	}
	return info
}

// String is the --version line of program, for example
//
//	targetgroupcontroller v0.0.0-20260101120000-0123456789ab commit 0123456789ab… (2026-01-01T12:00:00Z) go1.26.8 linux/amd64
func (i Info) String(program string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s commit ", program, i.Version)
	if i.Commit == "" {
		b.WriteString("unknown")
	} else {
		b.WriteString(i.Commit)
		if i.CommitTime != "" {
			fmt.Fprintf(&b, " (%s)", i.CommitTime)
		}
		if i.Modified {
			b.WriteString(" modified")
		}
	}
	fmt.Fprintf(&b, " %s", i.GoVersion)
	if i.Platform != "" {
		fmt.Fprintf(&b, " %s", i.Platform)
	}
	return b.String()
}
