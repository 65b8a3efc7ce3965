package testcluster

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
)

const (
	dirPrefix = "tgc-testcluster-"
	ownerFile = "owner.pid"
)

// markOwner records which process owns a cluster directory, so that a later
// run can tell a dead run's directory from a live one's.
func markOwner(dir string) error {
	return os.WriteFile(filepath.Join(dir, ownerFile), []byte(strconv.Itoa(os.Getpid())), 0o600)
}

// removeLeftovers deletes the directories (etcd data, certificates, logs) of
// test binaries that died without running Stop, e.g. after a panic. Their
// processes are already gone through the parent-death signal; only files
// remain.
func removeLeftovers(log logr.Logger) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range dirs {
		raw, err := os.ReadFile(filepath.Join(dir, ownerFile))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
		if err != nil || pid <= 0 || !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			continue
		}
		if err := os.RemoveAll(dir); err == nil {
			log.V(1).Info("Removed a dead test cluster's files", "dir", dir, "ownerPID", pid)
		}
	}
}
