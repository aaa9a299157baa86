"""Session fixtures shared by every suite: the engine is built (never skipped) and one
emulator runs per session on a free port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _harness import Emulator, Project, dev

_FIGURES: list[str] = []


@pytest.fixture
def figures() -> list[str]:
    """Measured figures a test reports; printed at the end of the run."""
    return _FIGURES


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def engine_bin() -> Path:
    """The real Pulumi CLI; a missing engine fails the run, it is never skipped."""
    path = dev.engine_bin()
    assert (path / "pulumi").exists(), f"no pulumi binary in {path}"
    os.environ["MFA_PUSH_ENGINE_BIN"] = str(path)
    return path


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    emu = Emulator.start(tmp_path_factory.mktemp("emulator"))
    yield emu
    emu.stop()


@pytest.fixture(scope="session")
def http_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The emulator over plain http (the session's `emulator` serves HTTPS), for the tests of the
    `allowInsecureHttp` rule."""
    emu = Emulator.start(tmp_path_factory.mktemp("http-emulator"), tls=False)
    yield emu
    emu.stop()


@pytest.fixture
def project(tmp_path: Path, engine_bin: Path, emulator: Emulator) -> Project:
    # Every end-to-end test starts from the seed: objects left by another test must not clash.
    emulator.reset()
    return Project(tmp_path / "project", emulator)
