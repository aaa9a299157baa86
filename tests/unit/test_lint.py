"""The style gates run with the suite: ruff everywhere, mypy --strict on the library and the policy pack."""

from __future__ import annotations

import subprocess
import sys

import pytest
from _harness import ROOT


def test_ruff() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "provider", "emulator", "policies", "tools", "tests", "bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("target", ["provider/pulumi_mfa_push", "policies"])
def test_mypy_strict(target: str) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", target],
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
