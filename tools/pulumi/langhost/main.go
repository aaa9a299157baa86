// Command pulumi-language-python is a small, self-written Python language host for the Pulumi CLI.
//
// Why it exists: the Go module proxy available to this project does not serve
// github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3, so the official host cannot be
// built here. The Pulumi engine only needs *some* executable called `pulumi-language-python` that
// speaks the LanguageRuntime gRPC protocol, so we provide one that covers what this project uses:
// running Python programs (with dynamic providers) and running Python policy packs. See README.md.
//
// Build (binary name matters: the engine looks the plugin up as "pulumi-language-<runtime>"):
//
//	go build -trimpath -tags osusergo,grpcnotrace \
//	  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v3.274.0" \
//	  -o OUTDIR/pulumi-language-python ./langhost
//
// The `pulumi-language-python-exec` shim from the pulumi sdk/v3 module must be installed in the same
// directory as the binary; it is the Python half that actually connects the program to the engine.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/cmdutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// execShimName is the Python script (shipped inside the pulumi sdk/v3 Go module) that configures the
// pulumi Python SDK from command-line flags and then runs the user's program with runpy.
const execShimName = "pulumi-language-python-exec"

// The host must not outlive the engine that started it, also when the engine dies without stopping
// it (SIGKILL, an out-of-memory kill, a cancelled CI job). Two watches end it:
//   - parentPollInterval: the engine is our parent; when it dies we are re-parented, and getppid()
//     changes. This is what notices a killed `pulumi` within a fraction of a second.
//   - engineHealthInterval: a gRPC health check of the engine address, for an engine that is not our
//     parent (a host started by hand and attached to) or that stops answering. One failed check ends
//     the host. Cheap: one local RPC.
const (
	parentPollInterval   = 250 * time.Millisecond
	engineHealthInterval = 2 * time.Second
)

// shutdownDeadline bounds how long the host takes to exit once it has been told to (signal, dead
// engine): the children get their stop signal and childStopGrace, then everything still running is
// killed and the host exits. It stays below the 5 s after which the engine SIGKILLs the host.
const shutdownDeadline = childStopGrace + time.Second

func main() {
	// The engine may pass `--tracing <endpoint>`, and with `--logflow` also `--logtostderr` / `-v=N`.
	// The latter two are registered on flag.CommandLine by the logging package (glog-compatible
	// flags), so a plain flag.Parse accepts everything the engine can send.
	tracing := flag.String("tracing", "", "Emit tracing to a Zipkin-compatible tracing endpoint")
	flag.Parse()
	logging.InitLogging(false, 0, false)
	cmdutil.InitTracing("pulumi-language-python", "pulumi-language-python", *tracing)
	defer cmdutil.CloseTracing()

	// The first positional argument is the engine's gRPC address. The exec shim needs it (for
	// logging from the program) and we use it for health checks. Handshake may update it later.
	var engineAddress string
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[0]
	}

	// The exec shim lives next to this binary (that is how we install it). Resolve symlinks so a
	// symlinked binary on PATH still finds its sibling.
	self, err := os.Executable()
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not determine current executable: %w", err))
	}
	if resolved, rerr := filepath.EvalSymlinks(self); rerr == nil {
		self = resolved
	}
	execShim := filepath.Join(filepath.Dir(self), execShimName)

	// The engine shuts plugins down by sending SIGINT to the plugin's process group (and SIGKILL
	// after a grace period). Turn SIGINT/SIGTERM into a context cancellation so we stop serving
	// gracefully; the same context aborts any Python children we started.
	sigCtx, stopSignals := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stopSignals()
	// The watches below end the host through stop, which (unlike stopSignals) keeps SIGINT/SIGTERM
	// handled while the host shuts down.
	ctx, stop := context.WithCancel(sigCtx)
	defer stop()
	// When the engine dies, the pipes it read our stdout/stderr from break, and a Go program that
	// writes to a broken stdout/stderr is killed by SIGPIPE unless it asks for the signal. Asking
	// turns that into an EPIPE error, so the host still stops its children and exits in order.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)

	watchParent(ctx, os.Getppid(), parentPollInterval, stop)
	if engineAddress != "" {
		// Healthcheck cancels ctx once the engine stops answering.
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineHealthInterval, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start engine health check: %w", err))
		}
	}

	host := newHost(ctx, execShim, engineAddress, *tracing)

	// rpcutil's Cancel channel triggers GracefulStop when it is closed (or receives true). That waits
	// for the running requests, which end once their children have stopped; shutdownDeadline bounds
	// the wait in case one does not.
	cancelServe := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelServe)
		time.Sleep(shutdownDeadline)
		host.children.killAll()
		os.Exit(1)
	}()

	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancelServe,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
		Options: rpcutil.TracingServerInterceptorOptions(nil),
	})
	if err != nil {
		cmdutil.Exit(fmt.Errorf("could not start language host RPC server: %w", err))
	}

	// Plugin protocol: the first line on stdout is the port we listen on. Nothing else may be
	// printed before it.
	fmt.Printf("%d\n", handle.Port)

	err = <-handle.Done
	host.children.killAll() // none is left normally: every request waits for its children
	if err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}

// watchParent calls stop once the host's parent (the engine, which started it) is gone: the kernel
// then re-parents the host, so getppid() no longer returns parent. A host that was started with no
// parent of its own (parent 1) is not watched.
func watchParent(ctx context.Context, parent int, interval time.Duration, stop func()) {
	if parent <= 1 {
		return
	}
	go func() {
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if os.Getppid() != parent {
					stop()
					return
				}
			}
		}
	}()
}
