"""A team's own Pulumi project, outside this repository: the wheel installed in a new virtualenv,
the README's example program, the engine `mfa-push engine` prints, the shipped policy pack, and
recovery from a killed `up` with `mfa-push recover`."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from _harness import ROOT, Emulator
from _material import apns_p8, service_account

PASSPHRASE = "a-team-passphrase"  # noqa: S105 - a test stack's passphrase


def readme_program() -> str:
    text = (ROOT / "README.md").read_text()
    marker = text.index("<!-- example: user-program -->")
    match = re.search(r"```python\n(.*?)```", text[marker:], flags=re.S)
    assert match, "README's user-program example has no python block"
    return match.group(1)


def _run(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(cmd, text=True, capture_output=True, check=False, **kw)
    assert out.returncode == 0, f"{' '.join(cmd)} exited {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built from a copy of the tracked sources (nothing written into the checkout)."""
    src = tmp_path_factory.mktemp("src")
    files = _run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            (src / name).write_bytes((ROOT / name).read_bytes())
    dist = tmp_path_factory.mktemp("dist")
    out = _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(src)])
    assert "SetuptoolsDeprecationWarning" not in out.stdout + out.stderr, out.stderr
    (built,) = dist.glob("pulumi_mfa_push-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A new virtualenv with `pip install <wheel>[policy]` and nothing else (the lock as constraints)."""
    path = tmp_path_factory.mktemp("user") / "venv"
    _run([sys.executable, "-m", "venv", str(path)])
    _run(
        [str(path / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check", "-q",
         "-c", str(ROOT / "requirements.lock"), f"{wheel}[policy]"]
    )  # fmt: skip
    return path


class UserProject:
    def __init__(self, root: Path, venv: Path, engine: Path, emulator: Emulator) -> None:
        self.dir, self.venv, self.emulator = root, venv, emulator
        home = root.parent / "home"
        home.mkdir(exist_ok=True)
        backend = root.parent / "backend"
        backend.mkdir(exist_ok=True)
        # A user's environment: their PATH with the engine, their backend and passphrase; nothing
        # of this repository (no .venv, no PULUMI_RUNTIME_VIRTUALENV, no tools/).
        self.env = {
            "PATH": f"{engine}:{venv / 'bin'}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "PULUMI_HOME": str(home / ".pulumi"),
            "PULUMI_BACKEND_URL": backend.as_uri(),
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "PULUMI_SKIP_UPDATE_CHECK": "true",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
            "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache")),
        }

    def pulumi(self, *args: str, check: bool = True, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        out = subprocess.run(
            ["pulumi", *args, "--non-interactive"],
            cwd=self.dir,
            env=self.env,
            text=True,
            capture_output=True,
            input=stdin,
        )
        if check:
            assert out.returncode == 0, f"pulumi {' '.join(args)} exited {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out

    def callbacks(self) -> list[dict[str, Any]]:
        body = self.emulator.powerauth("GET", "/v2/admin/applications/MOBILE_APP/callbacks").json()
        return body.get("callbacks", [])  # type: ignore[no-any-return]

    def credentials(self, env_id: str, app_id: str) -> list[dict[str, Any]]:
        path = f"/environments/{env_id}/applications/{app_id}/pushCredentials"
        return self.emulator.pingone("GET", path).json()["_embedded"]["pushCredentials"]  # type: ignore[no-any-return]


def test_the_wheel_carries_what_users_run(wheel: Path, venv: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "pulumi_mfa_push/py.typed",
        "pulumi_mfa_push/_go/go.mod",
        "pulumi_mfa_push/_go/go.sum",
        "pulumi_mfa_push/_go/langhost/main.go",
        "pulumi_mfa_push/_policy_pack/PulumiPolicy.yaml",
        "pulumi_mfa_push/_policy_pack/__main__.py",
    ):
        assert needed in names, needed
    assert not [n for n in names if n.endswith("_test.go")]
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(meta).decode()
    assert "License-Expression: Apache-2.0" in text and "Project-URL: Repository" in text
    # Installed without the `emulator` extra, the emulator command says what to install.
    out = subprocess.run([str(venv / "bin" / "mfa-push-emulator"), "serve"], capture_output=True, text=True)
    assert out.returncode == 2 and "pip install 'pulumi-mfa-push[emulator]'" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_team_project_outside_the_repository(tmp_path: Path, venv: Path, emulator: Emulator) -> None:
    emulator.reset()
    engine = Path(_run([str(venv / "bin" / "mfa-push"), "engine"]).stdout.strip().splitlines()[-1])
    assert _run([str(engine / "pulumi"), "version"]).stdout.strip() == "v3.274.0"
    pack = Path(_run([str(venv / "bin" / "mfa-push"), "policy-pack"]).stdout.strip())
    assert (pack / "PulumiPolicy.yaml").is_file() and str(pack).startswith(str(venv))

    root = tmp_path / "mobile-auth"
    root.mkdir()
    (root / "Pulumi.yaml").write_text(
        yaml.safe_dump(
            {
                "name": "mobile-auth",
                "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(venv)}},
            }
        )
    )
    (root / "requirements.txt").write_text("pulumi-mfa-push[policy]>=0.2,<0.3\n")
    (root / "__main__.py").write_text(readme_program())
    user = UserProject(root, venv, engine, emulator)

    installed = user.pulumi("install")
    assert "Traceback" not in installed.stdout + installed.stderr
    assert "already satisfied" in installed.stdout + installed.stderr  # pip's own output, streamed

    user.pulumi("stack", "init", "dev")
    info = emulator.info
    p1 = info["pingone"]
    env_id, app_id = p1["environmentId"], p1["applicationIds"][0]
    for key, value in {**emulator.config(), "pingoneEnvironmentId": env_id, "pingoneAppId": app_id}.items():
        user.pulumi("config", "set", key, value)
    secrets = {
        **emulator.secrets(),
        "hookPassword": "hook-Password-0042",
        "apnsKey": apns_p8(),
        "firebaseServiceAccount": service_account("team-project"),
    }
    for key, value in secrets.items():
        user.pulumi("config", "set", "--secret", key, stdin=value)  # stdin: multi-line PEM and JSON

    user.pulumi("up", "--yes", "--skip-preview")
    emulator.zero()
    preview = user.pulumi("preview", "--diff")
    assert emulator.requests()["total"] == 0, emulator.requests()
    assert "to create" not in preview.stdout and "to update" not in preview.stdout, preview.stdout

    # Deployed twice: PowerAuth and PingID applications survive `destroy`; adopt=True takes them over.
    user.pulumi("destroy", "--yes", "--skip-preview")
    user.pulumi("up", "--yes", "--skip-preview")
    assert len(user.callbacks()) == 1 and len(user.credentials(env_id, app_id)) == 1

    gated = user.pulumi("preview", "--policy-pack", str(pack))
    assert "mfa-push-policies" in gated.stdout + gated.stderr

    # A killed `up` in the middle of creating, then `mfa-push recover`, then an `up` that converges.
    user.pulumi("destroy", "--yes", "--skip-preview")
    emulator.faults(probability=0, latencyMs=400)
    proc = subprocess.Popen(
        ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"],
        cwd=root,
        env=user.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    route = "POST /powerauth/v2/admin/applications/{appId}/callbacks"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not emulator.requests()["byRoute"].get(route):
        time.sleep(0.05)
    time.sleep(0.6)  # the callback's create is on the server; its answer is still on the way
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    emulator.no_faults()
    assert emulator.requests()["byRoute"].get(route), "the killed up never created a callback"

    recovered = _run([str(venv / "bin" / "mfa-push"), "recover", "dev", "--cwd", str(root)], env=user.env)
    assert "Traceback" not in recovered.stderr
    user.pulumi("refresh", "--yes", "--skip-preview")
    user.pulumi("up", "--yes", "--skip-preview")
    assert len(user.callbacks()) == 1, user.callbacks()
    assert len(user.credentials(env_id, app_id)) == 1
    # The fully-qualified name of the same stack works too (nothing is pending any more).
    again = _run([str(venv / "bin" / "mfa-push"), "recover", "organization/mobile-auth/dev"], cwd=root, env=user.env)
    assert "nothing to recover" in again.stdout
    state = json.loads(user.pulumi("stack", "export").stdout)
    assert not state["deployment"].get("pending_operations")
    assert "hook-Password-0042" not in json.dumps(state)
