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
)

// defaultControllers are the kube-controller-manager controllers every test
// cluster runs; see the package doc for why each is there.
var defaultControllers = []string{"endpointslice", "deployment", "replicaset", "garbagecollector", "namespace"}

// controllerManager is a running kube-controller-manager.
type controllerManager struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	err     error // set before exited closes
}

func startControllerManager(thread *processThread, binary, kubeconfig, dir string, extra []string) (*controllerManager, error) {
	logPath := filepath.Join(dir, "kube-controller-manager.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating kube-controller-manager log: %w", err)
	}
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
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	thread.do(func() { err = cmd.Start() })
	if err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting kube-controller-manager: %w", err)
	}
	cm := &controllerManager{cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	go func() {
		cm.err = cmd.Wait()
		_ = logFile.Close()
		close(cm.exited)
	}()
	return cm, nil
}

// stop asks kube-controller-manager to exit and kills it if it has not
// within a few seconds.
func (cm *controllerManager) stop() error {
	select {
	case <-cm.exited:
		return cm.unexpectedExit()
	default:
	}
	_ = cm.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-cm.exited:
	case <-time.After(5 * time.Second):
		_ = cm.cmd.Process.Kill()
		<-cm.exited
	}
	return nil
}

// unexpectedExit explains an exit that stop did not ask for.
func (cm *controllerManager) unexpectedExit() error {
	tail := cm.logTail(4000)
	err := cm.err
	if err == nil {
		err = errors.New("exited with status 0")
	}
	return fmt.Errorf("kube-controller-manager exited early: %w; log tail:\n%s", err, tail)
}

// logTail returns up to the last n bytes of the log.
func (cm *controllerManager) logTail(n int) string {
	b, err := os.ReadFile(cm.logPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", cm.logPath, err)
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
