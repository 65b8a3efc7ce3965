package sample

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ClockTicks is the unit of utime and stime in /proc/<pid>/stat
// (sysconf(_SC_CLK_TCK), which `getconf CLK_TCK` prints); it is 100 on
// every Linux architecture Go supports, so it is not read at run time.
const ClockTicks = 100

// Proc is one reading of a process.
type Proc struct {
	RSSBytes int64 // VmRSS
	HWMBytes int64 // VmHWM: the peak RSS since the process started
	CPUTicks int64 // utime + stime, in ClockTicks
}

// ReadProc reads /proc/<pid>/status and /proc/<pid>/stat.
func ReadProc(pid int) (Proc, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Proc{}, fmt.Errorf("reading status of pid %d: %w", pid, err)
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return Proc{}, fmt.Errorf("reading stat of pid %d: %w", pid, err)
	}
	p, err := ParseStatus(status)
	if err != nil {
		return Proc{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	p.CPUTicks, err = ParseStatCPU(stat)
	if err != nil {
		return Proc{}, fmt.Errorf("pid %d: %w", pid, err)
	}
	return p, nil
}

// ParseStatus reads VmRSS and VmHWM (in kB, see proc(5)) from a
// /proc/<pid>/status file.
func ParseStatus(b []byte) (Proc, error) {
	var p Proc
	found := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(val)
		if len(fields) != 2 || fields[1] != "kB" {
			return Proc{}, fmt.Errorf("%s line %q is not \"<n> kB\"", key, val)
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return Proc{}, fmt.Errorf("%s: %w", key, err)
		}
		if key == "VmRSS" {
			p.RSSBytes = kb * 1024
		} else {
			p.HWMBytes = kb * 1024
		}
		found++
	}
	if found != 2 {
		return Proc{}, fmt.Errorf("status lacks VmRSS or VmHWM (a zombie has neither)")
	}
	return p, nil
}

// ParseStatCPU reads utime + stime (fields 14 and 15, see proc(5)) from a
// /proc/<pid>/stat line. The command name (field 2) may hold spaces and
// parentheses, so fields are counted after its last ')'.
func ParseStatCPU(b []byte) (int64, error) {
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("stat %q has no command name", s)
	}
	// After ")": field 3 (state) is rest[0], so field n is rest[n-3].
	rest := strings.Fields(s[i+1:])
	if len(rest) < 13 {
		return 0, fmt.Errorf("stat has %d fields after the command, want at least 13", len(rest))
	}
	utime, err := strconv.ParseInt(rest[14-3], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("utime: %w", err)
	}
	stime, err := strconv.ParseInt(rest[15-3], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("stime: %w", err)
	}
	return utime + stime, nil
}

// CPUSeconds converts ticks to seconds.
func CPUSeconds(ticks int64) float64 { return float64(ticks) / ClockTicks }
