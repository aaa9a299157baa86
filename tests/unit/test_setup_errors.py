"""Bad set-up gets one clear message saying what to do."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from _harness import ROOT, Project, dev


def _bootstrap(path: str, cache: Path) -> subprocess.CompletedProcess[str]:
    # An empty engine cache: Go is needed only when the engine must be built.
    env = dict(os.environ, PATH=path, XDG_CACHE_HOME=str(cache))
    return subprocess.run(
        ["/bin/bash", str(ROOT / "tools" / "bootstrap.sh")], env=env, text=True, capture_output=True, check=False
    )


def test_no_go_toolchain(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    # The real interpreter, not a shim script that needs more of PATH.
    (bin_dir / "python3").symlink_to(Path(sys.base_prefix) / "bin" / "python3")
    for tool in ("cat", "sed", "sort", "head", "sha256sum", "cut", "dirname", "ln", "mkdir", "flock"):
        src = subprocess.run(["bash", "-c", f"command -v {tool}"], text=True, capture_output=True).stdout.strip()
        if src:
            (bin_dir / tool).symlink_to(src)
    out = _bootstrap(str(bin_dir), tmp_path / "cache")
    assert out.returncode == 1
    assert "no Go toolchain on PATH" in out.stderr and "Install Go >=" in out.stderr
    assert "Traceback" not in out.stderr


def test_go_too_old(tmp_path: Path) -> None:
    fake = tmp_path / "go"
    fake.write_text('#!/bin/sh\nif [ "$1 $2" = "env GOVERSION" ]; then echo go1.21.3; fi\n')
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    out = _bootstrap(f"{tmp_path}:{os.environ['PATH']}", tmp_path / "cache")
    assert out.returncode == 1
    assert "Go 1.21.3 is too old" in out.stderr and "Upgrade Go" in out.stderr


def test_busy_emulator_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(dev.SetupError, match=f"port {port} on 127.0.0.1 is in use by another program"):
            dev.ensure_emulator(port)


def test_busy_port_for_the_emulator_command(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        out = subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "mfa-push-emulator"),
                "serve",
                "--port",
                str(port),
                "--data-dir",
                str(tmp_path),
            ],
            text=True,
            capture_output=True,
            timeout=60,
            check=False,
        )
    assert out.returncode == 2
    assert "already in use" in out.stderr and "Traceback" not in out.stderr


def test_wrong_passphrase(project: Project) -> None:
    project.init()
    project.env["PULUMI_CONFIG_PASSPHRASE"] = "not-the-passphrase"
    out = project.preview(check=False)
    assert out.returncode != 0
    hint = dev.explain(out.stdout + out.stderr)
    assert hint is not None and "PULUMI_CONFIG_PASSPHRASE" in hint
