package main

// Run end to end: the real pulumi-language-python-exec shim from the pinned sdk/v3 module and the
// project's .venv (with the pulumi Python SDK) run a tiny program against a fake engine and resource
// monitor served in-process. This checks that the shim accepts the command line Run builds and that
// config, project/stack, exit codes and error reporting come through as the engine expects.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// fakeEngine records what a program sends to the engine and the resource monitor.
type fakeEngine struct {
	mu         sync.Mutex
	logs       []*pulumirpc.LogRequest
	registered []*pulumirpc.RegisterResourceRequest
	outputs    []*pulumirpc.RegisterResourceOutputsRequest
	root       string
}

type fakeEngineServer struct {
	pulumirpc.UnimplementedEngineServer
	*fakeEngine
}

func (e fakeEngineServer) Log(_ context.Context, req *pulumirpc.LogRequest) (*emptypb.Empty, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.logs = append(e.logs, req)
	return &emptypb.Empty{}, nil
}

func (e fakeEngineServer) GetRootResource(context.Context, *pulumirpc.GetRootResourceRequest,
) (*pulumirpc.GetRootResourceResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return &pulumirpc.GetRootResourceResponse{Urn: e.root}, nil
}

func (e fakeEngineServer) SetRootResource(_ context.Context, req *pulumirpc.SetRootResourceRequest,
) (*pulumirpc.SetRootResourceResponse, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.root = req.GetUrn()
	return &pulumirpc.SetRootResourceResponse{}, nil
}

type fakeMonitorServer struct {
	pulumirpc.UnimplementedResourceMonitorServer
	*fakeEngine
}

func (m fakeMonitorServer) SupportsFeature(context.Context, *pulumirpc.SupportsFeatureRequest,
) (*pulumirpc.SupportsFeatureResponse, error) {
	return &pulumirpc.SupportsFeatureResponse{HasSupport: false}, nil
}

func (m fakeMonitorServer) RegisterResource(_ context.Context, req *pulumirpc.RegisterResourceRequest,
) (*pulumirpc.RegisterResourceResponse, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.registered = append(m.registered, req)
	urn := fmt.Sprintf("urn:pulumi:dev::proj::%s::%s", req.GetType(), req.GetName())
	return &pulumirpc.RegisterResourceResponse{Urn: urn, Object: &structpb.Struct{}}, nil
}

func (m fakeMonitorServer) RegisterResourceOutputs(_ context.Context, req *pulumirpc.RegisterResourceOutputsRequest,
) (*emptypb.Empty, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outputs = append(m.outputs, req)
	return &emptypb.Empty{}, nil
}

func (e *fakeEngine) logText() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var b strings.Builder
	for _, l := range e.logs {
		fmt.Fprintf(&b, "[%v] %s\n", l.GetSeverity(), l.GetMessage())
	}
	return b.String()
}

// serveFakeEngine serves a fake engine and resource monitor on one address until the test ends.
func serveFakeEngine(t *testing.T) (*fakeEngine, string) {
	t.Helper()
	e := &fakeEngine{}
	srv := grpc.NewServer()
	pulumirpc.RegisterEngineServer(srv, fakeEngineServer{fakeEngine: e})
	pulumirpc.RegisterResourceMonitorServer(srv, fakeMonitorServer{fakeEngine: e})
	return e, serveOn(t, srv).Target()
}

// e2eFixture serves a fake engine and monitor, and a host using the real exec shim.
type e2eFixture struct {
	engine  *fakeEngine
	address string
	client  pulumirpc.LanguageRuntimeClient
	venv    string
	output  func() (string, string)
}

func newE2E(t *testing.T) e2eFixture {
	t.Helper()
	f := e2eFixture{venv: repoVenv(t)}
	shim := sdkExecShim(t)
	f.engine, f.address = serveFakeEngine(t)
	f.client = serve(t, newTestHost(t, shim, f.address, ""))
	f.output = captureStdio(t)
	return f
}

func (f e2eFixture) run(t *testing.T, program string) *pulumirpc.RunResponse {
	t.Helper()
	resp, err := f.client.Run(testContext(t), f.request(t, program))
	if err != nil {
		stdout, stderr := f.output()
		t.Fatalf("Run: %v\nstdout: %s\nstderr: %s\nengine log: %s", err, stdout, stderr, f.engine.logText())
	}
	return resp
}

// request is the Run request for program in a new project directory, as the engine would send it.
func (f e2eFixture) request(t *testing.T, program string) *pulumirpc.RunRequest {
	t.Helper()
	root := t.TempDir()
	writeFile(t, root, "Pulumi.yaml", "name: proj\nruntime: python\n", 0o644)
	writeFile(t, root, "__main__.py", program, 0o644)
	return &pulumirpc.RunRequest{
		Project:          "proj",
		Stack:            "dev",
		Organization:     "acme",
		Pwd:              root,
		DryRun:           true,
		Parallel:         4,
		MonitorAddress:   f.address,
		Config:           map[string]string{"proj:greeting": "hello", "proj:token": "s3cret"},
		ConfigSecretKeys: []string{"proj:token"},
		Args:             []string{"arg1"},
		Info: &pulumirpc.ProgramInfo{
			RootDirectory:    root,
			ProgramDirectory: root,
			EntryPoint:       ".",
			Options:          options(t, map[string]any{"virtualenv": f.venv}),
		},
	}
}

func TestRunProgramEndToEnd(t *testing.T) {
	f := newE2E(t)
	resp := f.run(t, `import sys
import pulumi
from pulumi.runtime import is_config_secret

config = pulumi.Config()
print("greeting=" + config.require("greeting"), flush=True)
print("context=%s/%s/%s dry_run=%s argv=%s" % (pulumi.get_organization(), pulumi.get_project(),
      pulumi.get_stack(), pulumi.runtime.is_dry_run(), sys.argv[1:]), flush=True)
print("secret=%s plain=%s" % (is_config_secret("proj:token"), is_config_secret("proj:greeting")), flush=True)
pulumi.export("answer", 42)
`)
	stdout, stderr := f.output()
	if resp.GetError() != "" || resp.GetBail() {
		t.Fatalf("Run = %v\nstdout: %s\nstderr: %s\nengine log: %s", resp, stdout, stderr, f.engine.logText())
	}
	wantLines(t, stdout,
		"greeting=hello",
		"context=acme/proj/dev dry_run=True argv=['arg1']",
		"secret=True plain=False",
	)

	f.engine.mu.Lock()
	defer f.engine.mu.Unlock()
	if len(f.engine.registered) != 1 || f.engine.registered[0].GetType() != "pulumi:pulumi:Stack" ||
		f.engine.registered[0].GetName() != "proj-dev" {
		t.Fatalf("registered resources = %v, want the stack proj-dev only", f.engine.registered)
	}
	if len(f.engine.outputs) != 1 {
		t.Fatalf("RegisterResourceOutputs calls = %d, want 1", len(f.engine.outputs))
	}
	if got := f.engine.outputs[0].GetOutputs().GetFields()["answer"].GetNumberValue(); got != 42 {
		t.Errorf("stack output answer = %v, want 42 (outputs %v)", got, f.engine.outputs[0].GetOutputs())
	}
}

func TestRunProgramFailures(t *testing.T) {
	t.Run("unhandled exception: reported once, then Bail", func(t *testing.T) {
		f := newE2E(t)
		resp := f.run(t, "raise ValueError('boom in the program')\n")
		if !resp.GetBail() || resp.GetError() != "" {
			t.Errorf("Run = %v, want Bail and no error text (the shim has reported it)", resp)
		}
		logs := f.engine.logText()
		if !strings.Contains(logs, "[ERROR] Program failed with an unhandled exception:") ||
			!strings.Contains(logs, "ValueError: boom in the program") {
			t.Errorf("engine log lacks the traceback:\n%s", logs)
		}
	})
	t.Run("missing config: RunError, exit code 1", func(t *testing.T) {
		f := newE2E(t)
		resp := f.run(t, "import pulumi\npulumi.Config().require('absent')\n")
		if resp.GetBail() || resp.GetError() != "program exited with non-zero exit code: 1" {
			t.Errorf("Run = %v, want the exit code 1 error", resp)
		}
		if logs := f.engine.logText(); !strings.Contains(logs, "Missing required configuration variable 'proj:absent'") {
			t.Errorf("engine log lacks the configuration error:\n%s", logs)
		}
	})
	t.Run("sys.exit(5)", func(t *testing.T) {
		f := newE2E(t)
		resp := f.run(t, "import sys\nprint('before exit', flush=True)\nsys.exit(5)\n")
		stdout, _ := f.output()
		if resp.GetError() != "program exited with non-zero exit code: 5" {
			t.Errorf("Run = %v, want the exit code 5 error", resp)
		}
		wantLines(t, stdout, "before exit")
	})
}
