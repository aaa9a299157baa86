#!/usr/bin/env bash
# Builds everything the project needs, from nothing, and reuses what is already built:
#   - the Python virtualenv .venv (pinned by requirements.lock),
#   - the Pulumi engine (pulumi + our Python language host) from Go modules pinned by
#     tools/pulumi/go.sum, into a per-version cache outside the repo.
# Prints the engine's bin directory as the last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PULUMI_VERSION="3.274.0"
GO_MIN="1.26.6"
PY_MIN="3.11"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

version_ge() { # $1 >= $2 ?
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# ---- toolchains -----------------------------------------------------------------------
command -v go >/dev/null 2>&1 || die "no Go toolchain on PATH. Install Go >= ${GO_MIN} (https://go.dev/doc/install, or your package manager) and run again."
GO_VER="$(go env GOVERSION 2>/dev/null | sed 's/^go//')"
version_ge "${GO_VER%%[-+ ]*}" "$GO_MIN" || die "Go ${GO_VER} is too old: the pinned Pulumi engine needs Go >= ${GO_MIN}. Upgrade Go and run again."

PYTHON="${PYTHON:-python3}"
command -v "$PYTHON" >/dev/null 2>&1 || die "no python3 on PATH. Install Python >= ${PY_MIN}."
PY_VER="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
version_ge "$PY_VER" "$PY_MIN" || die "Python ${PY_VER} is too old: needs >= ${PY_MIN}."

# ---- Python virtualenv ----------------------------------------------------------------
# Two bootstraps at once (two make targets, two CI jobs on one runner) wait for each other
# instead of installing into the same virtualenv or moving each other's half-built engine.
mkdir -p "$ROOT/.state"
exec 8>"$ROOT/.state/bootstrap.lock"
flock 8
VENV="$ROOT/.venv"
STAMP="$VENV/.mfa-push-stamp"
WANT="$(cat "$ROOT/pyproject.toml" "$ROOT/requirements.lock" | sha256sum | cut -c1-16)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  say "creating the Python virtualenv in .venv (pinned by requirements.lock)"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3" >&2
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$ROOT/requirements.lock" -e "$ROOT[emulator,policy,dev]" >&2
  echo "$WANT" > "$STAMP"
else
  say "Python virtualenv is up to date"
fi
# The dynamic-provider plugin resolves a relative virtualenv from the program directory
# (stacks/), the language host from the project root: a link makes both find .venv.
ln -sfn ../.venv "$ROOT/stacks/.venv"

# ---- Pulumi engine --------------------------------------------------------------------
MOD="$ROOT/tools/pulumi"
# Tests do not go into the binaries, so they do not change the key.
KEY="$(find "$MOD/go.mod" "$MOD/go.sum" "$MOD/langhost" -maxdepth 1 -name '*.go' ! -name '*_test.go' -o -name 'go.*' -type f \
  | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-12)"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-mfa-push/engine-v${PULUMI_VERSION}-${KEY}"
BIN="$CACHE/bin"
mkdir -p "$(dirname "$CACHE")"
exec 9>"$CACHE.lock"
flock 9
if [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-python" ] && [ -x "$BIN/pulumi-resource-pulumi-python" ] \
   && [ -x "$BIN/pulumi-language-python-exec" ]; then
  say "Pulumi engine v${PULUMI_VERSION} found in $BIN"
else
  say "building the Pulumi engine v${PULUMI_VERSION} from Go modules into $BIN"
  say "the first build downloads the Go modules and compiles for a few minutes (2 cores: about 3-4 min)"
  mkdir -p "$BIN.tmp"
  LDFLAGS="-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v${PULUMI_VERSION}"
  (
    cd "$MOD"
    step() {
      local what="$1"; shift
      say "  $what ..."
      local start=$SECONDS
      "$@" >"$CACHE.log" 2>&1 &
      local pid=$!
      local last=$SECONDS
      while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        if [ $((SECONDS - last)) -ge 20 ]; then last=$SECONDS; say "  $what ... $((SECONDS - start))s"; fi
      done
      wait "$pid" || { cat "$CACHE.log" >&2; die "$what failed (log above)"; }
      say "  $what done in $((SECONDS - start))s"
    }
    step "downloading Go modules" go mod download
    step "compiling pulumi" go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LDFLAGS" -o "$BIN.tmp/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
    step "compiling pulumi-language-python" go build -trimpath -tags osusergo,grpcnotrace -ldflags "$LDFLAGS" -o "$BIN.tmp/pulumi-language-python" ./langhost
    SDK_DIR="$(go mod download -json "github.com/pulumi/pulumi/sdk/v3@v${PULUMI_VERSION}" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')"
    install -m 0755 "$SDK_DIR/python/dist/pulumi-resource-pulumi-python" "$BIN.tmp/"
    install -m 0755 "$SDK_DIR/python/cmd/pulumi-language-python-exec" "$BIN.tmp/"
  )
  rm -rf "$BIN"; mv "$BIN.tmp" "$BIN"
  say "engine ready: $("$BIN/pulumi" version)"
fi
echo "$BIN"
