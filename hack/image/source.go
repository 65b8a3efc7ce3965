package image

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/internal/version"
)

// Describe reads the version, commit and commit time of the checkout at
// dir from git, and the time the image carries: SOURCE_DATE_EPOCH when
// set, else the commit time, so that two builds of one commit agree. Out of
// a git checkout the commit is unknown and the time is the epoch's start.
func Describe(dir string) (version.Info, time.Time, error) {
	info := version.Info{Version: "devel"}
	var created time.Time
	if rev, err := git(dir, "rev-parse", "HEAD"); err == nil {
		info.Commit = rev
		ct, err := git(dir, "log", "-1", "--format=%ct", "HEAD")
		if err != nil {
			return info, created, err
		}
		secs, err := strconv.ParseInt(ct, 10, 64)
		if err != nil {
			return info, created, fmt.Errorf("commit time %q: %w", ct, err)
		}
		created = time.Unix(secs, 0).UTC()
		info.CommitTime = created.Format(time.RFC3339)
		// Untracked files count, as they do for the go command's
		// vcs.modified; bin/ is ignored, so the build's own output does not.
		status, err := git(dir, "status", "--porcelain")
		if err != nil {
			return info, created, err
		}
		info.Modified = status != ""
		info.Version = pseudoVersion(created, rev)
		if tag, err := git(dir, "describe", "--tags", "--exact-match", "HEAD"); err == nil {
			info.Version = tag
		}
		if info.Modified {
			info.Version += "+dirty"
		}
	}
	if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
		secs, err := strconv.ParseInt(epoch, 10, 64)
		if err != nil {
			return info, created, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", epoch, err)
		}
		created = time.Unix(secs, 0).UTC()
	}
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	return info, created, nil
}

// pseudoVersion is the version the go command gives an untagged commit of
// a v0 module, so that the image's label and `go version -m` agree.
func pseudoVersion(t time.Time, rev string) string {
	if len(rev) > 12 {
		rev = rev[:12]
	}
	return "v0.0.0-" + t.UTC().Format("20060102150405") + "-" + rev
}

func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
