package testcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tgc-dev/targetgroupcontroller/test/process"
)

// defaultControllers are the kube-controller-manager controllers every test
// cluster runs; see the package doc for why each is there.
var defaultControllers = []string{"endpointslice", "deployment", "replicaset", "garbagecollector", "namespace"}

// controllerManager is a running kube-controller-manager.
type controllerManager struct {
	*process.Process
}

func startControllerManager(thread *processThread, binary, kubeconfig, dir string, extra []string, maxEndpointsPerSlice int) (*controllerManager, error) {
	controllers := slices.Clone(defaultControllers)
	for _, c := range extra {
		if !slices.Contains(controllers, c) {
			controllers = append(controllers, c)
		}
	}
	cmd := exec.Command(binary,
		"--kubeconfig="+kubeconfig,
		"--controllers="+strings.Join(controllers, ","),
		"--leader-elect=false",
		"--secure-port=0",
		// Controllers act with the admin kubeconfig; per-controller service
		// accounts would need the token controller and its signing key.
		"--use-service-account-credentials=false",
		// Publish EndpointSlice changes at once: the default batch period
		// is already 0, but say so, since rollout tests depend on it.
		"--endpointslice-updates-batch-period=0s",
		"--v=2",
	)
	if maxEndpointsPerSlice > 0 {
		cmd.Args = append(cmd.Args, fmt.Sprintf("--max-endpoints-per-slice=%d", maxEndpointsPerSlice))
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var p *process.Process
	var err error
	// Forked from the locked thread, so that its parent-death signal
	// fires only when Stop ends that thread (see the package doc).
	thread.do(func() { p, err = process.Start(cmd, filepath.Join(dir, "kube-controller-manager.log")) })
	if err != nil {
		return nil, err
	}
	return &controllerManager{p}, nil
}

// stop asks kube-controller-manager to exit and kills it if it has not
// within 5 s; nothing it does on the way out matters to a test.
func (cm *controllerManager) stop() error {
	if cm.Exited() {
		return cm.unexpectedExit()
	}
	_ = cm.Stop(5 * time.Second)
	return nil
}

// unexpectedExit explains an exit that stop did not ask for.
func (cm *controllerManager) unexpectedExit() error {
	tail := cm.logTail(4000)
	err := cm.Err()
	if err == nil {
		err = errors.New("exited with status 0")
	}
	return fmt.Errorf("kube-controller-manager exited early: %w; log tail:\n%s", err, tail)
}

// logTail returns up to the last n bytes of the log.
func (cm *controllerManager) logTail(n int) string {
	b, err := os.ReadFile(cm.LogPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", cm.LogPath, err)
	}
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// ControllerManagerLogTail returns the end of kube-controller-manager's log
// (at most n bytes), to explain a failed test. It is empty after Stop.
func (c *Cluster) ControllerManagerLogTail(n int) string {
	if c.cm == nil {
		return ""
	}
	return c.cm.logTail(n)
}
