"""The library installs next to other packages, and its commands work without the repository."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from _harness import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
MFA_PUSH = str(ROOT / ".venv" / "bin" / "mfa-push")


def test_runtime_dependencies_are_ranges_not_pins() -> None:
    project = PYPROJECT["project"]
    runtime = list(project["dependencies"])
    for extra in ("emulator", "policy"):
        runtime += project["optional-dependencies"][extra]
    pinned = [d for d in runtime if "==" in d or "===" in d]
    assert not pinned, f"pinned runtime dependencies (exact pins belong in requirements.lock): {pinned}"
    assert all(re.search(r">=", d) for d in runtime), runtime


def test_every_locked_runtime_dependency_satisfies_the_declared_range() -> None:
    from packaging.requirements import Requirement

    locked = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        name, _, version = line.partition("==")
        locked[name.strip().lower().replace("_", "-")] = version.strip()
    project = PYPROJECT["project"]
    for dep in [*project["dependencies"], *project["optional-dependencies"]["emulator"]]:
        req = Requirement(dep)
        version = locked[req.name.lower()]
        assert req.specifier.contains(version), f"{req} excludes the locked {version}"


def test_version_is_one_everywhere() -> None:
    import mfa_push_emulator
    import pulumi_mfa_push

    assert PYPROJECT["project"]["version"] == pulumi_mfa_push.__version__ == mfa_push_emulator.__version__
    assert f"## {pulumi_mfa_push.__version__}" in (ROOT / "CHANGELOG.md").read_text()


def test_policy_pack_command_prints_a_pack() -> None:
    out = subprocess.run([MFA_PUSH, "policy-pack"], capture_output=True, text=True, check=True)
    pack = Path(out.stdout.strip())
    assert pack.is_absolute() and (pack / "PulumiPolicy.yaml").is_file()


def test_engine_command_prints_the_engine() -> None:
    out = subprocess.run([MFA_PUSH, "engine"], capture_output=True, text=True, check=True, timeout=1800)
    version = subprocess.run([f"{out.stdout.strip()}/pulumi", "version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == "v3.274.0"


def test_recover_outside_a_project_is_one_line(tmp_path: Path) -> None:
    out = subprocess.run([MFA_PUSH, "recover", "dev", "--cwd", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1
    assert "holds no Pulumi.yaml" in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
