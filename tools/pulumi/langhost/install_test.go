package main

// InstallDependencies (install.go): which commands run, in which order, where and with what
// environment, recorded by fake Pythons; what the engine is told; failures; a terminal; a
// cancelled install; and once with the real pip of the project's .venv.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// fakePip is a "python" that stands in for `python -m pip` (and `python3 -m venv`). Each call
// appends "<argv0>|<cwd>|<VIRTUAL_ENV>|<args>" to the file $FAKE_PY_LOG, prints a line to stdout and
// one to stderr, and exits with $FAKE_PIP_EXIT (0 when unset). It says whether its stdout is a
// terminal. With `-m venv DIR` it creates DIR/bin/python as another fakePip.
const fakePip = `#!/bin/sh
printf '%s|%s|%s|%s\n' "$0" "$PWD" "$VIRTUAL_ENV" "$*" >> "$FAKE_PY_LOG"
if [ "$1 $2" = "-m venv" ]; then
	mkdir -p "$3/bin" && cp "$0" "$3/bin/python" && echo "venv made $3"
	exit 0
fi
echo "out: $*"
echo "err: $*" >&2
if [ -t 1 ]; then echo "stdout is a terminal"; fi
exit "${FAKE_PIP_EXIT:-0}"
`

type installFixture struct {
	root string
	log  string // what the fake pythons were called with
	base string // the fake python3 on "PATH" (PULUMI_PYTHON_CMD)
	h    *host
	cli  pulumirpc.LanguageRuntimeClient
}

func newInstallFixture(t *testing.T) installFixture {
	t.Helper()
	dir := t.TempDir()
	f := installFixture{root: filepath.Join(dir, "project"), log: filepath.Join(dir, "log")}
	f.base = writeFile(t, dir, "base/python3", fakePip, 0o755)
	if err := os.MkdirAll(f.root, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("FAKE_PY_LOG", f.log)
	t.Setenv("PULUMI_PYTHON_CMD", f.base)
	t.Setenv("PULUMI_RUNTIME_VIRTUALENV", "")
	t.Setenv("VIRTUAL_ENV", "")
	f.h = newTestHost(t, "", "", "")
	f.cli = serve(t, f.h)
	return f
}

// venv makes an existing virtualenv at root/name whose python is a fakePip.
func (f installFixture) venv(t *testing.T, name string) string {
	t.Helper()
	writeFile(t, f.root, name+"/bin/python", fakePip, 0o755)
	return filepath.Join(f.root, name)
}

func (f installFixture) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(f.log)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

type installResult struct {
	stdout, stderr string
	err            error
}

func (f installFixture) install(t *testing.T, opts map[string]any, terminal bool) installResult {
	t.Helper()
	return collectInstall(testContext(t), f.cli, &pulumirpc.InstallDependenciesRequest{
		IsTerminal: terminal,
		Info:       &pulumirpc.ProgramInfo{RootDirectory: f.root, ProgramDirectory: f.root, Options: options(t, opts)},
	})
}

func collectInstall(ctx context.Context, cli pulumirpc.LanguageRuntimeClient,
	req *pulumirpc.InstallDependenciesRequest,
) installResult {
	var r installResult
	stream, err := cli.InstallDependencies(ctx, req)
	if err != nil {
		r.err = err
		return r
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return r
		}
		if err != nil {
			r.err = err
			return r
		}
		r.stdout += string(msg.GetStdout())
		r.stderr += string(msg.GetStderr())
	}
}

// wantInOrder checks that text contains each of parts, in this order.
func wantInOrder(t *testing.T, what, text string, parts ...string) {
	t.Helper()
	rest := text
	for _, p := range parts {
		i := strings.Index(rest, p)
		if i < 0 {
			t.Errorf("%s lacks %q (in this order: %q):\n%s", what, p, parts, text)
			return
		}
		rest = rest[i+len(p):]
	}
}

func wantCalls(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("python calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestInstallDependenciesCreatesTheVirtualenv(t *testing.T) {
	for _, empty := range []bool{false, true} {
		t.Run(fmt.Sprintf("existing empty directory %v", empty), func(t *testing.T) {
			f := newInstallFixture(t)
			writeFile(t, f.root, "requirements.txt", "pulumi\n", 0o644)
			venv := filepath.Join(f.root, "venv")
			if empty {
				if err := os.Mkdir(venv, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			r := f.install(t, map[string]any{"virtualenv": "venv"}, false)
			if r.err != nil {
				t.Fatalf("InstallDependencies: %v\n%s%s", r.err, r.stdout, r.stderr)
			}
			py := filepath.Join(venv, "bin", "python")
			wantCalls(t, f.calls(t),
				f.base+"|"+f.root+"||-m venv "+venv,
				py+"|"+f.root+"|"+venv+"|-m pip install --upgrade pip setuptools wheel",
				py+"|"+f.root+"|"+venv+"|-m pip install -r requirements.txt",
			)
			// The steps are announced, and each command's output is streamed as it runs.
			wantInOrder(t, "stdout", r.stdout,
				"Creating virtual environment in "+venv+" with "+f.base+"...\n",
				"venv made "+venv+"\n",
				"Finished creating virtual environment\n",
				"Updating pip, setuptools and wheel in the virtual environment...\n",
				"out: -m pip install --upgrade pip setuptools wheel\n",
				"Finished updating\n",
				"Installing dependencies from "+filepath.Join(f.root, "requirements.txt")+" with "+py+"...\n",
				"out: -m pip install -r requirements.txt\n",
				"Finished installing dependencies\n",
			)
			wantInOrder(t, "stderr", r.stderr, "err: -m pip install --upgrade pip setuptools wheel\n",
				"err: -m pip install -r requirements.txt\n")
			if strings.Contains(r.stdout, "terminal") {
				t.Errorf("pip's stdout was a terminal without IsTerminal:\n%s", r.stdout)
			}
		})
	}
}

func TestInstallDependenciesIntoAnExistingVirtualenv(t *testing.T) {
	t.Run("requirements.txt", func(t *testing.T) {
		f := newInstallFixture(t)
		venv := f.venv(t, ".venv")
		writeFile(t, f.root, "requirements.txt", "pulumi\n", 0o644)
		writeFile(t, f.root, "pyproject.toml", "[project]\nname = 'x'\n", 0o644) // requirements.txt wins
		r := f.install(t, map[string]any{"virtualenv": ".venv"}, false)
		if r.err != nil {
			t.Fatal(r.err)
		}
		// No new virtualenv, no upgrade of pip & co: only the requirements.
		py := filepath.Join(venv, "bin", "python")
		wantCalls(t, f.calls(t), py+"|"+f.root+"|"+venv+"|-m pip install -r requirements.txt")
		wantInOrder(t, "stdout", r.stdout, "Using the virtual environment "+venv+"\n",
			"out: -m pip install -r requirements.txt\n", "Finished installing dependencies\n")
	})
	t.Run("pyproject.toml only", func(t *testing.T) {
		f := newInstallFixture(t)
		venv := f.venv(t, "env")
		writeFile(t, f.root, "pyproject.toml", "[project]\nname = 'x'\n", 0o644)
		// An absolute path and older engines' Directory instead of RootDirectory.
		r := collectInstall(testContext(t), f.cli, &pulumirpc.InstallDependenciesRequest{
			Directory: f.root,
			Info:      &pulumirpc.ProgramInfo{Options: options(t, map[string]any{"virtualenv": venv})},
		})
		if r.err != nil {
			t.Fatal(r.err)
		}
		wantCalls(t, f.calls(t), filepath.Join(venv, "bin", "python")+"|"+f.root+"|"+venv+"|-m pip install .")
		wantInOrder(t, "stdout", r.stdout,
			"No requirements.txt; installing the project from "+filepath.Join(f.root, "pyproject.toml"),
			"out: -m pip install .\n", "Finished installing dependencies\n")
	})
	t.Run("nothing to install", func(t *testing.T) {
		f := newInstallFixture(t)
		venv := f.venv(t, "venv")
		r := f.install(t, map[string]any{"virtualenv": "venv"}, false)
		want := "Using the virtual environment " + venv + "\nThere is no requirements.txt or pyproject.toml in " +
			f.root + ": no dependencies to install.\n"
		if r.err != nil || r.stdout != want || r.stderr != "" {
			t.Errorf("InstallDependencies = %+v, want stdout %q", r, want)
		}
		wantCalls(t, f.calls(t))
	})
	t.Run("PULUMI_RUNTIME_VIRTUALENV and toolchain uv", func(t *testing.T) {
		f := newInstallFixture(t)
		writeFile(t, f.root, "requirements.txt", "pulumi\n", 0o644)
		t.Setenv("PULUMI_RUNTIME_VIRTUALENV", f.venv(t, "from-env"))
		f.venv(t, ".venv")
		if r := f.install(t, nil, false); r.err != nil {
			t.Fatal(r.err)
		}
		t.Setenv("PULUMI_RUNTIME_VIRTUALENV", "")
		if r := f.install(t, map[string]any{"toolchain": "uv"}, false); r.err != nil {
			t.Fatal(r.err)
		}
		calls := f.calls(t)
		if len(calls) != 2 || !strings.HasPrefix(calls[0], filepath.Join(f.root, "from-env", "bin", "python")+"|") ||
			!strings.HasPrefix(calls[1], filepath.Join(f.root, ".venv", "bin", "python")+"|") {
			t.Errorf("python calls = %q, want the env's virtualenv, then .venv for uv", calls)
		}
	})
}

func TestInstallDependenciesWithoutVirtualenv(t *testing.T) {
	f := newInstallFixture(t)
	r := f.install(t, nil, false)
	want := "No virtualenv is configured (runtime option 'virtualenv' in Pulumi.yaml) and " + f.root +
		" has no requirements.txt or pyproject.toml: nothing to install.\n"
	if r.err != nil || r.stdout != want {
		t.Errorf("InstallDependencies = %+v, want stdout %q", r, want)
	}
	wantCalls(t, f.calls(t))

	// With requirements: pip of the Python from PATH, said so, and nothing upgraded.
	writeFile(t, f.root, "requirements.txt", "pulumi\n", 0o644)
	r = f.install(t, nil, false)
	if r.err != nil {
		t.Fatal(r.err)
	}
	wantCalls(t, f.calls(t), f.base+"|"+f.root+"||-m pip install -r requirements.txt")
	wantInOrder(t, "stdout", r.stdout,
		"No virtualenv is configured (runtime option 'virtualenv' in Pulumi.yaml); installing into "+f.base+".\n",
		"out: -m pip install -r requirements.txt\n", "Finished installing dependencies\n")
}

func TestInstallDependenciesErrors(t *testing.T) {
	t.Run("pip fails", func(t *testing.T) {
		f := newInstallFixture(t)
		venv := f.venv(t, "venv")
		writeFile(t, f.root, "requirements.txt", "no-such-package\n", 0o644)
		t.Setenv("FAKE_PIP_EXIT", "1")
		r := f.install(t, map[string]any{"virtualenv": "venv"}, false)
		want := "installing dependencies from requirements.txt: '" + filepath.Join(venv, "bin", "python") +
			" -m pip install -r requirements.txt' failed with exit code 1 (its output is above)"
		if status.Convert(r.err).Message() != want {
			t.Errorf("error = %v, want %q", r.err, want)
		}
		if !strings.Contains(r.stderr, "err: -m pip install -r requirements.txt") {
			t.Errorf("pip's stderr was not streamed: %+v", r)
		}
		if strings.Contains(r.stdout, "Finished") {
			t.Errorf("a failed install says it finished:\n%s", r.stdout)
		}
	})
	t.Run("venv creation fails", func(t *testing.T) {
		f := newInstallFixture(t)
		f.base = writeFile(t, t.TempDir(), "python3", "#!/bin/sh\necho 'Error: no venv module' >&2\nexit 1\n", 0o755)
		t.Setenv("PULUMI_PYTHON_CMD", f.base)
		r := f.install(t, map[string]any{"virtualenv": "venv"}, false)
		want := "creating the virtual environment: '" + f.base + " -m venv " + filepath.Join(f.root, "venv") +
			"' failed with exit code 1 (its output is above)"
		if status.Convert(r.err).Message() != want || !strings.Contains(r.stderr, "Error: no venv module") {
			t.Errorf("InstallDependencies = %+v, want %q and the output", r, want)
		}
	})
	t.Run("no Python", func(t *testing.T) {
		f := newInstallFixture(t)
		t.Setenv("PULUMI_PYTHON_CMD", "no-such-python-here")
		r := f.install(t, map[string]any{"virtualenv": "venv"}, false)
		want := "cannot create the virtualenv " + filepath.Join(f.root, "venv") + ": no Python interpreter found " +
			"on PATH (looked for no-such-python-here); install Python 3 or set PULUMI_PYTHON_CMD"
		if status.Convert(r.err).Message() != want {
			t.Errorf("error = %v, want %q", r.err, want)
		}
		writeFile(t, f.root, "requirements.txt", "pulumi\n", 0o644)
		r = f.install(t, nil, false)
		want = "cannot install the dependencies: no Python interpreter found on PATH (looked for " +
			"no-such-python-here); install Python 3 or set PULUMI_PYTHON_CMD"
		if status.Convert(r.err).Message() != want {
			t.Errorf("error = %v, want %q", r.err, want)
		}
	})
	t.Run("something else at the virtualenv path", func(t *testing.T) {
		f := newInstallFixture(t)
		writeFile(t, f.root, "afile", "", 0o644)
		writeFile(t, f.root, "notvenv/README", "", 0o644)
		r := f.install(t, map[string]any{"virtualenv": "afile"}, false)
		if want := "is not a directory"; r.err == nil || !strings.Contains(r.err.Error(), want) {
			t.Errorf("virtualenv is a file: %v, want %q", r.err, want)
		}
		r = f.install(t, map[string]any{"virtualenv": "notvenv"}, false)
		if want := "doesn't appear to be a virtual environment"; r.err == nil || !strings.Contains(r.err.Error(), want) {
			t.Errorf("virtualenv is a directory with other things: %v, want %q", r.err, want)
		}
		r = f.install(t, map[string]any{"toolchain": "poetry"}, false)
		if want := "toolchain 'poetry' is not supported"; r.err == nil || !strings.Contains(r.err.Error(), want) {
			t.Errorf("poetry: %v, want %q", r.err, want)
		}
		wantCalls(t, f.calls(t)) // nothing ran
	})
}

func TestInstallDependenciesTerminal(t *testing.T) {
	f := newInstallFixture(t)
	f.venv(t, "venv")
	writeFile(t, f.root, "requirements.txt", "pulumi\n", 0o644)
	r := f.install(t, map[string]any{"virtualenv": "venv"}, true)
	if r.err != nil {
		t.Fatal(r.err)
	}
	// IsTerminal: pip writes to a pseudo-terminal (colours, progress bars); both of its streams come
	// back as stdout then, like upstream.
	wantInOrder(t, "stdout", r.stdout, "out: -m pip install -r requirements.txt", "stdout is a terminal",
		"Finished installing dependencies")
	if !strings.Contains(r.stdout, "err: -m pip install -r requirements.txt") || r.stderr != "" {
		t.Errorf("with a terminal, stderr should arrive on stdout: %+v", r)
	}
}

func TestInstallDependenciesStopsPipWhenCancelled(t *testing.T) {
	f := newInstallFixture(t)
	dir := f.venv(t, "venv")
	marker := filepath.Join(t.TempDir(), "interrupted")
	writeFile(t, dir, "bin/python", `#!/bin/sh
trap 'echo interrupted > `+strconv.Quote(marker)+`; exit 1' INT
echo started
sleep 30 & wait
`, 0o755)
	writeFile(t, f.root, "requirements.txt", "pulumi\n", 0o644)
	ctx, cancel := context.WithCancel(testContext(t))
	defer cancel()
	stream, err := f.cli.InstallDependencies(ctx, &pulumirpc.InstallDependenciesRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: f.root, Options: options(t, map[string]any{"virtualenv": "venv"})},
	})
	if err != nil {
		t.Fatal(err)
	}
	for seen := ""; !strings.Contains(seen, "started"); {
		msg, err := stream.Recv()
		if err != nil {
			t.Fatalf("pip did not start: %q, %v", seen, err)
		}
		seen += string(msg.GetStdout())
	}
	cancel() // the engine gave up (Ctrl-C on `pulumi install`)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, _ := os.ReadFile(marker); string(b) == "interrupted\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("pip got no SIGINT within 10s of the engine cancelling the install")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, err := stream.Recv(); status.Code(err) != codes.Canceled {
		t.Errorf("stream after cancel: %v, want Canceled", err)
	}
}

// TestInstallDependenciesRealPip runs the real pip of the project's .venv on a requirements.txt that
// is already satisfied, offline (PIP_NO_INDEX), which changes nothing in the .venv.
func TestInstallDependenciesRealPip(t *testing.T) {
	venv := repoVenv(t)
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("PULUMI_RUNTIME_VIRTUALENV", "")
	root := t.TempDir()
	writeFile(t, root, "requirements.txt", "pip\n", 0o644)
	cli := serve(t, newTestHost(t, "", "", ""))
	r := collectInstall(testContext(t), cli, &pulumirpc.InstallDependenciesRequest{
		Info: &pulumirpc.ProgramInfo{RootDirectory: root, Options: options(t, map[string]any{"virtualenv": venv})},
	})
	if r.err != nil {
		t.Fatalf("InstallDependencies: %v\n%s\n%s", r.err, r.stdout, r.stderr)
	}
	wantInOrder(t, "stdout", r.stdout, "Using the virtual environment "+venv+"\n",
		"Requirement already satisfied: pip", "Finished installing dependencies\n")
}
