package main

// Shared test helpers. Nothing here is skipped silently: a test that needs something the machine
// lacks (the repo's .venv, the pulumi sdk/v3 module in the module cache) fails and says how to get it.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// testTimeout bounds every RPC and child process a test starts, so a hang fails instead of blocking
// `make test` until go test's own 10-minute timeout.
const testTimeout = 60 * time.Second

// repoRoot is the checkout root (this package lives in tools/pulumi/langhost; go test runs tests
// in the package directory).
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "tools", "bootstrap.sh")); err != nil {
		t.Fatalf("cannot find the repository root from %s (expected tools/bootstrap.sh there): %v", root, err)
	}
	return root
}

// repoVenv is the project's virtualenv, created by tools/bootstrap.sh. Tests that need a real Python
// use it and only it, never whatever python3 happens to be on PATH.
func repoVenv(t *testing.T) string {
	t.Helper()
	venv := filepath.Join(repoRoot(t), ".venv")
	if _, err := os.Stat(filepath.Join(venv, "bin", "python")); err != nil {
		t.Fatalf("this test needs the project's Python virtualenv %s; create it with `make bootstrap` "+
			"(tools/bootstrap.sh): %v", venv, err)
	}
	return venv
}

// sdkExecShim is pulumi-language-python-exec from the pinned pulumi sdk/v3 module (the file that
// bootstrap installs next to the host).
func sdkExecShim(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/pulumi/pulumi/sdk/v3").Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("cannot locate the pulumi sdk/v3 module (run `make bootstrap`, which downloads it): %v %s",
			err, stderrOf(err))
	}
	shim := filepath.Join(dir, "python", "cmd", execShimName)
	if _, err := os.Stat(shim); err != nil {
		t.Fatalf("the pulumi sdk/v3 module has no %s: %v", execShimName, err)
	}
	return shim
}

func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}

// writeFile writes content to dir/name (creating parent directories) and returns the path.
func writeFile(t *testing.T, dir, name, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// fakeVenv creates a directory that looks like a virtualenv (bin/python exists) whose "python" is a
// shell script. The script records what it was started with into the virtualenv directory:
// argv (NUL-separated) in "args", its working directory in "cwd", its initial environment
// (NUL-separated, straight from /proc) in "env"; then it runs tail (shell code, e.g. "exit 7").
func fakeVenv(t *testing.T, tail string) string {
	t.Helper()
	venv := t.TempDir()
	script := fmt.Sprintf(`#!/bin/sh
d=%s
printf '%%s\0' "$@" > "$d/args"
pwd > "$d/cwd"
cat /proc/$$/environ > "$d/env"
%s
`, strconv.Quote(venv), tail)
	writeFile(t, venv, "bin/python", script, 0o755)
	return venv
}

// recorded is what a fakeVenv "python" saw.
type recorded struct {
	args []string
	cwd  string
	env  map[string]string
	raw  []string // env entries in order, duplicates kept
}

func readRecorded(t *testing.T, venv string) recorded {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(venv, name))
		if err != nil {
			t.Fatalf("the fake python in %s did not run (no %s): %v", venv, name, err)
		}
		return string(b)
	}
	r := recorded{env: map[string]string{}}
	r.args = splitNUL(read("args"))
	r.cwd = strings.TrimSpace(read("cwd"))
	r.raw = splitNUL(read("env"))
	for _, kv := range r.raw {
		k, v, _ := strings.Cut(kv, "=")
		r.env[k] = v
	}
	return r
}

func splitNUL(s string) []string {
	s = strings.TrimSuffix(s, "\x00")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\x00")
}

// serve starts h as a LanguageRuntime gRPC server on a loopback port and returns a client for it,
// the way the engine talks to the host.
func serve(t *testing.T, h *host) pulumirpc.LanguageRuntimeClient {
	t.Helper()
	srv := grpc.NewServer()
	pulumirpc.RegisterLanguageRuntimeServer(srv, h)
	return pulumirpc.NewLanguageRuntimeClient(serveOn(t, srv))
}

// serveOn serves srv on 127.0.0.1:<free port> until the test ends and returns a client connection.
func serveOn(t *testing.T, srv *grpc.Server) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// newTestHost is a host whose lifetime ends with the test.
func newTestHost(t *testing.T, execShim, engineAddress, tracing string) *host {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return newHost(ctx, execShim, engineAddress, tracing)
}

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// captureStdio points os.Stdout/os.Stderr at files for the rest of the test. Run hands the host's
// own stdout/stderr to the program (that is how the engine sees program output), so this is how a
// test sees what the program printed. The returned function reads what was captured so far.
func captureStdio(t *testing.T) func() (stdout, stderr string) {
	t.Helper()
	dir := t.TempDir()
	outF, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	errF, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	oldOut, oldErr := os.Stdout, os.Stderr
	os.Stdout, os.Stderr = outF, errF
	t.Cleanup(func() {
		os.Stdout, os.Stderr = oldOut, oldErr
		_ = outF.Close()
		_ = errF.Close()
	})
	return func() (string, string) {
		o, _ := os.ReadFile(outF.Name())
		e, _ := os.ReadFile(errF.Name())
		return string(o), string(e)
	}
}
