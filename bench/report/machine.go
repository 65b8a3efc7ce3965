package report

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine is what the figures were measured on.
type Machine struct {
	Cores       int    `json:"cores"`
	MemoryBytes int64  `json:"memoryBytes"`
	Kernel      string `json:"kernel"`
	GoVersion   string `json:"goVersion"`
	CPUModel    string `json:"cpuModel,omitempty"`
	// LoadAverage is /proc/loadavg's 1-minute figure when the run began:
	// the CPU is shared, so a busy machine explains slow figures.
	LoadAverage string `json:"loadAverage,omitempty"`
}

// ThisMachine reads the machine from the runtime and /proc.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), GoVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.MemoryBytes = parseMemTotal(b)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = field(b, "model name")
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) > 0 {
			m.LoadAverage = f[0]
		}
	}
	return m
}

// parseMemTotal reads MemTotal (kB) from /proc/meminfo, in bytes.
func parseMemTotal(b []byte) int64 {
	v := field(b, "MemTotal")
	kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64)
	if err != nil {
		return 0
	}
	return kb * 1024
}

// field is the value of the first "key: value" line.
func field(b []byte, key string) string {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Commit is the checkout's short commit, with "-dirty" when the working
// tree has changes (new files included), so a figure names the code it was
// measured on. The benchmark's own outputs do not count: a rerun on a
// committed tree whose results were rewritten is still clean.
func Commit(ctx context.Context, dir string) (string, error) {
	head, err := git(ctx, dir, "rev-parse", "--short", "HEAD")
	if err != nil {
		return "", err
	}
	status, err := git(ctx, dir, "status", "--porcelain", "--", ".", ":(exclude)bench/results", ":(exclude)BENCHMARKS.md")
	if err != nil {
		return "", err
	}
	if status != "" {
		head += "-dirty"
	}
	return head, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out)), nil
}
