package main

// InstallDependencies: `pulumi install` (and the install step of `pulumi new`), done the way
// upstream's pip toolchain does it (sdk/v3 python/toolchain, InstallDependencies and EnsureVenv):
//
//  1. a configured virtualenv that does not exist (or is an empty directory) is created with
//     `<python> -m venv <dir>`, python being PULUMI_PYTHON_CMD, python3 or python from PATH, and
//     then gets `pip install --upgrade pip setuptools wheel`;
//  2. requirements.txt in the project root is installed with `pip install -r requirements.txt`;
//     without one, a pyproject.toml there is installed as a package (`pip install .`).
//
// We do not call the toolchain helpers themselves: they start pip without a context and outside
// our process-group handling (children.go), so pip would outlive a cancelled `pulumi install` or a
// killed engine, and `python -m venv` output is not streamed. Unlike upstream, an existing virtualenv
// is used as it is (no upgrade of pip, setuptools and wheel), and nothing is upgraded in a Python
// that is not a virtualenv.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
)

// installer runs the steps of one InstallDependencies call and streams their output.
type installer struct {
	h              *host
	ctx            context.Context
	root           string
	stdout, stderr io.Writer
}

func (h *host) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	stream pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	// With IsTerminal (the engine's output is coloured) the children write to a pseudo-terminal, so
	// pip shows its colours and progress bars; otherwise to two plain pipes.
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(stream, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	if err := h.errStopped(); err != nil {
		return err
	}
	info := req.GetInfo()
	root := info.GetRootDirectory()
	if root == "" {
		root = req.GetDirectory() //nolint:staticcheck // older engines only send this
	}
	ctx, done := h.childContext(stream.Context())
	defer done()
	var mu sync.Mutex // pip's stdout and stderr are copied by two goroutines; a stream takes one sender
	in := installer{h: h, ctx: ctx, root: root, stdout: serialized(&mu, stdout), stderr: serialized(&mu, stderr)}
	if err := in.install(info, os.Environ()); err != nil {
		return err
	}
	// Flushes the pseudo-terminal, if any, before the engine sees the end of the stream.
	return closer.Close()
}

func (in installer) say(format string, args ...any) {
	fmt.Fprintf(in.stdout, format+"\n", args...)
}

func (in installer) install(info *pulumirpc.ProgramInfo, environ []string) error {
	written, venv, err := virtualenvSetting(in.root, info.GetOptions(), environ)
	if err != nil {
		return err
	}
	requirements := filepath.Join(in.root, "requirements.txt")
	pyproject := filepath.Join(in.root, "pyproject.toml")
	hasRequirements, hasPyproject := isFile(requirements), isFile(pyproject)

	var py interpreter
	switch {
	case venv == "":
		if !hasRequirements && !hasPyproject {
			in.say("No virtualenv is configured (runtime option 'virtualenv' in Pulumi.yaml) and %s has no "+
				"requirements.txt or pyproject.toml: nothing to install.", in.root)
			return nil
		}
		python, err := pathPython(environ)
		if err != nil {
			return fmt.Errorf("cannot install the dependencies: %w; install Python 3 or set PULUMI_PYTHON_CMD", err)
		}
		py = interpreter{python: python}
		in.say("No virtualenv is configured (runtime option 'virtualenv' in Pulumi.yaml); installing into %s.", python)
	case toolchain.IsVirtualEnv(venv):
		py = venvInterpreter(venv)
		in.say("Using the virtual environment %s", venv)
	default:
		if err := in.createVirtualenv(written, venv, environ); err != nil {
			return err
		}
		py = venvInterpreter(venv)
		in.say("Updating pip, setuptools and wheel in the virtual environment...")
		if err := in.pip(py, environ, "updating pip, setuptools and wheel",
			"--upgrade", "pip", "setuptools", "wheel"); err != nil {
			return err
		}
		in.say("Finished updating")
	}

	switch {
	case hasRequirements:
		in.say("Installing dependencies from %s with %s...", requirements, py.python)
		if err := in.pip(py, environ, "installing dependencies from requirements.txt", "-r", "requirements.txt"); err != nil {
			return err
		}
	case hasPyproject:
		in.say("No requirements.txt; installing the project from %s with %s...", pyproject, py.python)
		if err := in.pip(py, environ, "installing the project from pyproject.toml", "."); err != nil {
			return err
		}
	default:
		in.say("There is no requirements.txt or pyproject.toml in %s: no dependencies to install.", in.root)
		return nil
	}
	in.say("Finished installing dependencies")
	return nil
}

// createVirtualenv runs `<python> -m venv <venv>` for a configured virtualenv that does not exist
// or is an empty directory. Anything else at that path is left alone and reported.
func (in installer) createVirtualenv(written, venv string, environ []string) error {
	if st, err := os.Stat(venv); err == nil {
		if !st.IsDir() {
			return fmt.Errorf("the 'virtualenv' option in Pulumi.yaml is set to %q, but %q is not a directory", written, venv)
		}
		entries, err := os.ReadDir(venv)
		if err != nil {
			return err
		}
		if len(entries) > 0 {
			return toolchain.NewVirtualEnvError(written, venv)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	base, err := pathPython(environ)
	if err != nil {
		return fmt.Errorf("cannot create the virtualenv %s: %w; install Python 3 or set PULUMI_PYTHON_CMD", venv, err)
	}
	in.say("Creating virtual environment in %s with %s...", venv, base)
	cmd := in.h.children.command(in.ctx, syscall.SIGTERM, base, "-m", "venv", venv)
	if err := in.stream(cmd, environ, "creating the virtual environment"); err != nil {
		return err
	}
	if !toolchain.IsVirtualEnv(venv) {
		return fmt.Errorf("creating the virtual environment: %s -m venv %s left no %s", base, venv,
			filepath.Join(venv, "bin", "python"))
	}
	in.say("Finished creating virtual environment")
	return nil
}

// pip runs `python -m pip install <args>` in the project root with the virtualenv activated.
func (in installer) pip(py interpreter, environ []string, what string, args ...string) error {
	// SIGINT when cancelled: pip then cleans up and says "Operation cancelled by user".
	cmd := in.h.children.command(in.ctx, syscall.SIGINT, py.python, append([]string{"-m", "pip", "install"}, args...)...)
	return in.stream(cmd, py.env(environ), what)
}

// stream runs cmd in the project root with its output going to the engine as it comes. A failure
// is one line: what failed, the command and its exit code (its output has been shown already).
func (in installer) stream(cmd *exec.Cmd, env []string, what string) error {
	cmd.Dir = in.root
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = in.stdout, in.stderr
	err := in.h.children.run(cmd)
	line := strings.Join(cmd.Args, " ")
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return nil
	case in.ctx.Err() != nil:
		return fmt.Errorf("%s: cancelled (%s)", what, line)
	case errors.As(err, &exitErr) && exitErr.ExitCode() > 0:
		return fmt.Errorf("%s: '%s' failed with exit code %d (its output is above)", what, line, exitErr.ExitCode())
	default:
		return fmt.Errorf("%s: '%s': %w", what, line, err)
	}
}

// lockedWriter makes writes to a gRPC stream from several goroutines take turns.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// serialized wraps a stream writer in a lockedWriter. A pseudo-terminal (*os.File) is left as it
// is: exec hands a file straight to the child, which is what makes pip see a terminal.
func serialized(mu *sync.Mutex, w io.Writer) io.Writer {
	if _, ok := w.(*os.File); ok {
		return w
	}
	return lockedWriter{mu: mu, w: w}
}

func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
