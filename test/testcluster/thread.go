package testcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
)

// processThread runs functions on one OS thread that stays alive until
// close. Linux delivers a child's parent-death signal when the *thread* that
// forked it exits (prctl(2) PR_SET_PDEATHSIG), and the Go runtime may end
// threads, so every server process is forked from this locked thread. When
// the test binary dies for any reason, the thread dies and the kernel kills
// the children.
type processThread struct {
	calls chan func()
	done  chan struct{}
}

func newProcessThread() *processThread {
	t := &processThread{calls: make(chan func()), done: make(chan struct{})}
	go func() {
		// Never unlocked: when this goroutine returns, its thread exits and
		// takes any child still running with it.
		runtime.LockOSThread()
		defer close(t.done)
		for f := range t.calls {
			f()
		}
	}()
	return t
}

// do runs f on the thread and waits for it.
func (t *processThread) do(f func()) {
	finished := make(chan struct{})
	t.calls <- func() {
		defer close(finished)
		f()
	}
	<-finished
}

func (t *processThread) close() {
	close(t.calls)
	<-t.done
}

// pdeathWrapper writes a script into dir that execs binary under setpriv
// with a parent-death signal, for processes whose exec.Cmd we do not own
// (envtest builds those). The exec keeps the PID, so envtest still signals
// the real server. Without setpriv the binary is used as is, and only
// Stop's own cleanup applies.
func pdeathWrapper(dir, binary string) (string, error) {
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return binary, nil
	}
	path := filepath.Join(dir, filepath.Base(binary))
	script := fmt.Sprintf("#!/bin/sh\nexec %q --pdeathsig KILL -- %q \"$@\"\n", setpriv, binary)
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		return "", fmt.Errorf("writing wrapper for %s: %w", binary, err)
	}
	return path, nil
}
