package main

// The host as a process (main.go): the plugin protocol the engine relies on. The test binary doubles
// as the host: started with LANGHOST_TEST_AS_BINARY=1 it runs main() instead of the tests.

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestMain(m *testing.M) {
	if os.Getenv("LANGHOST_TEST_AS_BINARY") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// installHost puts a copy of the test binary, named like the real plugin, in a fresh directory
// next to an exec shim, the way bootstrap installs the host.
func installHost(t *testing.T) (bin, shim string) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin = filepath.Join(dir, "pulumi-language-python")
	if err := os.Link(self, bin); err != nil { // a copy when /tmp is another filesystem
		src, err := os.ReadFile(self)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, "pulumi-language-python", string(src), 0o755)
	}
	shim = writeFile(t, dir, execShimName, "# stands in for the real shim\n", 0o755)
	return bin, shim
}

type hostProcess struct {
	cmd    *exec.Cmd
	stdout *bufio.Reader
	stderr *bytes.Buffer
	port   string
	client pulumirpc.LanguageRuntimeClient
}

// startHost starts the host binary with args and reads the port it announces.
func startHost(t *testing.T, bin string, args ...string) *hostProcess {
	t.Helper()
	return startHostCmd(t, exec.Command(bin, args...))
}

// startHostCmd starts cmd, which runs the host binary (itself or as a child that inherits its
// stdout), and reads the port the host announces.
func startHostCmd(t *testing.T, cmd *exec.Cmd) *hostProcess {
	t.Helper()
	cmd.Env = append(os.Environ(), "LANGHOST_TEST_AS_BINARY=1")
	// Wait also waits for the copy of stderr, which a host outliving cmd would keep open forever.
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &hostProcess{cmd: cmd, stdout: bufio.NewReader(out), stderr: &bytes.Buffer{}}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	lineCh := make(chan string, 1)
	go func() { l, _ := p.stdout.ReadString('\n'); lineCh <- l }()
	select {
	case line := <-lineCh:
		// Plugin protocol: the very first stdout line is the port, and nothing comes before it.
		if !regexp.MustCompile(`^[0-9]+\n$`).MatchString(line) {
			t.Fatalf("first stdout line = %q, want the port number; stderr: %s", line, p.stderr)
		}
		p.port = strings.TrimSpace(line)
	case <-time.After(testTimeout):
		t.Fatalf("the host printed no port within %v; stderr: %s", testTimeout, p.stderr)
	}
	conn, err := grpc.NewClient("127.0.0.1:"+p.port, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	p.client = pulumirpc.NewLanguageRuntimeClient(conn)
	return p
}

// stop sends sig and expects a clean exit (code 0) soon after; it returns the rest of stdout.
func (p *hostProcess) stop(t *testing.T, sig os.Signal) string {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, _ := io.ReadAll(p.stdout) // all of stdout before Wait, which closes the pipe
		done <- result{string(b), p.cmd.Wait()}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("host after %v: %v, want exit code 0; stderr: %s", sig, r.err, p.stderr)
		}
		return r.out
	case <-time.After(10 * time.Second):
		t.Fatalf("host still running 10s after %v", sig)
		return ""
	}
}

func TestBinaryServesAndStopsOnSignals(t *testing.T) {
	bin, shim := installHost(t)
	// A stand-in engine: the host health-checks the address it gets as its first argument.
	engine := serveOn(t, grpc.NewServer()).Target()

	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			// -logtostderr and -v are what the engine adds with --logflow; the binary must accept them.
			p := startHost(t, bin, "-logtostderr", "-v=0", engine)
			info, err := p.client.GetPluginInfo(testContext(t), &emptypb.Empty{})
			if err != nil || info.GetVersion() != fallbackVersion {
				t.Fatalf("GetPluginInfo = %v, %v; want %s (no version ldflag in tests)", info, err, fallbackVersion)
			}

			venv := fakeVenv(t, `echo "program output"`)
			pwd := t.TempDir()
			resp, err := p.client.Run(testContext(t), &pulumirpc.RunRequest{
				Pwd:  pwd,
				Info: &pulumirpc.ProgramInfo{RootDirectory: pwd, ProgramDirectory: pwd, EntryPoint: ".", Options: options(t, map[string]any{"virtualenv": venv})},
			})
			if err != nil || resp.GetError() != "" {
				t.Fatalf("Run = %v, %v; stderr: %s", resp, err, p.stderr)
			}
			got := readRecorded(t, venv)
			// The shim is found next to the binary; the engine address is the positional argument.
			want := []string{"-u", shim, "--engine", engine, "--root_directory", pwd, "--pwd", pwd,
				"--dry_run", "false", "--parallel", "0", "."}
			if strings.Join(got.args, " ") != strings.Join(want, " ") {
				t.Errorf("python argv = %q, want %q", got.args, want)
			}

			rest := p.stop(t, sig)
			// The program's output reached the host's stdout, which the engine shows as program output.
			if rest != "program output\n" {
				t.Errorf("host stdout after the port = %q, want the program's output only", rest)
			}
		})
	}
}

func TestBinaryWithoutExecShim(t *testing.T) {
	bin, shim := installHost(t)
	if err := os.Remove(shim); err != nil {
		t.Fatal(err)
	}
	p := startHost(t, bin) // and no engine address: the host still starts
	pwd := t.TempDir()
	_, err := p.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: pwd, Info: &pulumirpc.ProgramInfo{RootDirectory: pwd}})
	if err == nil || !strings.Contains(err.Error(), "missing pulumi-language-python-exec next to the language host: stat "+shim) {
		t.Errorf("Run without the shim: %v, want the missing-shim message naming %s", err, shim)
	}
	p.stop(t, os.Interrupt)
}
