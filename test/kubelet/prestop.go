package kubelet

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// preStopDuration is how long a container's preStop hook keeps the pod in
// its pre-SIGTERM phase. The loopback kubelet runs no processes, so it only
// understands hooks that sleep: the native sleep action (KEP-3960) and an exec
// of `sleep N`, directly or through `sh -c`, which is how most charts
// implement a drain delay. Any other hook is reported as an error and the
// kubelet skips it, as the real kubelet goes on after a failed hook.
func preStopDuration(c corev1.Container) (time.Duration, error) {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0, nil
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		if h.Sleep.Seconds < 0 {
			return 0, fmt.Errorf("container %s: preStop sleep of %d seconds is negative", c.Name, h.Sleep.Seconds)
		}
		return time.Duration(h.Sleep.Seconds) * time.Second, nil
	case h.Exec != nil:
		d, err := parseSleepCommand(h.Exec.Command)
		if err != nil {
			return 0, fmt.Errorf("container %s: preStop exec: %w", c.Name, err)
		}
		return d, nil
	default:
		return 0, fmt.Errorf("container %s: only sleep and exec sleep preStop hooks are supported", c.Name)
	}
}

// parseSleepCommand accepts ["sleep", "N"], ["/bin/sleep", "N"] and
// ["/bin/sh" or "sh" or "/bin/bash", "-c", "sleep N"]. N is seconds as the
// coreutils sleep takes it: a decimal number with an optional s/m/h suffix.
func parseSleepCommand(cmd []string) (time.Duration, error) {
	switch {
	case len(cmd) == 2 && isSleep(cmd[0]):
		return parseSleepArg(cmd[1])
	case len(cmd) == 3 && isShell(cmd[0]) && cmd[1] == "-c":
		fields := strings.Fields(cmd[2])
		if len(fields) == 2 && isSleep(fields[0]) {
			return parseSleepArg(fields[1])
		}
	}
	return 0, fmt.Errorf("command %q is not a sleep", cmd)
}

func isSleep(s string) bool { return s == "sleep" || s == "/bin/sleep" || s == "/usr/bin/sleep" }

func isShell(s string) bool {
	switch s {
	case "sh", "/bin/sh", "bash", "/bin/bash", "/usr/bin/sh", "/usr/bin/bash":
		return true
	}
	return false
}

func parseSleepArg(arg string) (time.Duration, error) {
	unit := time.Second
	num := arg
	if n := len(arg); n > 0 {
		switch arg[n-1] {
		case 's':
			num = arg[:n-1]
		case 'm':
			unit, num = time.Minute, arg[:n-1]
		case 'h':
			unit, num = time.Hour, arg[:n-1]
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("sleep argument %q is not a non-negative number", arg)
	}
	return time.Duration(f * float64(unit)), nil
}

// podPreStop is the longest preStop of the pod's containers: the kubelet runs
// the hooks of all containers in parallel and waits for every one.
func podPreStop(pod *corev1.Pod) (time.Duration, []error) {
	var longest time.Duration
	var errs []error
	for _, c := range pod.Spec.Containers {
		d, err := preStopDuration(c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		longest = max(longest, d)
	}
	return longest, errs
}
