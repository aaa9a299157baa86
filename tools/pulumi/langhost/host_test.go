package main

// The LanguageRuntime RPCs (host.go), called through the generated gRPC client against the host
// served on a loopback port, as the engine calls them. Run's command line and environment are
// checked with a fake "python" that records them; RunPlugin, About and GetProgramDependencies run
// the project's real .venv Python.

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

func TestGetPluginInfo(t *testing.T) {
	client := serve(t, newTestHost(t, "", "", ""))
	saved := version.Version
	t.Cleanup(func() { version.Version = saved })

	for stamped, want := range map[string]string{
		"v3.274.0": "3.274.0", // what bootstrap's -X ldflag sets: reported without the "v"
		"3.1.2":    "3.1.2",
		"":         fallbackVersion, // a build without the ldflag
	} {
		version.Version = stamped
		info, err := client.GetPluginInfo(testContext(t), &emptypb.Empty{})
		if err != nil {
			t.Fatalf("GetPluginInfo (version %q): %v", stamped, err)
		}
		if info.GetVersion() != want {
			t.Errorf("GetPluginInfo with version.Version=%q = %q, want %q", stamped, info.GetVersion(), want)
		}
	}
}

// TestFallbackVersionMatchesPins keeps fallbackVersion in step with the pulumi version the module
// pins in go.mod (README: "keep it in step").
func TestFallbackVersionMatchesPins(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*github\.com/pulumi/pulumi/sdk/v3 v(\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("tools/pulumi/go.mod does not require github.com/pulumi/pulumi/sdk/v3")
	}
	if string(m[1]) != fallbackVersion {
		t.Errorf("fallbackVersion = %q but go.mod pins sdk/v3 v%s", fallbackVersion, m[1])
	}
}

func TestRequiredPluginsAndPackagesAreEmpty(t *testing.T) {
	client := serve(t, newTestHost(t, "", "", ""))
	ctx := testContext(t)
	info := &pulumirpc.ProgramInfo{RootDirectory: t.TempDir(), ProgramDirectory: t.TempDir(), EntryPoint: "."}
	plugins, err := client.GetRequiredPlugins(ctx, &pulumirpc.GetRequiredPluginsRequest{Info: info})
	if err != nil || len(plugins.GetPlugins()) != 0 {
		t.Errorf("GetRequiredPlugins = %v, %v; want no plugins and no error", plugins, err)
	}
	pkgs, err := client.GetRequiredPackages(ctx, &pulumirpc.GetRequiredPackagesRequest{Info: info})
	if err != nil || len(pkgs.GetPackages()) != 0 {
		t.Errorf("GetRequiredPackages = %v, %v; want no packages and no error", pkgs, err)
	}
}

func TestUnsupportedRPCsAreUnimplemented(t *testing.T) {
	client := serve(t, newTestHost(t, "", "", ""))
	ctx := testContext(t)
	calls := map[string]func() error{
		"GenerateProject": func() error {
			_, err := client.GenerateProject(ctx, &pulumirpc.GenerateProjectRequest{})
			return err
		},
		"GenerateProgram": func() error {
			_, err := client.GenerateProgram(ctx, &pulumirpc.GenerateProgramRequest{})
			return err
		},
		"GeneratePackage": func() error {
			_, err := client.GeneratePackage(ctx, &pulumirpc.GeneratePackageRequest{})
			return err
		},
		"Pack": func() error {
			_, err := client.Pack(ctx, &pulumirpc.PackRequest{})
			return err
		},
		"Template": func() error {
			_, err := client.Template(ctx, &pulumirpc.TemplateRequest{})
			return err
		},
		"RuntimeOptionsPrompts": func() error {
			_, err := client.RuntimeOptionsPrompts(ctx, &pulumirpc.RuntimeOptionsRequest{})
			return err
		},
		"Run with a debugger": func() error {
			_, err := client.Run(ctx, &pulumirpc.RunRequest{AttachDebugger: true})
			return err
		},
		"RunPlugin with a debugger": func() error {
			stream, err := client.RunPlugin(ctx, &pulumirpc.RunPluginRequest{AttachDebugger: true})
			if err != nil {
				return err
			}
			_, err = stream.Recv()
			return err
		},
	}
	for name, call := range calls {
		if code := status.Code(call()); code != codes.Unimplemented {
			t.Errorf("%s: code %v, want Unimplemented", name, code)
		}
	}
}

// --- Run -----------------------------------------------------------------------------------------

// runFixture is a host with an (empty) exec shim, a fake virtualenv whose python records how it was
// started, and a program directory.
type runFixture struct {
	client pulumirpc.LanguageRuntimeClient
	host   *host
	shim   string
	venv   string
	root   string
	pwd    string
	output func() (string, string)
}

func newRunFixture(t *testing.T, pythonTail, engine, tracing string) runFixture {
	t.Helper()
	f := runFixture{venv: fakeVenv(t, pythonTail), root: t.TempDir()}
	f.shim = writeFile(t, t.TempDir(), execShimName, "# stands in for the real shim\n", 0o755)
	f.pwd = filepath.Join(f.root, "stacks")
	if err := os.MkdirAll(f.pwd, 0o755); err != nil {
		t.Fatal(err)
	}
	f.host = newTestHost(t, f.shim, engine, tracing)
	f.client = serve(t, f.host)
	f.output = captureStdio(t)
	return f
}

func (f runFixture) info(t *testing.T, entry string) *pulumirpc.ProgramInfo {
	return &pulumirpc.ProgramInfo{
		RootDirectory:    f.root,
		ProgramDirectory: f.pwd,
		EntryPoint:       entry,
		Options:          options(t, map[string]any{"virtualenv": f.venv}),
	}
}

func jsonEqual(t *testing.T, name, got string, want any) {
	t.Helper()
	var g any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Errorf("%s = %q is not JSON: %v", name, got, err)
		return
	}
	w, _ := json.Marshal(want)
	var wv any
	_ = json.Unmarshal(w, &wv)
	if !reflect.DeepEqual(g, wv) {
		t.Errorf("%s = %s, want %s", name, got, w)
	}
}

func TestRunCommandLineAndEnvironment(t *testing.T) {
	f := newRunFixture(t, `echo "program output"; echo "program error" >&2`, "127.0.0.1:1111", "http://127.0.0.1:9411/trace")
	ctx := testContext(t)
	// A newer engine's Handshake replaces the address from the command line.
	if _, err := f.client.Handshake(ctx, &pulumirpc.LanguageHandshakeRequest{EngineAddress: "127.0.0.1:2222"}); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_CONFIG", `{"stale":"value"}`) // inherited values must never reach the program
	t.Setenv("PYTHONHOME", "/wrong/home")
	t.Setenv("LANGHOST_TEST_INHERITED", "yes")

	resp, err := f.client.Run(ctx, &pulumirpc.RunRequest{
		Project:          "proj",
		Stack:            "dev",
		Organization:     "org",
		Pwd:              f.pwd,
		DryRun:           true,
		Parallel:         16,
		MonitorAddress:   "127.0.0.1:3333",
		Config:           map[string]string{"proj:greeting": "hello", "proj:token": "s3cret"},
		ConfigSecretKeys: []string{"proj:token"},
		Args:             []string{"first", "second arg"},
		Info:             f.info(t, "__main__.py"),
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if resp.GetError() != "" || resp.GetBail() {
		t.Fatalf("Run = %v, want success", resp)
	}

	got := readRecorded(t, f.venv)
	want := []string{
		"-u", f.shim,
		"--monitor", "127.0.0.1:3333",
		"--engine", "127.0.0.1:2222",
		"--project", "proj",
		"--root_directory", f.root,
		"--stack", "dev",
		"--organization", "org",
		"--pwd", f.pwd,
		"--dry_run", "true",
		"--parallel", "16",
		"--tracing", "http://127.0.0.1:9411/trace",
		"__main__.py", "first", "second arg",
	}
	if !reflect.DeepEqual(got.args, want) {
		t.Errorf("python argv =\n  %q\nwant\n  %q", got.args, want)
	}
	if got.cwd != f.pwd {
		t.Errorf("program working directory = %q, want %q", got.cwd, f.pwd)
	}
	jsonEqual(t, "PULUMI_CONFIG", got.env["PULUMI_CONFIG"], map[string]string{"proj:greeting": "hello", "proj:token": "s3cret"})
	jsonEqual(t, "PULUMI_CONFIG_SECRET_KEYS", got.env["PULUMI_CONFIG_SECRET_KEYS"], []string{"proj:token"})
	if n := countKey(got.raw, "PULUMI_CONFIG"); n != 1 {
		t.Errorf("the program sees PULUMI_CONFIG %d times, want once", n)
	}
	if got.env["VIRTUAL_ENV"] != f.venv {
		t.Errorf("VIRTUAL_ENV = %q, want %q", got.env["VIRTUAL_ENV"], f.venv)
	}
	if !strings.HasPrefix(got.env["PATH"], filepath.Join(f.venv, "bin")+":") {
		t.Errorf("PATH = %q, want the virtualenv's bin first", got.env["PATH"])
	}
	if _, ok := got.env["PYTHONHOME"]; ok {
		t.Errorf("PYTHONHOME reached the program; an activated virtualenv must unset it")
	}
	if got.env["LANGHOST_TEST_INHERITED"] != "yes" {
		t.Errorf("the host's own environment did not reach the program")
	}
	stdout, stderr := f.output()
	if !strings.Contains(stdout, "program output\n") || !strings.Contains(stderr, "program error\n") {
		t.Errorf("program output did not go to the host's stdout/stderr: stdout=%q stderr=%q", stdout, stderr)
	}
}

func countKey(env []string, key string) int {
	n := 0
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k == key {
			n++
		}
	}
	return n
}

func TestRunMinimalRequest(t *testing.T) {
	f := newRunFixture(t, "", "", "")
	t.Setenv("PULUMI_CONFIG", `{"stale":"value"}`)
	t.Setenv("PULUMI_CONFIG_SECRET_KEYS", `["stale"]`)
	resp, err := f.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Info: f.info(t, "")})
	if err != nil || resp.GetError() != "" || resp.GetBail() {
		t.Fatalf("Run = %v, %v; want success", resp, err)
	}
	got := readRecorded(t, f.venv)
	// Empty values are left out, except --dry_run and --parallel which the shim always reads;
	// no entry point means the program directory (runpy runs its __main__.py).
	want := []string{"-u", f.shim, "--root_directory", f.root, "--pwd", f.pwd, "--dry_run", "false", "--parallel", "0", "."}
	if !reflect.DeepEqual(got.args, want) {
		t.Errorf("python argv = %q, want %q", got.args, want)
	}
	if got.env["PULUMI_CONFIG"] != "{}" || got.env["PULUMI_CONFIG_SECRET_KEYS"] != "[]" {
		t.Errorf("PULUMI_CONFIG=%q PULUMI_CONFIG_SECRET_KEYS=%q; want {} and [] (never the inherited values)",
			got.env["PULUMI_CONFIG"], got.env["PULUMI_CONFIG_SECRET_KEYS"])
	}
}

// TestRunWithoutProgramInfo covers engines that send no ProgramInfo: the program comes from the
// deprecated Program field, the virtualenv from PULUMI_RUNTIME_VIRTUALENV (relative to pwd).
func TestRunWithoutProgramInfo(t *testing.T) {
	f := newRunFixture(t, "", "", "")
	if err := os.Symlink(f.venv, filepath.Join(f.pwd, "venv-link")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PULUMI_RUNTIME_VIRTUALENV", "venv-link")
	resp, err := f.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Program: "legacy.py", Stack: "s"})
	if err != nil || resp.GetError() != "" {
		t.Fatalf("Run = %v, %v; want success", resp, err)
	}
	got := readRecorded(t, f.venv)
	want := []string{"-u", f.shim, "--stack", "s", "--pwd", f.pwd, "--dry_run", "false", "--parallel", "0", "legacy.py"}
	if !reflect.DeepEqual(got.args, want) {
		t.Errorf("python argv = %q, want %q", got.args, want)
	}
	if got.env["VIRTUAL_ENV"] != filepath.Join(f.pwd, "venv-link") {
		t.Errorf("VIRTUAL_ENV = %q, want the venv relative to pwd", got.env["VIRTUAL_ENV"])
	}
}

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		tail      string
		wantBail  bool
		wantError string // regexp; "" = no error
	}{
		{tail: "exit 0"},
		{tail: "exit 32", wantBail: true}, // the shim already reported the error: don't print another
		{tail: "exit 1", wantError: `^program exited with non-zero exit code: 1$`},
		{tail: "exit 7", wantError: `^program exited with non-zero exit code: 7$`},
		{tail: "kill -9 $$", wantError: `^program exited unexpectedly: signal: killed$`},
	}
	for _, c := range cases {
		t.Run(c.tail, func(t *testing.T) {
			f := newRunFixture(t, c.tail, "", "")
			resp, err := f.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Info: f.info(t, ".")})
			if err != nil {
				t.Fatalf("Run: RPC error %v; a failing program must be reported in the response", err)
			}
			if resp.GetBail() != c.wantBail {
				t.Errorf("Bail = %v, want %v", resp.GetBail(), c.wantBail)
			}
			if c.wantError == "" && resp.GetError() != "" {
				t.Errorf("Error = %q, want none", resp.GetError())
			}
			if c.wantError != "" && !regexp.MustCompile(c.wantError).MatchString(resp.GetError()) {
				t.Errorf("Error = %q, want a match for %q", resp.GetError(), c.wantError)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	t.Run("missing exec shim", func(t *testing.T) {
		f := newRunFixture(t, "", "", "")
		f.host.execShim = filepath.Join(t.TempDir(), execShimName)
		_, err := f.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Info: f.info(t, ".")})
		if err == nil || !strings.Contains(err.Error(), "missing pulumi-language-python-exec next to the language host") {
			t.Fatalf("Run error = %v, want the missing-shim message", err)
		}
	})
	t.Run("missing virtualenv", func(t *testing.T) {
		f := newRunFixture(t, "", "", "")
		info := f.info(t, ".")
		info.Options = options(t, map[string]any{"virtualenv": "../no-such-venv"})
		_, err := f.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Info: info})
		missing := filepath.Join(filepath.Dir(f.root), "no-such-venv")
		if err == nil || !strings.Contains(err.Error(), `is set to "../no-such-venv", but "`+missing+`" doesn't exist`) {
			t.Fatalf("Run error = %v, want the missing-virtualenv message naming %s", err, missing)
		}
		if _, statErr := os.Stat(filepath.Join(f.venv, "args")); statErr == nil {
			t.Errorf("some python ran although the virtualenv is missing")
		}
	})
	t.Run("python cannot be started", func(t *testing.T) {
		f := newRunFixture(t, "", "", "")
		if err := os.Chmod(filepath.Join(f.venv, "bin", "python"), 0o644); err != nil {
			t.Fatal(err)
		}
		resp, err := f.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Info: f.info(t, ".")})
		if err != nil || !strings.HasPrefix(resp.GetError(), "could not run the Python program executor: ") ||
			!strings.Contains(resp.GetError(), "permission denied") {
			t.Fatalf("Run = %v, %v; want a could-not-run error", resp, err)
		}
	})
}

// --- RunPlugin (policy packs, Python plugins) -----------------------------------------------------

// pluginProgram is a plugin directory's __main__.py: it reports how it was started, then exits 3.
const pluginProgram = `import os, sys
print("argv=" + "|".join(sys.argv[1:]), flush=True)
print("cwd=" + os.getcwd(), flush=True)
print("prefix=" + sys.prefix, flush=True)
print("VIRTUAL_ENV=" + os.environ.get("VIRTUAL_ENV", ""), flush=True)
print("FROM_REQUEST=" + os.environ.get("LANGHOST_FROM_REQUEST", "<unset>"), flush=True)
print("FROM_HOST=" + os.environ.get("LANGHOST_FROM_HOST", "<unset>"), flush=True)
sys.stderr.write("plugin stderr\n")
sys.exit(3)
`

type pluginResult struct {
	stdout, stderr string
	exitCode       int32
	gotExit        bool
	err            error
}

func collectPlugin(stream grpc.ServerStreamingClient[pulumirpc.RunPluginResponse]) pluginResult {
	var r pluginResult
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return r
		}
		if err != nil {
			r.err = err
			return r
		}
		if r.gotExit {
			r.err = errors.New("message after the exit code")
			return r
		}
		switch out := msg.GetOutput().(type) {
		case *pulumirpc.RunPluginResponse_Stdout:
			r.stdout += string(out.Stdout)
		case *pulumirpc.RunPluginResponse_Stderr:
			r.stderr += string(out.Stderr)
		case *pulumirpc.RunPluginResponse_Exitcode:
			r.exitCode, r.gotExit = out.Exitcode, true
		}
	}
}

func wantLines(t *testing.T, output string, lines ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(output, "\n") {
		have[l] = true
	}
	for _, l := range lines {
		if !have[l] {
			t.Errorf("plugin output lacks the line %q; output:\n%s", l, output)
		}
	}
}

func TestRunPluginPolicyPack(t *testing.T) {
	venv := repoVenv(t)
	client := serve(t, newTestHost(t, "", "", ""))
	t.Setenv("LANGHOST_FROM_HOST", "leaked")
	pack := t.TempDir()
	writeFile(t, pack, "PulumiPolicy.yaml", "runtime:\n  name: python\n  options:\n    virtualenv: venv\n", 0o644)
	writeFile(t, pack, "__main__.py", pluginProgram, 0o644)
	// runtime.options.virtualenv is relative to the directory holding PulumiPolicy.yaml.
	if err := os.Symlink(venv, filepath.Join(pack, "venv")); err != nil {
		t.Fatal(err)
	}
	pwd := t.TempDir()

	stream, err := client.RunPlugin(testContext(t), &pulumirpc.RunPluginRequest{
		Pwd:  pwd,
		Args: []string{"127.0.0.1:4444", "extra"},
		Env:  []string{"PATH=/usr/bin:/bin", "LANGHOST_FROM_REQUEST=yes"},
		Kind: "analyzer",
		Info: &pulumirpc.ProgramInfo{
			RootDirectory:    pack,
			ProgramDirectory: pack,
			EntryPoint:       ".",
			Options:          options(t, map[string]any{"virtualenv": "venv"}),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := collectPlugin(stream)
	if r.err != nil {
		t.Fatalf("RunPlugin stream: %v (stdout %q, stderr %q)", r.err, r.stdout, r.stderr)
	}
	linked := filepath.Join(pack, "venv")
	wantLines(t, r.stdout,
		"argv=127.0.0.1:4444|extra",
		"cwd="+pwd,
		"prefix="+linked, // the virtualenv's interpreter ran, not one from PATH
		"VIRTUAL_ENV="+linked,
		"FROM_REQUEST=yes",
		"FROM_HOST=<unset>", // the plugin gets the engine's environment, not the host's
	)
	if r.stderr != "plugin stderr\n" {
		t.Errorf("stderr over the stream = %q, want %q", r.stderr, "plugin stderr\n")
	}
	if !r.gotExit || r.exitCode != 3 {
		t.Errorf("exit code = %d (received: %v), want 3 as the last message", r.exitCode, r.gotExit)
	}
}

func TestRunPluginEnvironmentFallbacks(t *testing.T) {
	venv := repoVenv(t)
	client := serve(t, newTestHost(t, "", "", ""))
	plugin := t.TempDir()
	writeFile(t, plugin, "PulumiPlugin.yaml", "runtime: python\n", 0o644)
	writeFile(t, plugin, "__main__.py", pluginProgram, 0o644)

	t.Run("PULUMI_RUNTIME_VIRTUALENV from the request environment", func(t *testing.T) {
		stream, err := client.RunPlugin(testContext(t), &pulumirpc.RunPluginRequest{
			Pwd:  plugin,
			Env:  []string{"PATH=/usr/bin:/bin", "PULUMI_RUNTIME_VIRTUALENV=" + venv},
			Kind: "resource",
			Info: &pulumirpc.ProgramInfo{ProgramDirectory: plugin}, // no root: the plugin directory
		})
		if err != nil {
			t.Fatal(err)
		}
		r := collectPlugin(stream)
		if r.err != nil || r.exitCode != 3 {
			t.Fatalf("RunPlugin: %v, exit %d; stderr %q", r.err, r.exitCode, r.stderr)
		}
		wantLines(t, r.stdout, "argv=", "prefix="+venv, "VIRTUAL_ENV="+venv)
	})
	t.Run("no request environment: the host's", func(t *testing.T) {
		t.Setenv("LANGHOST_FROM_HOST", "inherited")
		t.Setenv("PULUMI_RUNTIME_VIRTUALENV", venv)
		stream, err := client.RunPlugin(testContext(t), &pulumirpc.RunPluginRequest{
			Pwd:  plugin,
			Info: &pulumirpc.ProgramInfo{ProgramDirectory: plugin, RootDirectory: plugin},
		})
		if err != nil {
			t.Fatal(err)
		}
		r := collectPlugin(stream)
		if r.err != nil || r.exitCode != 3 {
			t.Fatalf("RunPlugin: %v, exit %d; stderr %q", r.err, r.exitCode, r.stderr)
		}
		wantLines(t, r.stdout, "FROM_HOST=inherited", "prefix="+venv)
	})
}

func TestRunPluginErrors(t *testing.T) {
	client := serve(t, newTestHost(t, "", "", ""))
	run := func(req *pulumirpc.RunPluginRequest) pluginResult {
		stream, err := client.RunPlugin(testContext(t), req)
		if err != nil {
			return pluginResult{err: err}
		}
		return collectPlugin(stream)
	}
	if r := run(&pulumirpc.RunPluginRequest{Info: &pulumirpc.ProgramInfo{}}); r.err == nil ||
		!strings.Contains(r.err.Error(), "RunPlugin: request has no program directory") {
		t.Errorf("RunPlugin without a directory: %v, want the no-directory error", r.err)
	}
	pack := t.TempDir()
	r := run(&pulumirpc.RunPluginRequest{Info: &pulumirpc.ProgramInfo{
		ProgramDirectory: pack, RootDirectory: pack,
		Options: options(t, map[string]any{"virtualenv": "missing-venv"}),
	}})
	if r.err == nil || !strings.Contains(r.err.Error(), `"`+filepath.Join(pack, "missing-venv")+`" doesn't exist`) {
		t.Errorf("RunPlugin with a missing virtualenv: %v, want the missing-virtualenv message", r.err)
	}
}

// interruptible is a plugin that says "ready", then waits; on SIGINT it writes the file named by
// its first argument and exits 0. The handler is in place before "ready", so there is no window in
// which an early SIGINT would go unnoticed.
const interruptible = `import pathlib, signal, sys, time
def interrupted(*_):
    pathlib.Path(sys.argv[1]).write_text("interrupted")
    sys.exit(0)
signal.signal(signal.SIGINT, interrupted)
print("ready", flush=True)
time.sleep(50)
sys.exit(9)
`

func waitForFile(t *testing.T, path string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && string(b) == "interrupted" {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the Python child did not get SIGINT within %v (no %s)", within, path)
}

func startInterruptible(t *testing.T, client pulumirpc.LanguageRuntimeClient, venv string,
) (grpc.ServerStreamingClient[pulumirpc.RunPluginResponse], string, func()) {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir, "__main__.py", interruptible, 0o644)
	marker := filepath.Join(dir, "marker")
	ctx, cancel := context.WithCancel(testContext(t))
	t.Cleanup(cancel)
	stream, err := client.RunPlugin(ctx, &pulumirpc.RunPluginRequest{
		Pwd:  dir,
		Args: []string{marker},
		Env:  []string{"PATH=/usr/bin:/bin", "PULUMI_RUNTIME_VIRTUALENV=" + venv},
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: dir, RootDirectory: dir},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out string
	for out != "ready\n" { // print() may arrive as two writes: "ready", "\n"
		msg, err := stream.Recv()
		if err != nil || !strings.HasPrefix("ready\n", out+string(msg.GetStdout())) {
			t.Fatalf("plugin did not start: got %q, then %v %v", out, msg, err)
		}
		out += string(msg.GetStdout())
	}
	return stream, marker, cancel
}

func TestRunPluginStopsWhenTheEngineCancels(t *testing.T) {
	venv := repoVenv(t)
	client := serve(t, newTestHost(t, "", "", ""))
	stream, marker, cancel := startInterruptible(t, client, venv)
	cancel() // what the engine does when it kills a plugin started through the host
	waitForFile(t, marker, 10*time.Second)
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("stream after cancel: %v, want Canceled", err)
	}
}

func TestCancelInterruptsAndStopsTheHost(t *testing.T) {
	venv := repoVenv(t)
	client := serve(t, newTestHost(t, "", "", ""))
	stream, marker, _ := startInterruptible(t, client, venv)
	if _, err := client.Cancel(testContext(t), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	waitForFile(t, marker, 10*time.Second)
	r := collectPlugin(stream)
	if r.err != nil || !r.gotExit || r.exitCode != 0 {
		t.Errorf("plugin after Cancel: %+v (err %v); want its own exit code (0), then the end of the stream", r, r.err)
	}
	// After Cancel the host starts nothing else.
	plugin := t.TempDir()
	writeFile(t, plugin, "__main__.py", pluginProgram, 0o644)
	stream2, err := client.RunPlugin(testContext(t), &pulumirpc.RunPluginRequest{
		Env:  []string{"PULUMI_RUNTIME_VIRTUALENV=" + venv},
		Info: &pulumirpc.ProgramInfo{ProgramDirectory: plugin},
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := collectPlugin(stream2); status.Code(r.err) != codes.Unavailable || r.stdout != "" ||
		!strings.Contains(r.err.Error(), "the language host was cancelled or is shutting down; it runs nothing more") {
		t.Errorf("RunPlugin after Cancel: %+v (err %v); want Unavailable and no output", r, r.err)
	}
	f := newRunFixture(t, "", "", "")
	f.client, f.host = client, nil
	_, err = client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Info: f.info(t, ".")})
	if status.Code(err) != codes.Unavailable {
		t.Errorf("Run after Cancel: %v, want Unavailable", err)
	}
	if _, statErr := os.Stat(filepath.Join(f.venv, "args")); statErr == nil {
		t.Errorf("Run after Cancel started python")
	}
}

// --- About, GetProgramDependencies, InstallDependencies ------------------------------------------

func TestAbout(t *testing.T) {
	venv := repoVenv(t)
	client := serve(t, newTestHost(t, "", "", ""))
	info := &pulumirpc.ProgramInfo{RootDirectory: t.TempDir(), Options: options(t, map[string]any{"virtualenv": venv})}
	about, err := client.About(testContext(t), &pulumirpc.AboutRequest{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	if about.GetExecutable() != filepath.Join(venv, "bin", "python") {
		t.Errorf("Executable = %q, want the virtualenv's python", about.GetExecutable())
	}
	if !regexp.MustCompile(`^3\.\d+\.\d+\S*$`).MatchString(about.GetVersion()) {
		t.Errorf(`Version = %q, want "3.x.y" (python --version without "Python ")`, about.GetVersion())
	}
	wantMeta := map[string]string{"languageHost": "minimal (tools/pulumi/langhost)", "virtualenv": venv}
	if !reflect.DeepEqual(about.GetMetadata(), wantMeta) {
		t.Errorf("Metadata = %v, want %v", about.GetMetadata(), wantMeta)
	}

	info.Options = options(t, map[string]any{"virtualenv": "gone"})
	if _, err := client.About(testContext(t), &pulumirpc.AboutRequest{Info: info}); err == nil ||
		!strings.Contains(err.Error(), "doesn't exist") {
		t.Errorf("About with a missing virtualenv: %v, want the missing-virtualenv message", err)
	}
}

func TestGetProgramDependencies(t *testing.T) {
	venv := repoVenv(t)
	client := serve(t, newTestHost(t, "", "", ""))
	info := &pulumirpc.ProgramInfo{RootDirectory: t.TempDir(), Options: options(t, map[string]any{"virtualenv": venv})}
	resp, err := client.GetProgramDependencies(testContext(t), &pulumirpc.GetProgramDependenciesRequest{Info: info})
	if err != nil {
		t.Fatal(err)
	}
	deps := resp.GetDependencies()
	names := map[string]string{}
	for _, d := range deps {
		if d.GetName() == "" || d.GetVersion() == "" {
			t.Errorf("dependency with an empty name or version: %v", d)
		}
		names[strings.ToLower(d.GetName())] = d.GetVersion()
	}
	for _, must := range []string{"pulumi", "grpcio", "protobuf"} { // the SDK and what it runs on
		if names[must] == "" {
			t.Errorf("%s is missing from the dependencies of %s", must, venv)
		}
	}
	if !sort.SliceIsSorted(deps, func(i, j int) bool {
		return strings.ToLower(deps[i].GetName()) < strings.ToLower(deps[j].GetName())
	}) {
		t.Errorf("dependencies are not sorted by name")
	}
}

// TestRunInterruptedByCancel: Cancel stops a program with SIGTERM (SIGINT would become a
// KeyboardInterrupt traceback in Python), and a program that then exits 0 is reported as
// interrupted, neither as a success nor as a failure to start.
func TestRunInterruptedByCancel(t *testing.T) {
	f := newRunFixture(t, `trap 'echo INT >> "$d/signals"' INT
trap 'echo TERM >> "$d/signals"; kill $! 2>/dev/null; exit 0' TERM
: > "$d/trapped"
sleep 30 & wait
exit 9`, "", "")
	type result struct {
		resp *pulumirpc.RunResponse
		err  error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := f.client.Run(testContext(t), &pulumirpc.RunRequest{Pwd: f.pwd, Info: f.info(t, ".")})
		done <- result{resp, err}
	}()
	deadline := time.Now().Add(testTimeout)
	for { // wait until the program runs with its SIGINT handler in place
		if _, err := os.Stat(filepath.Join(f.venv, "trapped")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the program did not start")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := f.client.Cancel(testContext(t), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-done:
		if r.err != nil || r.resp.GetError() != "program was interrupted: context canceled" {
			t.Errorf("Run after Cancel = %v, %v; want the interrupted error", r.resp, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of Cancel")
	}
	if b, err := os.ReadFile(filepath.Join(f.venv, "signals")); err != nil || string(b) != "TERM\n" {
		t.Errorf("signals the program got: %q (%v), want SIGTERM only", b, err)
	}
}
