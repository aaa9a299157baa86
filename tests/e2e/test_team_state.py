"""Team scale: state shared in PostgreSQL (Pulumi's DIY backend, `postgres://...`), driven through
the real CLI by runners that each have their own working copy of the project, as CI runners and
laptops do. One real PostgreSQL cluster per session, started by the code behind
`python tools/dev.py postgres start` (a missing PostgreSQL fails the run); each test keeps its state
in a table of its own (`?table=...`) of that database.

What the shared backend promises, and what is checked here:
- one stack, two runners at the same moment: exactly one proceeds, the other stops with the lock
  message and changes nothing (for `up`, a second `up`, and `destroy`);
- two stacks of one database: their runners go on in parallel;
- a runner SIGKILLed in the middle of `up`: its lock stays in the database and stops the next run
  with the lock message; `pulumi cancel` then `mfa-push recover` converge, without duplicates;
- PostgreSQL restarted (crash-like) during an `up`: the `up` completes or fails with a clear message,
  the next `up` converges, and no resource is lost from state;
- no secret of the dev stack in plain text in any row of the state table."""

from __future__ import annotations

import base64
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from _harness import ROOT, Emulator, Project, dev
from _material import forms, secret_values

LOCKED = "the stack is currently locked"
ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
DEV_PINGONE_APPS = ("11111111-2222-4333-8444-555555555555", "66666666-7777-4888-8999-aaaaaaaaaaaa")


@pytest.fixture(scope="session")
def postgres(engine_bin: Path) -> Iterator[dev.Postgres]:
    """A throwaway cluster for the session, started as `tools/dev.py postgres start` starts one."""
    base = Path(tempfile.mkdtemp(prefix="mfa-push-pg-"))
    base.chmod(0o755)  # the server runs as an unprivileged user, who must reach its directory
    cluster = dev.Postgres(base / "postgres")
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(cluster.home, ignore_errors=True)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def table(request: pytest.FixtureRequest) -> str:
    return "state_" + re.sub(r"\W+", "_", request.node.name).strip("_").lower()[:40]


@pytest.fixture
def backend_url(postgres: dev.Postgres, table: str) -> str:
    return postgres.url(table=table)


def runner(tmp_path: Path, name: str, emulator: Emulator, backend_url: str) -> Project:
    """A working copy of the project (its own directory and PULUMI_HOME) on the shared backend."""
    return Project(tmp_path / name, emulator, backend_url=backend_url)


def checkout(source: Project, target: Project, stack: str) -> None:
    """What a `git pull` gives another runner: the stack's settings file (config, encryption salt)."""
    name = f"Pulumi.{stack}.yaml"
    shutil.copy(source.dir / "stacks" / name, target.dir / "stacks" / name)


def at_once(runs: list[tuple[Project, list[str], str]]) -> list[tuple[int, str]]:
    """Start every `pulumi <args> --stack <stack>` at the same moment; their exit codes and output."""
    procs = [
        subprocess.Popen(
            [p.pulumi_bin, *args, "--stack", stack, "--non-interactive"],
            cwd=p.dir,
            env=p.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for p, args, stack in runs
    ]
    outputs = [proc.communicate(timeout=600)[0] for proc in procs]
    return [(proc.returncode, out) for proc, out in zip(procs, outputs, strict=True)]


def callbacks(app: str, n: int, url: str = "https://hooks.example.com/cb") -> dict[str, Any]:
    return {
        "powerauthApplications": [{"name": "app", "applicationId": app, "adopt": True, "retainOnDelete": True}],
        "powerauthCallbacks": [
            {
                "name": f"cb{i}",
                "application": "app",
                "callbackName": f"cb{i}",
                "type": "OPERATION_STATUS_CHANGE",
                "callbackUrl": f"{url}/{i}",
                "attributes": ["userId"],
            }
            for i in range(n)
        ],
    }


def callback_names(emu: Emulator, app: str) -> list[str]:
    body = emu.powerauth("GET", f"/v2/admin/applications/{app}/callbacks").json()
    return sorted(c["name"] for c in body.get("callbacks", []))


def history(project: Project, stack: str) -> list[dict[str, Any]]:
    return json.loads(project.run("stack", "history", "--json", stack=stack).stdout)  # type: ignore[no-any-return]


def deployment(project: Project, stack: str) -> dict[str, Any]:
    return project.export(stack)["deployment"]  # type: ignore[no-any-return]


def lock_rows(postgres: dev.Postgres, table: str) -> list[str]:
    """Keys of the stack locks in the table (`<database>/.pulumi/locks/<org>/<project>/<stack>/<id>.json`)."""
    keys = postgres.psql(f"SELECT key FROM {table}").split()
    assert any("/.pulumi/" in k for k in keys), f"not a Pulumi state table: {keys}"
    return [k for k in keys if "/.pulumi/locks/" in k]


def one_proceeds(results: list[tuple[int, str]]) -> tuple[str, str]:
    """Exactly one run succeeded, the other stopped at the lock; their outputs (winner, loser)."""
    codes = [code for code, _ in results]
    assert sorted(codes)[0] == 0 and sorted(codes)[1] != 0, f"exit codes {codes}:\n" + "\n----\n".join(
        out for _, out in results
    )
    winner = next(out for code, out in results if code == 0)
    loser = next(out for code, out in results if code != 0)
    assert LOCKED in loser, loser
    assert "Resources:" not in loser, f"the stopped run changed something:\n{loser}"
    return winner, loser


def test_two_runners_on_one_stack_exactly_one_proceeds(
    tmp_path: Path, emulator: Emulator, backend_url: str, postgres: dev.Postgres, table: str
) -> None:
    emulator.reset()
    a = runner(tmp_path, "runner-a", emulator, backend_url)
    b = runner(tmp_path, "runner-b", emulator, backend_url)
    a.init("shared", callbacks("RACE_APP", 3))
    checkout(a, b, "shared")
    up = ["up", "--yes", "--skip-preview"]
    # Slow API calls: whichever run takes the lock holds it for seconds, so the two runs overlap
    # even on a loaded machine (were they to run one after the other, both would succeed).
    emulator.faults(probability=0, latencyMs=1000)

    # First deploy: both runners create the stack's objects at the same moment.
    emulator.zero()
    one_proceeds(at_once([(a, up, "shared"), (b, up, "shared")]))
    assert callback_names(emulator, "RACE_APP") == ["cb0", "cb1", "cb2"]
    assert emulator.requests()["byRoute"].get("POST /powerauth/v2/admin/applications/{appId}/callbacks") == 3
    state = deployment(a, "shared")
    assert not state.get("pending_operations")
    assert sorted(r["urn"].rsplit("::", 1)[1] for r in a.resources("shared")) == ["app", "cb0", "cb1", "cb2"]
    assert len(history(a, "shared")) == 1

    # A change both runners deploy at once: one more callback, one URL changed.
    a.configure("shared", callbacks("RACE_APP", 4, url="https://hooks.example.com/v2"))
    checkout(a, b, "shared")
    one_proceeds(at_once([(b, up, "shared"), (a, up, "shared")]))
    assert callback_names(emulator, "RACE_APP") == ["cb0", "cb1", "cb2", "cb3"]
    body = emulator.powerauth("GET", "/v2/admin/applications/RACE_APP/callbacks").json()
    urls = {c["name"]: c["callbackUrl"] for c in body["callbacks"]}
    assert urls == {f"cb{i}": f"https://hooks.example.com/v2/{i}" for i in range(4)}
    assert len(a.resources("shared")) == 5 and len(history(b, "shared")) == 2

    # Both destroy at once: one does, the other stops at the lock.
    destroy = ["destroy", "--yes", "--skip-preview"]
    one_proceeds(at_once([(a, destroy, "shared"), (b, destroy, "shared")]))
    emulator.no_faults()
    assert callback_names(emulator, "RACE_APP") == []
    assert a.resources("shared") == [] and len(history(a, "shared")) == 3
    assert lock_rows(postgres, table) == [], "a lock was left behind"


def test_runners_on_different_stacks_run_in_parallel(tmp_path: Path, emulator: Emulator, backend_url: str) -> None:
    emulator.reset()
    a = runner(tmp_path, "runner-a", emulator, backend_url)
    b = runner(tmp_path, "runner-b", emulator, backend_url)
    a.init("team-a", callbacks("TEAM_A_APP", 3))
    b.init("team-b", callbacks("TEAM_B_APP", 3))
    # Slow API calls make both updates last seconds, so that they overlap.
    emulator.faults(probability=0, latencyMs=1000)
    up = ["up", "--yes", "--skip-preview"]
    results = at_once([(a, up, "team-a"), (b, up, "team-b")])
    emulator.no_faults()
    assert [code for code, _ in results] == [0, 0], "\n----\n".join(out for _, out in results)
    for app in ("TEAM_A_APP", "TEAM_B_APP"):
        assert callback_names(emulator, app) == ["cb0", "cb1", "cb2"]
    assert len(a.resources("team-a")) == 4 and len(b.resources("team-b")) == 4
    # Both stacks live in the one table, and their updates overlapped in time.
    stacks = json.loads(a.run("stack", "ls", "--json", stack="team-a").stdout)
    assert {s["name"] for s in stacks} >= {"team-a", "team-b"}
    [ha], [hb] = history(a, "team-a"), history(b, "team-b")
    assert ha["startTime"] <= hb["endTime"] and hb["startTime"] <= ha["endTime"], (ha, hb)


# ---- the dev stack: every kind of object ----------------------------------------------------
@pytest.fixture
def dev_runner(tmp_path: Path, emulator: Emulator, backend_url: str) -> Project:
    """A working copy with the repository's dev stack on the shared backend; the emulator at its seed."""
    emulator.reset()
    project = runner(tmp_path, "runner", emulator, backend_url)
    project.use_stack_file("dev")
    return project


def inventory(emu: Emulator) -> Counter[str]:
    """Every object at the emulator that a stack can create, one entry per object."""
    found: Counter[str] = Counter()
    for app in emu.powerauth("GET", "/admin/applications").json()["applications"]:
        found[f"powerauth app {app['id']}"] += 1
        for cb in emu.powerauth("GET", f"/v2/admin/applications/{app['id']}/callbacks").json()["callbacks"]:
            found[f"powerauth callback {app['id']}/{cb['name']}"] += 1
    for app in DEV_PINGONE_APPS:
        body = emu.pingone("GET", f"/environments/{ENV}/applications/{app}/pushCredentials").json()
        for cred in body["_embedded"]["pushCredentials"]:
            found[f"pingone credential {app}/{cred['type']}"] += 1
    return found


def assert_exactly_dev(project: Project) -> None:
    """The dev stack's 13 objects in state, each once at the emulator; nothing pending, no lock."""
    found = inventory(project.emulator)
    assert [k for k, n in found.items() if n > 1] == [], f"duplicates at the emulator: {found}"
    assert set(found) == {
        "powerauth app DEMO_APP",
        "powerauth app PARTNER_APP",
        "powerauth callback DEMO_APP/operation-status",
        "powerauth callback DEMO_APP/registration-status",
        f"pingone credential {DEV_PINGONE_APPS[0]}/APNS",
        f"pingone credential {DEV_PINGONE_APPS[1]}/FCM_HTTP_V1",
        f"pingone credential {DEV_PINGONE_APPS[1]}/HMS",
    }
    state = deployment(project, "dev")
    assert not state.get("pending_operations")
    assert len(project.resources("dev")) == 13


def test_sigkilled_runner_recovers_with_cancel_and_recover(
    dev_runner: Project, postgres: dev.Postgres, table: str
) -> None:
    project, emulator = dev_runner, dev_runner.emulator
    project.kill_up_while_creating("dev")

    # The killed run's lock is a row of the shared table: every other run stops at it.
    assert lock_rows(postgres, table)
    out = project.up("dev", check=False)
    assert out.returncode != 0 and LOCKED in out.stdout + out.stderr
    assert "pulumi cancel" in out.stdout + out.stderr

    # The documented steps: `pulumi cancel`, then `mfa-push recover` (which reads the backend from
    # PULUMI_BACKEND_URL, like every project command), then refresh and up.
    project.run("cancel", "--yes", stack="dev")
    assert lock_rows(postgres, table) == []
    assert project.env["PULUMI_BACKEND_URL"] == postgres.url(table=table)
    rec = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mfa-push"), "recover", "dev", "--cwd", str(project.dir)],
        env=project.env,
        text=True,
        capture_output=True,
        check=False,
    )
    assert rec.returncode == 0, rec.stdout + rec.stderr
    assert "now run: pulumi refresh, then pulumi up" in rec.stdout
    project.refresh("dev")
    project.up("dev")
    assert_exactly_dev(project)
    assert lock_rows(postgres, table) == []
    emulator.zero()
    preview = project.preview("dev")
    assert "+ " not in preview.stdout and "~ " not in preview.stdout, preview.stdout
    assert emulator.requests()["total"] == 0


def test_postgres_restarted_during_up(
    tmp_path: Path, emulator: Emulator, backend_url: str, postgres: dev.Postgres, table: str, figures: list[str]
) -> None:
    emulator.reset()
    project = runner(tmp_path, "runner", emulator, backend_url)
    project.init("restart", callbacks("RESTART_APP", 2))
    project.up("restart")
    before = {r["urn"]: r["id"] for r in project.resources("restart")}
    assert len(before) == 3

    # Four more callbacks, slow API calls; PostgreSQL goes down like a crash and comes back.
    project.configure("restart", callbacks("RESTART_APP", 6))
    emulator.faults(probability=0, latencyMs=400)
    emulator.zero()
    log = tmp_path / "up.log"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [project.pulumi_bin, "up", "--yes", "--skip-preview", "--stack", "restart", "--non-interactive"],
            cwd=project.dir,
            env=project.env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        emulator.wait_for_call("POST /powerauth/v2/admin/applications/{appId}/callbacks")
        assert postgres.stop(mode="immediate")
        down = time.monotonic()
        time.sleep(2)
        postgres.start()
        down = time.monotonic() - down
        code = proc.wait(timeout=600)
    emulator.no_faults()
    text = log.read_text()
    assert "panic:" not in text and "goroutine " not in text, text
    if code != 0:
        # A failed run says why in one error line; its lock may stay (`pulumi cancel` clears it).
        assert re.search(r"error: .*(snapshot|PostgreSQL|connection|locked)", text), text
        if lock_rows(postgres, table):
            project.run("cancel", "--yes", stack="restart")
        if deployment(project, "restart").get("pending_operations"):
            from pulumi_mfa_push._recover import recover

            recover("restart", cwd=project.dir, env=project.env)
            project.refresh("restart")

    # The next `up` converges: every declared object once, nothing lost from state.
    project.up("restart")
    after = {r["urn"]: r["id"] for r in project.resources("restart")}
    assert len(after) == 7 and all(after.get(urn) == id_ for urn, id_ in before.items()), (before, after)
    assert callback_names(emulator, "RESTART_APP") == [f"cb{i}" for i in range(6)]
    assert not deployment(project, "restart").get("pending_operations")
    assert lock_rows(postgres, table) == []
    emulator.zero()
    project.preview("restart")
    assert emulator.requests()["total"] == 0
    outcome = "completed" if code == 0 else "failed: " + next(ln for ln in text.splitlines() if "error:" in ln)
    figures.append(f"team state: PostgreSQL down {down:.1f} s during `up` (immediate stop): the `up` {outcome}")


# ---- secrets --------------------------------------------------------------------------------
def dev_secrets(project: Project) -> list[str]:
    """The plain text of every secure value of the dev stack, decrypted by the CLI."""
    config = yaml.safe_load((project.dir / "stacks" / "Pulumi.dev.yaml").read_text())["config"]
    shown = json.loads(project.run("config", "--show-secrets", "--json", stack="dev").stdout)
    return secret_values(config, shown)


def decoded(data: str) -> str:
    """A row of the DIY PostgreSQL table is {"data": base64 of the object}, maybe gzipped."""
    raw = base64.b64decode(json.loads(data)["data"])
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return raw.decode("utf-8", errors="replace")


def test_state_table_holds_no_plaintext_secret(dev_runner: Project, postgres: dev.Postgres, table: str) -> None:
    project = dev_runner
    secrets = dev_secrets(project)
    assert len(secrets) >= 10, "expected every kind of secret in the dev stack"
    project.up("dev")
    project.refresh("dev")

    rows = [line.split("|", 1) for line in postgres.psql(f"SELECT key, data::text FROM {table}").splitlines()]
    keys = [key for key, _ in rows]
    assert any(k.endswith("/dev.json") for k in keys) and any("/history/" in k for k in keys), keys
    text = "\n".join(f"{key}\n{data}\n{decoded(data)}" for key, data in rows)
    # The rows were read as what pulumi wrote: the checkpoint, with its secrets encrypted.
    assert "pulumi-python:dynamic/powerauth:Callback" in text and '"ciphertext"' in text
    for secret in secrets:
        for form in forms(secret):
            where = text.find(form)
            assert where < 0, f"a secret in plain text in the state table near: {text[max(0, where - 300) : where]!r}"


# ---- the commands ---------------------------------------------------------------------------
def test_postgres_command_prints_the_url_and_project_commands_honour_it(
    postgres: dev.Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = dict(os.environ, MFA_PUSH_PG_DIR=str(postgres.dir))
    out = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "dev.py"), "postgres", "start"],
        env=env,
        text=True,
        capture_output=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert f"export PULUMI_BACKEND_URL='{postgres.url()}'" in out.stdout
    assert postgres.url().startswith(f"postgres://{dev.PG_ROLE}:") and f"127.0.0.1:{postgres.port}/" in postgres.url()
    status = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "dev.py"), "postgres", "status"], env=env, text=True, capture_output=True
    )
    assert status.returncode == 0 and f"running on 127.0.0.1:{postgres.port}" in status.stdout
    # Every pulumi run of the project commands takes the backend from PULUMI_BACKEND_URL.
    monkeypatch.setenv("PULUMI_BACKEND_URL", postgres.url())
    monkeypatch.setenv("PULUMI_ACCESS_TOKEN", "pul-not-a-real-token")
    env = dev.pulumi_env()
    assert env["PULUMI_BACKEND_URL"] == postgres.url() and "PULUMI_ACCESS_TOKEN" not in env
    # Pulumi Cloud instead: its token is kept for it, and for nothing else.
    monkeypatch.setenv("PULUMI_BACKEND_URL", "https://api.pulumi.com")
    assert dev.pulumi_env()["PULUMI_ACCESS_TOKEN"] == "pul-not-a-real-token"
    assert "****" in dev.redact(postgres.url()) and postgres._settings()["password"] not in dev.redact(postgres.url())


def test_a_missing_postgresql_is_one_line(tmp_path: Path) -> None:
    """Bootstrap and `tools/dev.py postgres start` say what to do; neither prints a traceback."""
    env = dict(os.environ, MFA_PUSH_POSTGRES="1", MFA_PUSH_PG_BIN=str(tmp_path / "nowhere"))
    env["MFA_PUSH_PG_DIR"] = str(tmp_path / "postgres")
    out = subprocess.run(["bash", str(ROOT / "tools" / "bootstrap.sh")], env=env, text=True, capture_output=True)
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1] == (
        f"[bootstrap] error: MFA_PUSH_PG_BIN={tmp_path / 'nowhere'} has no initdb and pg_ctl: "
        "point it at a PostgreSQL server's bin directory."
    )
    dev_py = [sys.executable, str(ROOT / "tools" / "dev.py"), "postgres", "start"]
    out = subprocess.run(dev_py, env=env, text=True, capture_output=True)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.startswith("error: no PostgreSQL server found") and len(out.stderr.strip().splitlines()) == 1


def test_cluster_directory_the_server_user_cannot_reach(tmp_path: Path) -> None:
    """A checkout the server's user cannot enter (under /root, say): the cluster lives in /var/tmp
    and .state/postgres links to it. As a normal user, the directory is simply made."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    cluster = dev.Postgres(private / "postgres")
    cluster._create_dir()
    try:
        if cluster.os_user is None:
            assert cluster.dir.is_dir() and not cluster.dir.is_symlink()
            return
        assert cluster.dir.is_symlink() and cluster.home.parent == Path("/var/tmp")
        import pwd

        assert pwd.getpwuid(cluster.home.stat().st_uid).pw_name == cluster.os_user
        assert (cluster.home.stat().st_mode & 0o777) == 0o700
    finally:
        if cluster.dir.is_symlink():
            shutil.rmtree(cluster.home, ignore_errors=True)
