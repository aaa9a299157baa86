package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"
	"google.golang.org/protobuf/types/known/structpb"
)

// interpreter is the Python we decided to run, plus the environment to run it with.
type interpreter struct {
	// python is the path of the executable to start.
	python string
	// virtualenv is the absolute virtualenv directory, or "" when we run a Python from PATH.
	virtualenv string
}

// env returns base with the virtualenv "activated" when we use one. Activation (PATH first,
// VIRTUAL_ENV set, PYTHONHOME removed) matters because user code and the SDK may spawn further
// Python tools and must see the same environment. The helper comes from our pinned sdk/v3.
func (i interpreter) env(base []string) []string {
	if i.virtualenv == "" {
		return base
	}
	return toolchain.ActivateVirtualEnv(base, i.virtualenv)
}

// optionString reads a string runtime option (`runtime.options.<key>` in Pulumi.yaml /
// PulumiPolicy.yaml) from the ProgramInfo options struct; "" when absent or not a string.
func optionString(opts *structpb.Struct, key string) string {
	if opts == nil {
		return ""
	}
	v, ok := opts.GetFields()[key]
	if !ok {
		return ""
	}
	return v.GetStringValue()
}

// lookupEnv finds KEY in a KEY=VALUE list, so the same resolution works for our own environment
// (Run) and the environment the engine hands us for plugins (RunPlugin).
func lookupEnv(environ []string, key string) string {
	for i := len(environ) - 1; i >= 0; i-- { // last one wins, like exec does
		if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// resolveInterpreter picks the Python for a program or plugin.
//
// Order:
//  1. runtime option `virtualenv` (relative paths are relative to root, the directory holding
//     Pulumi.yaml / PulumiPolicy.yaml, which is what upstream does too);
//  2. env PULUMI_RUNTIME_VIRTUALENV (the engine sets this for providers from the project options;
//     we honour it as a fallback so a policy pack without its own option can reuse the project's);
//  3. with option `toolchain: uv` and no virtualenv, `.venv` under root (uv's convention);
//  4. otherwise PULUMI_PYTHON_CMD or python3 (then python) from PATH.
//
// A configured virtualenv that does not exist is an error (with upstream's helpful message) rather
// than a silent fallback: running the wrong interpreter produces confusing ImportErrors later.
func resolveInterpreter(root string, opts *structpb.Struct, environ []string) (interpreter, error) {
	written, abs, err := virtualenvSetting(root, opts, environ)
	if err != nil {
		return interpreter{}, err
	}
	if abs != "" {
		if !toolchain.IsVirtualEnv(abs) {
			return interpreter{}, toolchain.NewVirtualEnvError(written, abs)
		}
		return venvInterpreter(abs), nil
	}
	python, err := pathPython(environ)
	if err != nil {
		return interpreter{}, fmt.Errorf("%w and no virtualenv configured", err)
	}
	return interpreter{python: python}, nil
}

// virtualenvSetting is steps 1-3 of resolveInterpreter: the virtualenv as configured (for messages)
// and as an absolute, cleaned path. Both are "" when no virtualenv is configured.
func virtualenvSetting(root string, opts *structpb.Struct, environ []string) (written, abs string, err error) {
	venv := optionString(opts, "virtualenv")
	if venv == "" {
		venv = lookupEnv(environ, "PULUMI_RUNTIME_VIRTUALENV")
	}
	tc := optionString(opts, "toolchain")
	if venv == "" && tc == "uv" {
		venv = ".venv"
	}
	if tc == "poetry" && venv == "" {
		// Asking poetry for its environment would mean running poetry; we deliberately don't.
		return "", "", errors.New("toolchain 'poetry' is not supported by this minimal language host; " +
			"set runtime.options.virtualenv instead")
	}
	if venv == "" {
		return "", "", nil
	}
	abs = venv
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(root, abs)
	}
	return venv, filepath.Clean(abs), nil
}

// venvInterpreter is the Python of the virtualenv at the absolute path venv.
func venvInterpreter(venv string) interpreter {
	return interpreter{python: filepath.Join(venv, "bin", "python"), virtualenv: venv}
}

// pathPython is step 4 of resolveInterpreter: PULUMI_PYTHON_CMD, or python3 then python, from PATH.
func pathPython(environ []string) (string, error) {
	candidates := []string{"python3", "python"}
	if cmd := lookupEnv(environ, "PULUMI_PYTHON_CMD"); cmd != "" {
		candidates = []string{cmd}
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("no Python interpreter found on PATH (looked for %s)", strings.Join(candidates, ", "))
}

// environOrSelf returns environ, or our own environment when the caller sent none.
func environOrSelf(environ []string) []string {
	if len(environ) == 0 {
		return os.Environ()
	}
	return environ
}
