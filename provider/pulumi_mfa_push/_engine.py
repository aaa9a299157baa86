"""The pinned Pulumi engine, built from the Go module shipped inside this package.

No registry ships a prebuilt Pulumi CLI, and the Go module proxy serves no upstream Python
language host, so `_go/` holds our module: it pins `pulumi/pkg/v3` and `sdk/v3` (go.mod,
go.sum) and carries our language host (`langhost/`). `ensure()` builds both into a per-version
cache outside any project and reuses them; `mfa-push engine` and the repository's bootstrap
both call it, so there is one build recipe."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from ._errors import ProviderError

PULUMI_VERSION = "3.274.0"
GO_MIN = (1, 26, 6)


def _source() -> Path:
    """The Go module (go.mod, go.sum, langhost/): inside the wheel, or tools/pulumi in a checkout."""
    here = Path(__file__).resolve().parent
    shipped = here / "_go"
    return shipped if (shipped / "go.mod").exists() else here.parent.parent / "tools" / "pulumi"


SOURCE = _source()
#: Our fixes to the engine (`_overlay/`, see its README): a file of the pkg/v3 module -> our copy of it.
#: The build uses a copy of the module with these files replaced (Go refuses overlays of its module cache).
PATCHES = {
    "backend/diy/lock.go": "diy_lock.go",  # exactly one of the runs racing for a stack's lock goes on
    "backend/diy/postgres/bucket.go": "postgres_bucket.go",  # sound listings, checkpoints written faster
}
#: What the engine's plugins must find next to `pulumi`.
BINARIES = ("pulumi", "pulumi-language-python", "pulumi-resource-pulumi-python", "pulumi-language-python-exec")
_FLAGS = ("-trimpath", "-tags", "osusergo,grpcnotrace")


class EngineError(ProviderError):
    """The engine cannot be built; the text says what to do."""


def _say(message: str) -> None:
    print(f"[engine] {message}", file=sys.stderr, flush=True)


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pulumi-mfa-push"


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for path in paths:
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def engine_key() -> str:
    """Identifies the `pulumi` binary: go.mod, go.sum and our patches decide what it is built from."""
    return _digest([SOURCE / "go.mod", SOURCE / "go.sum", *(SOURCE / "_overlay" / f for f in PATCHES.values())])


def langhost_key() -> str:
    """Identifies our language host (tests are not part of the binary)."""
    sources = sorted(p for p in (SOURCE / "langhost").glob("*.go") if not p.name.endswith("_test.go"))
    return _digest([SOURCE / "go.mod", SOURCE / "go.sum", *sources])


def bin_dir() -> Path:
    return cache_root() / f"engine-v{PULUMI_VERSION}-{engine_key()}" / "bin"


def is_ready(path: Path | None = None) -> bool:
    path = path or bin_dir()
    return all(os.access(path / name, os.X_OK) for name in BINARIES) and (path / _stamp()).exists()


def _stamp() -> str:
    return f".langhost-{langhost_key()}"


def check_go() -> str:
    """The `go` command, or one line saying how to get a suitable one."""
    go = shutil.which("go")
    want = ".".join(map(str, GO_MIN))
    if go is None:
        raise EngineError(
            f"no Go toolchain on PATH. Install Go >= {want} (https://go.dev/doc/install, or your package manager) "
            "and run again."
        )
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, check=False).stdout.strip()
    match = re.match(r"go(\d+)\.(\d+)(?:\.(\d+))?", out)
    have = tuple(int(g or 0) for g in match.groups()) if match else (0, 0, 0)
    if have < GO_MIN:
        shown = out.removeprefix("go") or "of unknown version"
        raise EngineError(
            f"Go {shown} is too old: the pinned Pulumi engine needs Go >= {want}. Upgrade Go and run again."
        )
    return go


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Two builds at once (two CI jobs on one runner) wait for each other."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _step(what: str, cmd: list[str], log: Path, cwd: Path, env: dict[str, str]) -> None:
    """Run one build step, printing progress every 20 s and the log when it fails."""
    _say(f"  {what} ...")
    started = time.monotonic()
    done = threading.Event()

    def progress() -> None:
        while not done.wait(20):
            _say(f"  {what} ... {int(time.monotonic() - started)}s")

    ticker = threading.Thread(target=progress, daemon=True)
    ticker.start()
    with open(log, "w") as out:
        code = subprocess.run(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False).returncode
    done.set()
    if code != 0:
        sys.stderr.write(log.read_text(errors="replace")[-4000:])
        raise EngineError(f"{what} failed (log above, full log in {log})")
    _say(f"  {what} done in {int(time.monotonic() - started)}s")


def _ldflags() -> str:
    return f"-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v{PULUMI_VERSION}"


def _module_dir(go: str, module: str, work: Path, env: dict[str, str]) -> Path:
    out = subprocess.run(
        [go, "mod", "download", "-json", module], cwd=work, env=env, capture_output=True, text=True, check=False
    )
    if out.returncode != 0:
        raise EngineError(f"cannot locate the Go module {module}: {out.stderr.strip()[:300]}")
    return Path(json.loads(out.stdout)["Dir"])


def _patch(go: str, work: Path, env: dict[str, str], log: Path) -> None:
    """Build `pulumi` from a copy of pkg/v3 with PATCHES applied (a `replace` in the work copy's go.mod)."""
    pkg = _module_dir(go, f"github.com/pulumi/pulumi/pkg/v3@v{PULUMI_VERSION}", work, env)
    copy = work / "pulumi-pkg"
    # Plain copies: the module cache is read-only, and the work copy is removed after the build.
    shutil.copytree(pkg, copy, ignore=shutil.ignore_patterns("*_test.go", "testdata"), copy_function=shutil.copyfile)
    for path in [copy, *copy.rglob("*")]:
        if path.is_dir():
            path.chmod(0o755)
    for target, ours in PATCHES.items():
        shutil.copyfile(work / "_overlay" / ours, copy / target)
    replace = ["mod", "edit", "-replace", "github.com/pulumi/pulumi/pkg/v3=./pulumi-pkg"]
    _step("applying our engine patches (_overlay)", [go, *replace], log, work, env)


def ensure(say: Callable[[str], None] = _say) -> Path:
    """The bin directory of the pinned engine, built first when it is not in the cache."""
    target = bin_dir()
    if is_ready(target):
        return target
    with _locked(target.parent.with_suffix(".lock")):
        if is_ready(target):  # another process built it while we waited
            return target
        go = check_go()
        # A writable copy: the installed package may be read-only, and Go may touch go.sum.
        work = target.parent / "src"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(SOURCE, work, ignore=shutil.ignore_patterns("*_test.go", "__pycache__", "README.md"))
        env = dict(os.environ)
        log = target.parent / "build.log"
        staging = target.parent / "bin.tmp"
        staging.mkdir(parents=True, exist_ok=True)
        have_engine = all(os.access(target / n, os.X_OK) for n in BINARIES if n != "pulumi-language-python")
        if not have_engine:
            say(f"building the Pulumi engine v{PULUMI_VERSION} from Go modules into {target}")
            say("the first build downloads the Go modules and compiles for a few minutes (2 cores: about 8 min)")
            _step("downloading Go modules", [go, "mod", "download"], log, work, env)
            _patch(go, work, env, log)
            _step(
                "compiling pulumi",
                [go, "build", *_FLAGS, "-ldflags", _ldflags(), "-o", str(staging / "pulumi"),
                 "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"],
                log, work, env,
            )  # fmt: skip
            sdk = subprocess.run(
                [go, "mod", "download", "-json", f"github.com/pulumi/pulumi/sdk/v3@v{PULUMI_VERSION}"],
                cwd=work, env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
            if sdk.returncode != 0:
                raise EngineError(f"cannot locate the pulumi sdk/v3 module: {sdk.stderr.strip()[:300]}")
            sdk_dir = Path(json.loads(sdk.stdout)["Dir"])
            for shim in ("dist/pulumi-resource-pulumi-python", "cmd/pulumi-language-python-exec"):
                dest = staging / Path(shim).name
                shutil.copyfile(sdk_dir / "python" / shim, dest)
                dest.chmod(0o755)
        _step(
            "compiling pulumi-language-python",
            [go, "build", *_FLAGS, "-ldflags", _ldflags(), "-o", str(staging / "pulumi-language-python"), "./langhost"],
            log, work, env,
        )  # fmt: skip
        target.mkdir(parents=True, exist_ok=True)
        for stale in target.glob(".langhost-*"):
            stale.unlink()
        # Each binary is renamed into place, so a running `pulumi` never sees half a file.
        for built in staging.iterdir():
            os.replace(built, target / built.name)
        (target / _stamp()).touch()
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
        say(f"engine ready: {target}")
    return target
