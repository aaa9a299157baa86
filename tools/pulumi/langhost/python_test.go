package main

// Interpreter resolution (python.go): the README's four rules, their order, and the error paths.

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
)

func options(t *testing.T, m map[string]any) *structpb.Struct {
	t.Helper()
	s, err := structpb.NewStruct(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// pathWith sets PATH to a fresh directory holding executable stubs with the given names.
func pathWith(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		writeFile(t, dir, n, "#!/bin/sh\nexit 0\n", 0o755)
	}
	t.Setenv("PATH", dir)
	return dir
}

func wantVenv(t *testing.T, got interpreter, err error, venv string) {
	t.Helper()
	if err != nil {
		t.Fatalf("resolveInterpreter: unexpected error: %v", err)
	}
	want := interpreter{python: filepath.Join(venv, "bin", "python"), virtualenv: venv}
	if got != want {
		t.Fatalf("resolveInterpreter = %+v, want %+v", got, want)
	}
}

func TestResolveInterpreterVirtualenvOption(t *testing.T) {
	root := t.TempDir()
	writeFile(t, root, "venvs/a/bin/python", "", 0o755)
	abs := fakeVenv(t, "")

	t.Run("relative to the root directory", func(t *testing.T) {
		got, err := resolveInterpreter(root, options(t, map[string]any{"virtualenv": "venvs/a"}), nil)
		wantVenv(t, got, err, filepath.Join(root, "venvs", "a"))
	})
	t.Run("relative path is cleaned", func(t *testing.T) {
		got, err := resolveInterpreter(root, options(t, map[string]any{"virtualenv": "./venvs/x/../a/"}), nil)
		wantVenv(t, got, err, filepath.Join(root, "venvs", "a"))
	})
	t.Run("absolute path is kept", func(t *testing.T) {
		got, err := resolveInterpreter(root, options(t, map[string]any{"virtualenv": abs}), nil)
		wantVenv(t, got, err, abs)
	})
	t.Run("option wins over PULUMI_RUNTIME_VIRTUALENV", func(t *testing.T) {
		env := []string{"PULUMI_RUNTIME_VIRTUALENV=" + abs}
		got, err := resolveInterpreter(root, options(t, map[string]any{"virtualenv": "venvs/a"}), env)
		wantVenv(t, got, err, filepath.Join(root, "venvs", "a"))
	})
	t.Run("option wins over toolchain uv", func(t *testing.T) {
		got, err := resolveInterpreter(root, options(t, map[string]any{"virtualenv": abs, "toolchain": "uv"}), nil)
		wantVenv(t, got, err, abs)
	})
	t.Run("poetry is accepted with an explicit virtualenv", func(t *testing.T) {
		got, err := resolveInterpreter(root, options(t, map[string]any{"virtualenv": abs, "toolchain": "poetry"}), nil)
		wantVenv(t, got, err, abs)
	})
}

func TestResolveInterpreterEnvironmentFallbacks(t *testing.T) {
	root := t.TempDir()
	abs := fakeVenv(t, "")
	writeFile(t, root, "rel/bin/python", "", 0o755)

	t.Run("PULUMI_RUNTIME_VIRTUALENV from the given environment", func(t *testing.T) {
		got, err := resolveInterpreter(root, nil, []string{"PULUMI_RUNTIME_VIRTUALENV=" + abs})
		wantVenv(t, got, err, abs)
	})
	t.Run("relative PULUMI_RUNTIME_VIRTUALENV is relative to the root", func(t *testing.T) {
		got, err := resolveInterpreter(root, nil, []string{"PULUMI_RUNTIME_VIRTUALENV=rel"})
		wantVenv(t, got, err, filepath.Join(root, "rel"))
	})
	t.Run("only the given environment counts, not the process's", func(t *testing.T) {
		t.Setenv("PULUMI_RUNTIME_VIRTUALENV", abs)
		pathDir := pathWith(t, "python3")
		got, err := resolveInterpreter(root, nil, []string{"HOME=/nowhere"})
		if err != nil || got != (interpreter{python: filepath.Join(pathDir, "python3")}) {
			t.Fatalf("resolveInterpreter = %+v, %v; want python3 from PATH", got, err)
		}
	})
	t.Run("last duplicate wins", func(t *testing.T) {
		env := []string{"PULUMI_RUNTIME_VIRTUALENV=/does/not/exist", "PULUMI_RUNTIME_VIRTUALENV=" + abs}
		got, err := resolveInterpreter(root, nil, env)
		wantVenv(t, got, err, abs)
	})
	t.Run("toolchain uv uses <root>/.venv", func(t *testing.T) {
		uvRoot := t.TempDir()
		writeFile(t, uvRoot, ".venv/bin/python", "", 0o755)
		got, err := resolveInterpreter(uvRoot, options(t, map[string]any{"toolchain": "uv"}), nil)
		wantVenv(t, got, err, filepath.Join(uvRoot, ".venv"))
	})
	t.Run("a non-string option is ignored", func(t *testing.T) {
		pathDir := pathWith(t, "python3")
		got, err := resolveInterpreter(root, options(t, map[string]any{"virtualenv": true}), nil)
		if err != nil || got != (interpreter{python: filepath.Join(pathDir, "python3")}) {
			t.Fatalf("resolveInterpreter = %+v, %v; want python3 from PATH", got, err)
		}
	})
}

func TestResolveInterpreterFromPath(t *testing.T) {
	root := t.TempDir()
	t.Run("python3 first", func(t *testing.T) {
		dir := pathWith(t, "python3", "python")
		got, err := resolveInterpreter(root, nil, nil)
		if err != nil || got != (interpreter{python: filepath.Join(dir, "python3")}) {
			t.Fatalf("resolveInterpreter = %+v, %v; want %s/python3 and no virtualenv", got, err, dir)
		}
	})
	t.Run("then python", func(t *testing.T) {
		dir := pathWith(t, "python")
		got, err := resolveInterpreter(root, nil, nil)
		if err != nil || got != (interpreter{python: filepath.Join(dir, "python")}) {
			t.Fatalf("resolveInterpreter = %+v, %v; want %s/python", got, err, dir)
		}
	})
	t.Run("PULUMI_PYTHON_CMD replaces the defaults", func(t *testing.T) {
		dir := pathWith(t, "python3", "py-custom")
		got, err := resolveInterpreter(root, nil, []string{"PULUMI_PYTHON_CMD=py-custom"})
		if err != nil || got != (interpreter{python: filepath.Join(dir, "py-custom")}) {
			t.Fatalf("resolveInterpreter = %+v, %v; want %s/py-custom", got, err, dir)
		}
	})
	t.Run("a missing PULUMI_PYTHON_CMD is an error, not python3", func(t *testing.T) {
		pathWith(t, "python3")
		_, err := resolveInterpreter(root, nil, []string{"PULUMI_PYTHON_CMD=py-missing"})
		if err == nil || !strings.Contains(err.Error(), "looked for py-missing)") {
			t.Fatalf("resolveInterpreter error = %v; want one naming py-missing only", err)
		}
	})
	t.Run("no Python at all", func(t *testing.T) {
		pathWith(t)
		_, err := resolveInterpreter(root, nil, nil)
		if err == nil || !strings.Contains(err.Error(), "no Python interpreter found on PATH (looked for python3, python)") {
			t.Fatalf("resolveInterpreter error = %v; want the no-interpreter message", err)
		}
	})
}

func TestResolveInterpreterErrors(t *testing.T) {
	root := t.TempDir()
	// Whatever is on PATH must not be used as a silent fallback for a configured virtualenv.
	pathWith(t, "python3", "python")
	notVenv := filepath.Join(root, "not-a-venv")
	if err := os.MkdirAll(notVenv, 0o755); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		opts map[string]any
		env  []string
		want []string
	}{
		{
			name: "missing virtualenv from the option",
			opts: map[string]any{"virtualenv": "venv-missing"},
			want: []string{
				`The 'virtualenv' option in Pulumi.yaml is set to "venv-missing"`,
				`"` + filepath.Join(root, "venv-missing") + `" doesn't exist`,
				"-m venv " + filepath.Join(root, "venv-missing"),
			},
		},
		{
			name: "directory that is not a virtualenv",
			opts: map[string]any{"virtualenv": notVenv},
			want: []string{`"` + notVenv + `" doesn't appear to be a virtual environment`},
		},
		{
			name: "missing virtualenv from PULUMI_RUNTIME_VIRTUALENV",
			env:  []string{"PULUMI_RUNTIME_VIRTUALENV=/nonexistent/venv"},
			want: []string{`is set to "/nonexistent/venv"`, "doesn't exist"},
		},
		{
			name: "toolchain uv without .venv",
			opts: map[string]any{"toolchain": "uv"},
			want: []string{`is set to ".venv"`, filepath.Join(root, ".venv"), "doesn't exist"},
		},
		{
			name: "toolchain poetry without virtualenv",
			opts: map[string]any{"toolchain": "poetry"},
			want: []string{"toolchain 'poetry' is not supported", "set runtime.options.virtualenv instead"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var opts *structpb.Struct
			if c.opts != nil {
				opts = options(t, c.opts)
			}
			got, err := resolveInterpreter(root, opts, c.env)
			if err == nil {
				t.Fatalf("resolveInterpreter = %+v, want an error", got)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\ndoes not contain %q", err, w)
				}
			}
		})
	}
}

func TestInterpreterEnv(t *testing.T) {
	base := []string{"PATH=/usr/bin:/bin", "PYTHONHOME=/opt/py", "VIRTUAL_ENV=/old/venv", "FOO=bar=baz"}

	t.Run("no virtualenv leaves the environment alone", func(t *testing.T) {
		got := interpreter{python: "/usr/bin/python3"}.env(base)
		if !reflect.DeepEqual(got, base) {
			t.Fatalf("env = %q, want %q", got, base)
		}
	})
	t.Run("virtualenv is activated", func(t *testing.T) {
		got := interpreter{python: "/v/bin/python", virtualenv: "/v"}.env(base)
		want := []string{"PATH=/v/bin:/usr/bin:/bin", "FOO=bar=baz", "VIRTUAL_ENV=/v"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("env = %q, want %q", got, want)
		}
	})
	t.Run("PATH is added when missing", func(t *testing.T) {
		got := interpreter{python: "/v/bin/python", virtualenv: "/v"}.env([]string{"A=1"})
		want := []string{"A=1", "PATH=/v/bin", "VIRTUAL_ENV=/v"}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("env = %q, want %q", got, want)
		}
	})
}

func TestLookupEnvAndOptionString(t *testing.T) {
	env := []string{"A=1", "B=x=y", "NOEQUALS", "A=2", "EMPTY="}
	for key, want := range map[string]string{"A": "2", "B": "x=y", "EMPTY": "", "NOEQUALS": "", "MISSING": ""} {
		if got := lookupEnv(env, key); got != want {
			t.Errorf("lookupEnv(%q) = %q, want %q", key, got, want)
		}
	}

	opts := options(t, map[string]any{"virtualenv": "venv", "n": 3.0, "b": true, "l": []any{"x"}})
	for key, want := range map[string]string{"virtualenv": "venv", "n": "", "b": "", "l": "", "missing": ""} {
		if got := optionString(opts, key); got != want {
			t.Errorf("optionString(%q) = %q, want %q", key, got, want)
		}
	}
	if got := optionString(nil, "virtualenv"); got != "" {
		t.Errorf("optionString(nil) = %q, want empty", got)
	}
}

func TestEnvironOrSelf(t *testing.T) {
	t.Setenv("LANGHOST_TEST_MARKER", "self")
	if got := lookupEnv(environOrSelf(nil), "LANGHOST_TEST_MARKER"); got != "self" {
		t.Errorf("environOrSelf(nil) does not hold our environment (marker = %q)", got)
	}
	given := []string{"ONLY=this"}
	if got := environOrSelf(given); !reflect.DeepEqual(got, given) {
		t.Errorf("environOrSelf(%q) = %q, want it unchanged", given, got)
	}
}
