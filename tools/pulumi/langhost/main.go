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

// engineHealthInterval is how often we ping the engine. If the engine dies without telling us
// (e.g. it was SIGKILLed), this is what makes us exit instead of lingering as an orphan.
const engineHealthInterval = 5 * time.Minute

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if engineAddress != "" {
		// Healthcheck cancels ctx once the engine stops answering.
		if err := rpcutil.Healthcheck(ctx, engineAddress, engineHealthInterval, stop); err != nil {
			cmdutil.Exit(fmt.Errorf("could not start engine health check: %w", err))
		}
	}

	host := newHost(ctx, execShim, engineAddress, *tracing)

	// rpcutil's Cancel channel triggers GracefulStop when it is closed (or receives true).
	cancelServe := make(chan bool)
	go func() {
		<-ctx.Done()
		close(cancelServe)
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

	if err := <-handle.Done; err != nil {
		cmdutil.Exit(fmt.Errorf("language host RPC stopped serving: %w", err))
	}
}
