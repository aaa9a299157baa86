package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
)

// fallbackVersion is reported when the binary was built without the version ldflag. It must track
// the pinned pulumi version in go.mod; the build command in main.go sets the real value.
const fallbackVersion = "3.274.0"

// userActionableExitCode is what pulumi-language-python-exec exits with after it has already
// logged the error (e.g. an unhandled exception with a trimmed traceback) through the engine.
// Answering with Bail instead of an error text keeps the engine from printing a second, generic
// "exited with non-zero exit code" error on top of the real one.
const userActionableExitCode = 32

// host implements pulumirpc.LanguageRuntimeServer. Everything we don't need (code generation,
// templates, packing, linking, ...) falls through to the embedded Unimplemented server, which answers
// codes.Unimplemented; the engine treats that as "not supported".
type host struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	execShim string
	tracing  string

	// ctx is cancelled on shutdown (signal, dead engine) or on the Cancel RPC; every child we start
	// is tied to it so nothing outlives us.
	ctx    context.Context
	cancel context.CancelFunc

	// children are the processes we started that are still running (see children.go).
	children *children

	mu            sync.Mutex
	engineAddress string
}

func newHost(parent context.Context, execShim, engineAddress, tracing string) *host {
	ctx, cancel := context.WithCancel(parent)
	return &host{
		execShim: execShim, tracing: tracing, engineAddress: engineAddress,
		ctx: ctx, cancel: cancel, children: newChildren(),
	}
}

func (h *host) engine() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.engineAddress
}

// childContext ties a child process to both the RPC (client went away => stop) and the host
// lifetime (shutdown/Cancel => stop).
func (h *host) childContext(rpcCtx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(rpcCtx)
	if h.ctx.Err() != nil {
		// AfterFunc would cancel from another goroutine, possibly after the child has started.
		cancel()
		return ctx, cancel
	}
	stopAfter := context.AfterFunc(h.ctx, cancel)
	return ctx, func() { stopAfter(); cancel() }
}

// errStopped answers Run/RunPlugin after Cancel or during shutdown: the host starts nothing more.
func (h *host) errStopped() error {
	if h.ctx.Err() != nil {
		return status.Error(codes.Unavailable, "the language host was cancelled or is shutting down; it runs nothing more")
	}
	return nil
}

// Handshake gives us the engine address (and directories we don't need: every request carries its
// own ProgramInfo). Newer engines call this; older ones only pass the address on the command line.
func (h *host) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	if addr := req.GetEngineAddress(); addr != "" {
		h.mu.Lock()
		h.engineAddress = addr
		h.mu.Unlock()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (h *host) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	v := strings.TrimPrefix(version.Version, "v")
	if v == "" {
		v = fallbackVersion
	}
	return &pulumirpc.PluginInfo{Version: v}, nil
}

// GetRequiredPlugins / GetRequiredPackages report nothing. Upstream scans installed pip packages
// for pulumi-* providers so the CLI can download their plugins; this project only uses dynamic
// providers, whose plugin (pulumi-resource-pulumi-python) is bundled next to the CLI, and plugin
// downloads are disabled offline anyway.
func (h *host) GetRequiredPlugins(context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

// Run executes a Pulumi program: `python -u pulumi-language-python-exec <flags> <entry point>`.
// The exec shim parses the flags below (see its argparse), reads config from PULUMI_CONFIG /
// PULUMI_CONFIG_SECRET_KEYS, configures the SDK and runpy-runs the program.
func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	if req.GetAttachDebugger() {
		return nil, status.Error(codes.Unimplemented, "debugging is not supported by this language host")
	}
	if err := h.errStopped(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(h.execShim); err != nil {
		return nil, fmt.Errorf("missing %s next to the language host: %w", execShimName, err)
	}

	info := req.GetInfo()
	root := info.GetRootDirectory()
	if root == "" { // very old engines send no ProgramInfo
		root = req.GetPwd()
	}
	py, err := resolveInterpreter(root, info.GetOptions(), os.Environ())
	if err != nil {
		return nil, err
	}

	// Always send both variables (even empty) so the SDK never falls back to stale values inherited
	// from the caller's environment.
	cfg := req.GetConfig()
	if cfg == nil {
		cfg = map[string]string{}
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("serializing config: %w", err)
	}
	keysJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, fmt.Errorf("serializing config secret keys: %w", err)
	}

	args := []string{"-u", h.execShim}
	flagArg := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flagArg("monitor", req.GetMonitorAddress())
	flagArg("engine", h.engine())
	flagArg("project", req.GetProject())
	flagArg("root_directory", info.GetRootDirectory())
	flagArg("stack", req.GetStack())
	flagArg("organization", req.GetOrganization())
	flagArg("pwd", req.GetPwd())
	flagArg("dry_run", strconv.FormatBool(req.GetDryRun()))
	flagArg("parallel", strconv.Itoa(int(req.GetParallel()))) // the shim int()s it unconditionally
	flagArg("tracing", h.tracing)

	// The entry point is relative to the program directory (= pwd); "." makes runpy run __main__.py.
	program := info.GetEntryPoint()
	if program == "" {
		program = req.GetProgram() //nolint:staticcheck // only used by engines without ProgramInfo
	}
	if program == "" {
		program = "."
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)

	cctx, done := h.childContext(ctx)
	defer done()
	// The program is stopped with SIGTERM: Python turns SIGINT into a KeyboardInterrupt and prints
	// its traceback as program output, while SIGTERM ends it quietly (the SDK installs no handler).
	cmd := h.children.command(cctx, syscall.SIGTERM, py.python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(py.env(os.Environ()), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(keysJSON))
	// Hand our own stdout/stderr to the child: the engine reads them line by line and shows them as
	// the program's output, exactly as with the upstream host. No copying goroutines needed.
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr

	logging.V(5).Infof("language host running: %s %s (dir %s)", py.python, strings.Join(args, " "), cmd.Dir)
	runErr := h.children.run(cmd)

	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
		return &pulumirpc.RunResponse{}, nil
	case errors.As(runErr, &exitErr) && exitErr.ExitCode() == userActionableExitCode:
		return &pulumirpc.RunResponse{Bail: true}, nil
	case cmd.ProcessState != nil && cctx.Err() != nil:
		// We stopped it (Cancel, shutdown, or the engine went away), and it ended by our SIGTERM or
		// on its own terms. Neither a start failure nor a success, and its exit code says nothing.
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program was interrupted: %v", cctx.Err())}, nil
	case errors.As(runErr, &exitErr) && exitErr.ExitCode() > 0:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
	case errors.As(runErr, &exitErr): // killed by a signal (ExitCode() == -1)
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", exitErr)}, nil
	case cmd.ProcessState != nil: // it ran, but Wait failed otherwise
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("program exited unexpectedly: %v", runErr)}, nil
	default:
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run the Python program executor: %v", runErr)}, nil
	}
}

// streamSender forwards a plugin's stdout/stderr over the RunPlugin stream. exec.Cmd copies the
// two pipes in two goroutines, but a gRPC server stream must not be used by two goroutines at
// once, hence the mutex.
type streamSender struct {
	mu     sync.Mutex
	stream pulumirpc.LanguageRuntime_RunPluginServer
}

func (s *streamSender) send(msg *pulumirpc.RunPluginResponse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stream.Send(msg)
}

type streamWriter struct {
	s      *streamSender
	stderr bool
}

func (w streamWriter) Write(p []byte) (int, error) {
	// Copy: exec reuses its read buffer after Write returns, and Send may hold on to the message.
	b := append([]byte(nil), p...)
	msg := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	if w.stderr {
		msg = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	}
	if err := w.s.send(msg); err != nil {
		return 0, err
	}
	return len(p), nil
}

var _ io.Writer = streamWriter{}

// RunPlugin starts a plugin written in Python. The engine uses it for directories that hold a
// PulumiPolicy.yaml (kind "analyzer", i.e. policy packs) or a PulumiPlugin.yaml (kind "resource",
// ...): ProgramDirectory is that directory, Args is [engine address], Env is the full environment.
// Like upstream we run `python <dir> <args>`, which executes the directory's __main__.py; for a
// pulumi-policy pack that starts the analyzer gRPC server, which prints its port as the first stdout
// line. The engine reads that line from the stream, exactly as if it had started the plugin itself.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, stream pulumirpc.LanguageRuntime_RunPluginServer) error {
	if req.GetAttachDebugger() {
		return status.Error(codes.Unimplemented, "debugging is not supported by this language host")
	}
	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	if dir == "" {
		return errors.New("RunPlugin: request has no program directory")
	}
	if err := h.errStopped(); err != nil {
		return err
	}
	environ := environOrSelf(req.GetEnv())
	root := info.GetRootDirectory()
	if root == "" {
		root = dir
	}
	py, err := resolveInterpreter(root, info.GetOptions(), environ)
	if err != nil {
		return err
	}

	args := append([]string{"-u", dir}, req.GetArgs()...)
	// The stream context ends when the engine kills the plugin (it cancels the call), which must
	// stop the Python process too.
	cctx, done := h.childContext(stream.Context())
	defer done()
	// SIGINT, as the engine stops the plugins it starts itself (a policy pack handles it).
	cmd := h.children.command(cctx, syscall.SIGINT, py.python, args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = py.env(environ)
	sender := &streamSender{stream: stream}
	cmd.Stdout = streamWriter{s: sender}
	cmd.Stderr = streamWriter{s: sender, stderr: true}

	logging.V(5).Infof("language host running plugin (%s): %s %s", req.GetKind(), py.python, strings.Join(args, " "))
	runErr := h.children.run(cmd)

	code := 0
	var exitErr *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exitErr):
		code = exitErr.ExitCode()
		if code < 0 { // killed by a signal; report a conventional failure code
			code = 1
		}
	case cmd.ProcessState != nil:
		// It ran and exited, but exec reports something else: the context's error when we had
		// interrupted it, or WaitDelay expiring because a grandchild kept stdout/stderr open.
		// The plugin's own exit code is still the answer.
		code = cmd.ProcessState.ExitCode()
	default:
		return fmt.Errorf("could not start Python plugin in %s: %w", dir, runErr)
	}
	if stream.Context().Err() != nil {
		return nil // the engine stopped listening; nothing left to report
	}
	return sender.send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
}

// About reports the interpreter a program would run with (shown by `pulumi about`).
func (h *host) About(ctx context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	info := req.GetInfo()
	py, err := resolveInterpreter(info.GetRootDirectory(), info.GetOptions(), os.Environ())
	if err != nil {
		return nil, err
	}
	out, err := h.children.output(h.children.command(ctx, syscall.SIGKILL, py.python, "--version"))
	if err != nil {
		return nil, fmt.Errorf("running %s --version: %w", py.python, err)
	}
	meta := map[string]string{"languageHost": "minimal (tools/pulumi/langhost)"}
	if py.virtualenv != "" {
		meta["virtualenv"] = py.virtualenv
	}
	return &pulumirpc.AboutResponse{
		Executable: py.python,
		Version:    strings.TrimSpace(strings.TrimPrefix(string(out), "Python ")),
		Metadata:   meta,
	}, nil
}

// listDistributions prints installed distributions as JSON. importlib.metadata is in the standard
// library, so this works in virtualenvs without pip (e.g. ones created by uv), unlike `pip list`.
const listDistributions = `import importlib.metadata as m, json
print(json.dumps(sorted({(d.metadata["Name"] or "", d.version) for d in m.distributions()})))`

// GetProgramDependencies lists every installed distribution (`pulumi about`). It does not
// distinguish direct from transitive dependencies.
func (h *host) GetProgramDependencies(ctx context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	info := req.GetInfo()
	py, err := resolveInterpreter(info.GetRootDirectory(), info.GetOptions(), os.Environ())
	if err != nil {
		return nil, err
	}
	cmd := h.children.command(ctx, syscall.SIGKILL, py.python, "-c", listDistributions)
	cmd.Env = py.env(os.Environ())
	out, err := h.children.output(cmd)
	if err != nil {
		return nil, fmt.Errorf("listing installed Python packages: %w", err)
	}
	var pairs [][2]string
	if err := json.Unmarshal(out, &pairs); err != nil {
		return nil, fmt.Errorf("parsing installed Python packages: %w", err)
	}
	sort.Slice(pairs, func(i, j int) bool { return strings.ToLower(pairs[i][0]) < strings.ToLower(pairs[j][0]) })
	deps := make([]*pulumirpc.DependencyInfo, 0, len(pairs))
	for _, p := range pairs {
		if p[0] != "" {
			deps = append(deps, &pulumirpc.DependencyInfo{Name: p[0], Version: p[1]})
		}
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

// Cancel aborts whatever is running (programs get SIGTERM, plugins and pip SIGINT, then SIGKILL after
// childStopGrace) and makes the host start nothing more. The engine calls it just before it closes
// the host.
func (h *host) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}
