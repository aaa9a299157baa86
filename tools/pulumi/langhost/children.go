package main

// Child processes. Every process the host starts (programs, plugins, pip, `python -m venv`,
// `python --version`) is started and waited for here, so that none outlives the request that started
// it or the host itself:
//
//   - Each child leads a process group of its own (Setpgid). The engine stops the host by sending
//     SIGINT to the host's process group, and a terminal's Ctrl-C goes to the foreground group. With a
//     group of its own, a Python program gets neither: Python would turn that SIGINT into a
//     KeyboardInterrupt traceback. The host alone decides how to stop it.
//   - When the request or the host ends, the child's whole group (the child and whatever it started
//     that stayed in its group) gets the child's stop signal, then SIGKILL after childStopGrace.
//   - On Linux the kernel SIGKILLs a child whose host died without stopping it (Pdeathsig), for
//     example when the host itself was SIGKILLed.
//   - When the host exits, it SIGKILLs the groups of children that are still running (killAll).

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// childStopGrace is how long a child's process group gets between its stop signal and SIGKILL. The
// engine SIGKILLs the host's own process group 5 s after its SIGINT, so the host must have stopped
// its children (which are in groups of their own) before then.
const childStopGrace = 3 * time.Second

// children tracks the children that are running, by pid. A child leads its own process group, so its
// pid is also the group id. A pid is in running from just after the fork until Wait has reaped the
// child; while it is there, the pid (and so the group id) cannot belong to another process.
type children struct {
	mu      sync.Mutex
	running map[int]struct{}
}

func newChildren() *children {
	return &children{running: map[int]struct{}{}}
}

// command prepares name+args to run as a child. When ctx ends, the child's process group gets stop
// (programs: SIGTERM, which Python does not turn into a traceback; plugins and pip: SIGINT, so they
// can clean up), then SIGKILL after childStopGrace. WaitDelay also stops Wait from hanging on a
// pipe that an escaped grandchild keeps open.
func (c *children) command(ctx context.Context, stop syscall.Signal, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = childSysProcAttr()
	cmd.Cancel = func() error {
		pid := cmd.Process.Pid
		if !c.signal(pid, stop) {
			return os.ErrProcessDone
		}
		time.AfterFunc(childStopGrace, func() { c.signal(pid, syscall.SIGKILL) })
		return nil
	}
	cmd.WaitDelay = childStopGrace + time.Second
	return cmd
}

// run starts cmd (made by command) and waits for it, like cmd.Run.
func (c *children) run(cmd *exec.Cmd) error {
	// Pdeathsig fires when the thread that forked the child ends, not the process. Go may end an
	// idle thread, so keep this goroutine on its thread for as long as the child runs.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	// Holding mu across Start means cmd.Cancel (which takes mu) cannot miss a child that has just
	// been forked but not yet recorded.
	c.mu.Lock()
	err := cmd.Start()
	if err == nil {
		c.running[cmd.Process.Pid] = struct{}{}
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	err = cmd.Wait()
	c.mu.Lock()
	delete(c.running, cmd.Process.Pid)
	c.mu.Unlock()
	return err
}

// output runs cmd and returns its stdout, like cmd.Output (stderr is kept in an *exec.ExitError).
func (c *children) output(cmd *exec.Cmd) ([]byte, error) {
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := c.run(cmd)
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		exitErr.Stderr = stderr.Bytes()
	}
	return stdout.Bytes(), err
}

// signal sends sig to the process group of the running child pid; false when pid is not running.
func (c *children) signal(pid int, sig syscall.Signal) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.running[pid]; !ok {
		return false
	}
	return syscall.Kill(-pid, sig) == nil
}

// killAll SIGKILLs the process group of every child that is still running. The host calls it on its
// way out, after giving the children their stop signal and grace period.
func (c *children) killAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for pid := range c.running {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}
