#!/usr/bin/env bash
# Builds everything the project needs, from nothing, and reuses what is already built:
#   - the Python virtualenv .venv (pinned by requirements.lock),
#   - the Pulumi engine (pulumi + our Python language host) from Go modules pinned by
#     tools/pulumi/go.sum, into a per-version cache outside the repo;
#   - with MFA_PUSH_POSTGRES=1 only (make test, make ... STATE=postgres): Debian's postgresql
#     package, with apt-get, when no PostgreSQL server (initdb, pg_ctl) is installed.
# Prints the engine's bin directory as the last line.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY_MIN="3.11"

say() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] error: %s\n' "$*" >&2; exit 1; }

version_ge() { # $1 >= $2 ?
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]
}

# ---- toolchains (Go is checked by `mfa-push engine`, only when the engine must be built) --
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
  # PYTHONWARNINGS: setuptools warns on every editable install that folders named like a package
  # may shadow it; here policies/ and tools/pulumi/ are mapped into the package on purpose.
  PYTHONWARNINGS=ignore "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$ROOT/requirements.lock" -e "$ROOT[emulator,policy,dev]" >&2
  echo "$WANT" > "$STAMP"
else
  say "Python virtualenv is up to date"
fi
# The dynamic-provider plugin resolves a relative virtualenv from the program directory
# (stacks/), the language host from the project root: a link makes both find .venv.
ln -sfn ../.venv "$ROOT/stacks/.venv"

# ---- PostgreSQL, only when asked -----------------------------------------------------------
# The shared-state backend (postgres://) runs against a throwaway cluster of Debian's PostgreSQL
# (`python tools/dev.py postgres start`): the server binaries are all that is installed here.
pg_found() {
  local d
  if [ -n "${MFA_PUSH_PG_BIN:-}" ]; then
    [ -x "$MFA_PUSH_PG_BIN/initdb" ] && [ -x "$MFA_PUSH_PG_BIN/pg_ctl" ]
    return
  fi
  for d in /usr/lib/postgresql/*/bin; do
    [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && return 0
  done
  return 1
}
if [ "${MFA_PUSH_POSTGRES:-}" = 1 ] && ! pg_found; then
  [ -z "${MFA_PUSH_PG_BIN:-}" ] || die "MFA_PUSH_PG_BIN=${MFA_PUSH_PG_BIN} has no initdb and pg_ctl: point it at a PostgreSQL server's bin directory."
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL is needed and not installed, and there is no apt-get: install a PostgreSQL server and set MFA_PUSH_PG_BIN to its bin directory (initdb, pg_ctl)."
  [ "$(id -u)" = 0 ] || die "PostgreSQL is needed and not installed: run 'sudo apt-get install postgresql' (Debian's package), then run again."
  say "installing Debian's postgresql package with apt-get (log: .state/postgres-install.log)"
  { DEBIAN_FRONTEND=noninteractive apt-get update -q \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql; } \
    >"$ROOT/.state/postgres-install.log" 2>&1 \
    || die "apt-get could not install postgresql (Debian package mirror reachable?): see .state/postgres-install.log"
  pg_found || die "the postgresql package installed no server under /usr/lib/postgresql/*/bin: see .state/postgres-install.log"
  say "PostgreSQL installed"
fi

# ---- Pulumi engine --------------------------------------------------------------------
# One recipe for this repository and for users of the library: `mfa-push engine` builds the
# engine from the Go module in tools/pulumi (shipped inside the wheel) into
# ${XDG_CACHE_HOME:-~/.cache}/pulumi-mfa-push/engine-v<version>-<hash>/bin, or finds it there.
"$VENV/bin/mfa-push" engine
