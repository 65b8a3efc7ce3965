package drain

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ServingContainer returns the index of the container that serves the
// Service port: the one declaring the port the targetPort names (by name or
// number). A numbered targetPort need not be declared
// (https://kubernetes.io/docs/concepts/services-networking/service/#field-spec-ports),
// so a pod with a single container serves it with that one.
func ServingContainer(spec *corev1.PodSpec, sp corev1.ServicePort) (int, error) {
	target := sp.TargetPort
	if target.Type == intstr.Int && target.IntVal == 0 {
		// The API defaults an unset targetPort to the port itself.
		target = intstr.FromInt32(sp.Port)
	}
	for i, c := range spec.Containers {
		for _, p := range c.Ports {
			if (target.Type == intstr.String && p.Name == target.StrVal) || (target.Type == intstr.Int && p.ContainerPort == target.IntVal) {
				return i, nil
			}
		}
	}
	if target.Type == intstr.Int && len(spec.Containers) == 1 {
		return 0, nil
	}
	var have []string
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			have = append(have, fmt.Sprintf("%s:%d(%q)", c.Name, p.ContainerPort, p.Name))
		}
	}
	return -1, fmt.Errorf("the Service port %d targets port %s, which no container of the pod declares (declared: %v); declare it in the serving container's ports, or fix the Service's targetPort", sp.Port, target.String(), have)
}

// PreStopDuration is how long a container's preStop takes when that can be
// read from the pod: the sleep handler's seconds, or an exec of `sleep N`
// (directly or through `sh -c`). ok is false when it has no preStop or its
// length cannot be known (an HTTP call, a script).
func PreStopDuration(c *corev1.Container) (d time.Duration, has, ok bool) {
	if c.Lifecycle == nil || c.Lifecycle.PreStop == nil {
		return 0, false, false
	}
	h := c.Lifecycle.PreStop
	switch {
	case h.Sleep != nil:
		return time.Duration(h.Sleep.Seconds) * time.Second, true, true
	case h.Exec != nil:
		d, ok := execSleep(h.Exec.Command)
		return d, true, ok
	}
	return 0, true, false
}

// execSleep reads `sleep N` from an exec command: ["sleep", "N"], or a shell
// whose script is exactly "sleep N".
func execSleep(cmd []string) (time.Duration, bool) {
	if len(cmd) == 3 && (cmd[1] == "-c") {
		cmd = strings.Fields(cmd[2])
	}
	if len(cmd) != 2 || (cmd[0] != "sleep" && !strings.HasSuffix(cmd[0], "/sleep")) {
		return 0, false
	}
	s, err := strconv.ParseFloat(strings.TrimSuffix(cmd[1], "s"), 64)
	if err != nil || s < 0 {
		return 0, false
	}
	return time.Duration(s * float64(time.Second)), true
}

// ServicePort finds the Service port a binding's serviceRef.port names: a
// number matches spec.ports[].port, a string spec.ports[].name.
func ServicePort(ports []corev1.ServicePort, ref intstr.IntOrString) (corev1.ServicePort, bool) {
	for _, p := range ports {
		if (ref.Type == intstr.Int && p.Port == ref.IntVal) || (ref.Type == intstr.String && p.Name == ref.StrVal) {
			return p, true
		}
	}
	return corev1.ServicePort{}, false
}
