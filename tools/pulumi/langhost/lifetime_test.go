package main

// How processes end (children.go, main.go): an interrupted Python program leaves no traceback; the
// host exits when its engine is gone (killed, or no longer answering); the children die with the
// host, and a child's stop reaches its whole process group.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// procGone: no such process, or a zombie that only waits to be reaped.
func procGone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	return fields[0] == "Z" || fields[0] == "X"
}

// procGroup is the process group of a running pid (field 5 of /proc/<pid>/stat).
func procGroup(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	pgrp, err := strconv.Atoi(strings.Fields(s[strings.LastIndex(s, ")")+2:])[2])
	if err != nil {
		t.Fatal(err)
	}
	return pgrp
}

// waitGone fails unless every named pid is gone within d.
func waitGone(t *testing.T, d time.Duration, pids map[string]int) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		var left []string
		for name, pid := range pids {
			if !procGone(pid) {
				left = append(left, fmt.Sprintf("%s (%d)", name, pid))
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, pid := range pids { // do not leave them behind
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			t.Fatalf("still running %v later: %s", d, strings.Join(left, ", "))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readPid waits for a file holding a pid (written by a test's child) and returns the pid.
func readPid(t *testing.T, path string) int {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for {
		if b, err := os.ReadFile(path); err == nil && strings.HasSuffix(string(b), "\n") {
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("no pid in %s after %v", path, testTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// runInBackground sends a Run for a program in venv (a fakeVenv) and ignores the answer: these
// tests look at processes, and the host may be gone before it answers.
func runInBackground(t *testing.T, client pulumirpc.LanguageRuntimeClient, venv string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pwd := t.TempDir()
	go func() {
		_, _ = client.Run(ctx, &pulumirpc.RunRequest{Pwd: pwd, Info: &pulumirpc.ProgramInfo{
			RootDirectory: pwd, ProgramDirectory: pwd, EntryPoint: ".",
			Options: options(t, map[string]any{"virtualenv": venv}),
		}})
	}()
}

// sleeper is a fakeVenv program that records its pid, its parent's (the host's) and that of a
// child it starts, then waits.
const sleeper = `echo $PPID > "$d/host.tmp" && mv "$d/host.tmp" "$d/host"
sleep 60 & echo $! > "$d/grandchild.tmp" && mv "$d/grandchild.tmp" "$d/grandchild"
echo $$ > "$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
wait`

// lockedBuffer collects a stream that is read by one goroutine while the test looks at it.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// --- Ctrl-C: no traceback -----------------------------------------------------------------------

const blockedProgram = `import os, time
print("ready", os.getpid(), flush=True)
time.sleep(60)
print("not interrupted", flush=True)
`

func noTraceback(t *testing.T, where, text string) {
	t.Helper()
	if strings.Contains(text, "Traceback") || strings.Contains(text, "KeyboardInterrupt") {
		t.Errorf("%s shows a Python traceback:\n%s", where, text)
	}
}

// TestCancelledProgramShowsNoTraceback: the real exec shim and SDK run a program that is busy when
// the engine calls Cancel (what it does before closing the host). It ends at once, quietly.
func TestCancelledProgramShowsNoTraceback(t *testing.T) {
	f := newE2E(t)
	type result struct {
		resp *pulumirpc.RunResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := f.client.Run(testContext(t), f.request(t, blockedProgram))
		done <- result{resp, err}
	}()
	deadline := time.Now().Add(testTimeout)
	for stdout, _ := f.output(); !strings.Contains(stdout, "ready"); stdout, _ = f.output() {
		if time.Now().After(deadline) {
			t.Fatalf("the program did not start: %s", stdout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := f.client.Cancel(testContext(t), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.resp.GetError() != "program was interrupted: context canceled" {
			t.Errorf("Run after Cancel = %v, %v; want the interrupted error", r.resp, r.err)
		}
	case <-time.After(childStopGrace):
		t.Fatalf("the program was still running %v after Cancel (SIGKILL comes after that)", childStopGrace)
	}
	stdout, stderr := f.output()
	noTraceback(t, "the program's stdout", stdout)
	noTraceback(t, "the program's stderr", stderr)
	noTraceback(t, "the engine log", f.engine.logText())
}

// TestEngineInterruptShowsNoTraceback: the engine stops the host by sending SIGINT to the host's
// process group (cmdutil.InterruptChildren), which is also where a second Ctrl-C leads. The program
// must not get that SIGINT (Python would print a KeyboardInterrupt traceback as program output);
// the host stops it, and exits.
func TestEngineInterruptShowsNoTraceback(t *testing.T) {
	venv := repoVenv(t)
	shim, err := os.ReadFile(sdkExecShim(t))
	if err != nil {
		t.Fatal(err)
	}
	bin, fakeShim := installHost(t)
	writeFile(t, filepath.Dir(fakeShim), execShimName, string(shim), 0o755)
	engine, address := serveFakeEngine(t)

	cmd := exec.Command(bin, address)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // as the engine starts plugins
	p := startHostCmd(t, cmd)
	var stdout lockedBuffer
	go func() {
		sc := bufio.NewScanner(p.stdout)
		for sc.Scan() {
			fmt.Fprintln(&stdout, sc.Text())
		}
	}()
	f := e2eFixture{engine: engine, address: address, client: p.client, venv: venv}
	go func() { _, _ = p.client.Run(context.Background(), f.request(t, blockedProgram)) }()

	var program int
	deadline := time.Now().Add(testTimeout)
	for program == 0 {
		if _, rest, ok := strings.Cut(stdout.String(), "ready "); ok && strings.Contains(rest, "\n") {
			program, err = strconv.Atoi(strings.TrimSpace(strings.SplitN(rest, "\n", 2)[0]))
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the program did not start; stdout: %s\nstderr: %s", stdout.String(), p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := procGroup(t, program); got == p.cmd.Process.Pid {
		t.Errorf("the program is in the host's process group %d; the engine's SIGINT reaches it", got)
	}

	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("host after the engine's SIGINT: %v, want exit code 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the host was still running 10s after the engine's SIGINT")
	}
	waitGone(t, time.Second, map[string]int{"program": program})
	noTraceback(t, "the host's stdout (program output)", stdout.String())
	noTraceback(t, "the host's stderr (program output)", p.stderr.String())
	noTraceback(t, "the engine log", engine.logText())
	if strings.Contains(stdout.String(), "not interrupted") {
		t.Errorf("the program ran to its end instead of being stopped")
	}
}

// --- the host ends with its engine --------------------------------------------------------------

// TestHostExitsWhenItsEngineIsKilled: `pulumi` is SIGKILLed (here: the shell that started the
// host, standing in for it). Within a few seconds the host, its program and the program's own child
// must be gone, although the engine address still answers.
func TestHostExitsWhenItsEngineIsKilled(t *testing.T) {
	bin, _ := installHost(t)
	address := serveOn(t, grpc.NewServer()).Target()
	parent := startHostCmd(t, exec.Command("sh", "-c", `"$@" & wait`, "sh", bin, address))
	venv := fakeVenv(t, sleeper)
	runInBackground(t, parent.client, venv)
	pids := map[string]int{
		"host":              readPid(t, filepath.Join(venv, "host")),
		"program":           readPid(t, filepath.Join(venv, "pid")),
		"program's child":   readPid(t, filepath.Join(venv, "grandchild")),
		"the killed parent": parent.cmd.Process.Pid,
	}
	if err := parent.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = parent.cmd.Wait()
	// About 0.5 s here: the host notices within parentPollInterval, and SIGTERM ends the program.
	waitGone(t, 5*time.Second, pids)
}

// TestHostExitsWhenTheEngineStopsAnswering: an engine that is not the host's parent (or is stuck)
// is found gone by the health check.
func TestHostExitsWhenTheEngineStopsAnswering(t *testing.T) {
	bin, _ := installHost(t)
	engine := grpc.NewServer()
	p := startHost(t, bin, serveOn(t, engine).Target())
	venv := fakeVenv(t, sleeper)
	runInBackground(t, p.client, venv)
	pids := map[string]int{
		"program":         readPid(t, filepath.Join(venv, "pid")),
		"program's child": readPid(t, filepath.Join(venv, "grandchild")),
	}
	engine.Stop()
	exited := make(chan error, 1)
	go func() { exited <- p.cmd.Wait() }()
	const within = 8 * time.Second // the health check (every 2 s), then the program's stop
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("host after its engine went away: %v, want exit code 0", err)
		}
	case <-time.After(within):
		t.Fatalf("the host was still running %v after its engine went away", within)
	}
	waitGone(t, time.Second, pids)
}

// TestChildrenDieWithAKilledHost: the host itself is SIGKILLed (the engine does that 5 s after a
// SIGINT the host did not act on). Its program must not stay behind.
func TestChildrenDieWithAKilledHost(t *testing.T) {
	bin, _ := installHost(t)
	p := startHost(t, bin)
	venv := fakeVenv(t, `echo $$ > "$d/pid.tmp" && mv "$d/pid.tmp" "$d/pid"
exec sleep 60`)
	runInBackground(t, p.client, venv)
	program := readPid(t, filepath.Join(venv, "pid"))
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, 2*time.Second, map[string]int{"program": program})
}

// --- children.go ----------------------------------------------------------------------------------

// startChild runs script with sh through c in the background; it returns the result channel.
func startChild(ctx context.Context, c *children, stop syscall.Signal, script string) chan error {
	done := make(chan error, 1)
	go func() { done <- c.run(c.command(ctx, stop, "sh", "-c", script)) }()
	return done
}

func TestChildStopReachesItsWholeGroup(t *testing.T) {
	c := newChildren()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startChild(ctx, c, syscall.SIGTERM, fmt.Sprintf(`sleep 60 & echo $! > %[1]s/gc.tmp; mv %[1]s/gc.tmp %[1]s/gc
echo $$ > %[1]s/pid.tmp; mv %[1]s/pid.tmp %[1]s/pid
wait`, dir))
	child, grandchild := readPid(t, filepath.Join(dir, "pid")), readPid(t, filepath.Join(dir, "gc"))
	if got := procGroup(t, child); got != child {
		t.Errorf("the child's process group is %d, want its own (%d)", got, child)
	}
	if got := procGroup(t, grandchild); got != child {
		t.Errorf("the grandchild's process group is %d, want the child's (%d)", got, child)
	}
	cancel()
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGTERM {
			t.Errorf("child after cancel: %v, want killed by SIGTERM", err)
		}
	case <-time.After(childStopGrace):
		t.Fatal("the child did not stop on SIGTERM")
	}
	waitGone(t, time.Second, map[string]int{"grandchild": grandchild})
}

func TestChildIgnoringItsStopSignalIsKilled(t *testing.T) {
	c := newChildren()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := startChild(ctx, c, syscall.SIGINT, fmt.Sprintf(`trap '' INT
echo $$ > %[1]s/pid.tmp; mv %[1]s/pid.tmp %[1]s/pid
while :; do sleep 0.1; done`, dir))
	readPid(t, filepath.Join(dir, "pid"))
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) || exitErr.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Errorf("child after cancel: %v, want killed by SIGKILL", err)
		}
		if took := time.Since(start); took < childStopGrace-500*time.Millisecond {
			t.Errorf("SIGKILL came %v after the stop signal, want about %v", took, childStopGrace)
		}
	case <-time.After(childStopGrace + 3*time.Second):
		t.Fatal("a child that ignores its stop signal was not killed")
	}
}

func TestKillAllKillsRunningChildren(t *testing.T) {
	c := newChildren()
	dir := t.TempDir()
	var dones []chan error
	for i := range 2 {
		dones = append(dones, startChild(context.Background(), c, syscall.SIGTERM, fmt.Sprintf(`trap '' INT TERM
echo $$ > %[1]s/%[2]d.tmp; mv %[1]s/%[2]d.tmp %[1]s/%[2]d
while :; do sleep 0.1; done`, dir, i)))
		readPid(t, filepath.Join(dir, strconv.Itoa(i)))
	}
	c.killAll()
	for _, done := range dones {
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("child after killAll: exit 0, want killed")
			}
		case <-time.After(2 * time.Second):
			t.Fatal("killAll left a child running")
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.running) != 0 {
		t.Errorf("children still listed as running after they ended: %v", c.running)
	}
}
