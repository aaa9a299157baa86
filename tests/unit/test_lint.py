"""The style gates run with the suite: ruff check and format over every Python file, mypy --strict
over everything but the tests and the benchmark (the same list as `make lint`)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from _harness import ROOT

#: Checked one at a time: stacks/ and policies/ each hold a `__main__.py`.
MYPY_TARGETS = ["provider/pulumi_mfa_push", "emulator/mfa_push_emulator", "policies", "tools", "stacks"]


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]], ids=["check", "format"])
def test_ruff(command: list[str]) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("target", MYPY_TARGETS)
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
