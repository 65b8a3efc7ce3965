// Package process runs the binaries that tests, benchmarks and the demo
// start as their own processes (tgc's controller, kube-controller-manager):
// with their output in a log file, dying with their parent, and stopped the
// way the kubelet stops a container, SIGTERM first and SIGKILL after a
// grace period.
package process

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Process is a started child process.
type Process struct {
	Cmd     *exec.Cmd
	LogPath string
	// Started is when Start asked the OS to start the process.
	Started time.Time

	done chan struct{}
	err  error // cmd.Wait's result, set before done closes
}

// Start starts cmd with its stdout and stderr appended to logPath (created
// if missing) and a parent-death signal, SIGKILL, so that the child never
// outlives its parent, even one that is killed. Linux sends that signal
// when the OS thread that forked the child exits: a caller whose threads
// may end (one that runs on a locked thread) calls Start on a thread it
// keeps alive.
func Start(cmd *exec.Cmd, logPath string) (*Process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the log of %s: %w", cmd.Path, err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	started := time.Now()
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &Process{Cmd: cmd, LogPath: logPath, Started: started, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		_ = logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process's ID.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Done is closed once the process has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is how the process exited (cmd.Wait's error); valid once Done is
// closed.
func (p *Process) Err() error { return p.err }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Stop sends SIGTERM, as the kubelet does when a pod is deleted, waits up
// to grace for the process to exit and kills it if it has not. It returns
// an error only when the process had to be killed. A process that has
// already exited is left alone.
func (p *Process) Stop(grace time.Duration) error {
	if p.Exited() {
		return nil
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(grace):
		_ = p.Cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s (pid %d) ignored SIGTERM for %s and was killed", p.Cmd.Path, p.Pid(), grace)
	}
}

// Kill sends SIGKILL, as `kill -9` or the OOM killer does: the process gets
// no chance to finish what it was doing. It returns once the process has
// exited.
func (p *Process) Kill() {
	if p.Exited() {
		return
	}
	_ = p.Cmd.Process.Kill()
	<-p.done
}

// LogTail is the end of the process's log, at most lines lines, to explain
// a failure.
func (p *Process) LogTail(lines int) string {
	b, err := os.ReadFile(p.LogPath)
	if err != nil {
		return fmt.Sprintf("(reading %s: %v)", p.LogPath, err)
	}
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// FreePort returns a loopback TCP port that was free a moment ago. Another
// process may take it before the caller binds it; the window is short
// enough for tests on one machine.
func FreePort() (int, error) { return freePort("127.0.0.1:0") }

// FreePortAllInterfaces returns a TCP port free on every address, for a
// server that listens on all of them (the controller's webhook server has
// no host flag): a port free on 127.0.0.1 may be held on another loopback
// address, such as an emulated load balancer's.
func FreePortAllInterfaces() (int, error) { return freePort(":0") }

func freePort(addr string) (int, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("finding a free port on %s: %w", addr, err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
