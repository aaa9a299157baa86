"""The style gates run with the suite: ruff everywhere, mypy --strict on the library."""

from __future__ import annotations

import subprocess
import sys

from _harness import ROOT


def test_ruff() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "provider", "emulator", "policies", "tools", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_on_the_library() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "provider/pulumi_mfa_push"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_resource_docs_are_generated_from_the_schemas() -> None:
    out = subprocess.run(
        [sys.executable, "tools/gen_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
