"""Fault campaigns through the real CLI: with 30% of calls failing, answered after the write
was committed and then lost, answered with a malformed body (empty, cut short, a JSON list,
broken gzip), or answered in a slow drip that outlasts the timeout, `pulumi up` of the dev stack
converges to exactly the declared objects (no duplicates, no orphans), a no-change preview
follows, and `destroy` converges to nothing left."""

from __future__ import annotations

import time
from typing import Any

import pytest
from _harness import Project

IOS = "11111111-2222-4333-8444-555555555555"
ANDROID = "66666666-7777-4888-8999-aaaaaaaaaaaa"
ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
DEV_PINGID = "3d9c2f4e-8a1b-4c7d-9e0f-1a2b3c4d5e6f"


def converge(project: Project, command: str, stack: str, runs: int = 4) -> int:
    for attempt in range(1, runs + 1):
        out = project.run(command, "--yes", "--skip-preview", stack=stack, check=False)
        text = out.stdout + out.stderr
        assert "Traceback" not in text, text
        if out.returncode == 0:
            return attempt
    raise AssertionError(f"{command} did not converge in {runs} runs:\n{text}")


def assert_exactly_dev(project: Project) -> None:
    emu = project.emulator
    apps = sorted(a["id"] for a in emu.powerauth("GET", "/admin/applications").json()["applications"])
    assert apps == ["DEMO_APP", "PARTNER_APP"]
    callbacks = emu.powerauth("GET", "/v2/admin/applications/DEMO_APP/callbacks").json()["callbacks"]
    assert sorted(c["name"] for c in callbacks) == ["operation-status", "registration-status"]
    assert emu.powerauth("GET", "/v2/admin/applications/PARTNER_APP/callbacks").json()["callbacks"] == []
    assert emu.powerauth("GET", "/admin/applications/PARTNER_APP").json()["roles"] == ["ROLE_AUDITOR", "ROLE_OPERATOR"]
    push = emu.powerauth("GET", "/admin/applications/DEMO_APP/push").json()
    assert all(push.get(p) for p in ("apns", "fcm", "hms"))

    def types(app: str) -> list[str]:
        body = emu.pingone("GET", f"/environments/{ENV}/applications/{app}/pushCredentials").json()
        return sorted(c["type"] for c in body["_embedded"]["pushCredentials"])

    assert types(IOS) == ["APNS"]
    assert types(ANDROID) == ["FCM_HTTP_V1", "HMS"]
    state_ids = {r["id"] for r in project.resources("dev")}
    assert DEV_PINGID in state_ids
    assert len(project.resources("dev")) == 13


#: Each API's timeoutSeconds for the drip campaign: a dripped answer longer than about 2 s worth
#: of bytes is cut off (a lost answer), a shorter one arrives late.
DRIP_TIMEOUTS = {f"{api}:timeoutSeconds": "2" for api in ("powerauth", "pingone", "pingid")}


@pytest.mark.parametrize(
    ("label", "faults", "settings"),
    [
        ("30% of calls fail (500/503/429)", {"probability": 0.3, "statuses": [500, 503, 429], "seed": 7}, {}),
        (
            "30% of answers lost after commit",
            {"probability": 0.3, "statuses": [500, 503], "afterCommit": True, "seed": 11},
            {},
        ),
        (
            "30% of answers malformed (empty, truncated, a JSON list, broken gzip)",
            {"probability": 0.3, "answer": ["empty", "truncated", "shape", "gzip"], "seed": 5},
            {},
        ),
        (
            "30% of answers dripped at 150 B/s, timeoutSeconds 2",
            {"probability": 0.3, "dripBytesPerSecond": 150, "seed": 9},
            DRIP_TIMEOUTS,
        ),
    ],
    ids=["statuses", "lost-after-commit", "malformed", "drip"],
)
def test_dev_stack_converges_under_faults(
    project: Project, figures: list[str], label: str, faults: dict[str, Any], settings: dict[str, str]
) -> None:
    emu = project.emulator
    emu.reset()
    project.use_stack_file("dev")
    for key, value in settings.items():
        project.run("config", "set", key, value, stack="dev")
    emu.zero()
    emu.faults(**faults)
    started = time.monotonic()
    runs = converge(project, "up", "dev")
    took = time.monotonic() - started
    state = emu.requests()
    injected = emu.faults_state().get("injected")
    emu.no_faults()
    assert_exactly_dev(project)
    emu.zero()
    out = project.run("preview", stack="dev")
    assert "+ " not in out.stdout and "~ " not in out.stdout and "+-" not in out.stdout, out.stdout
    assert emu.requests()["total"] == 0
    figures.append(
        f"faults [{label}]: up converged in {runs} run(s), {took:.0f} s; {state['total']} API calls, "
        f"{injected} faults injected"
    )

    emu.faults(**faults)
    emu.zero()
    started = time.monotonic()
    runs = converge(project, "destroy", "dev")
    took = time.monotonic() - started
    state = emu.requests()
    injected = emu.faults_state()["injected"] - injected
    emu.no_faults()
    callbacks = emu.powerauth("GET", "/v2/admin/applications/DEMO_APP/callbacks").json()["callbacks"]
    assert callbacks == []
    push = emu.powerauth("GET", "/admin/applications/DEMO_APP/push").json()
    assert not any(push.get(p) for p in ("apns", "fcm", "hms"))
    for app in (IOS, ANDROID):
        body = emu.pingone("GET", f"/environments/{ENV}/applications/{app}/pushCredentials").json()
        assert body["_embedded"]["pushCredentials"] == []
    assert project.resources("dev") == []
    figures.append(
        f"faults [{label}]: destroy converged in {runs} run(s), {took:.0f} s; {state['total']} API calls, "
        f"{injected} faults injected"
    )


def test_interrupted_deploy_recovers_without_duplicates(project: Project, figures: list[str]) -> None:
    """SIGKILL the CLI in the middle of creating; `pulumi cancel` is not needed with a file
    backend, but the state may lack objects that were created: `pulumi refresh` and a second
    `up` (whose creates reconcile) converge without duplicates."""
    emu = project.emulator
    emu.reset()
    project.use_stack_file("dev")
    project.kill_up_while_creating("dev")
    created_before = len(emu.powerauth("GET", "/v2/admin/applications/DEMO_APP/callbacks").json().get("callbacks", []))

    # Documented recovery (`mfa-push recover`, or tools/recover.py here) adopts what the killed run
    # created, then refresh and up.
    from pulumi_mfa_push._recover import recover

    report = recover("dev", cwd=project.dir, env=project.env)
    project.run("refresh", "--yes", "--skip-preview", stack="dev")
    runs = converge(project, "up", "dev")
    assert_exactly_dev(project)
    adopted = sum(1 for line in report if line.startswith("adopted"))
    figures.append(
        f"interrupted deploy: killed with {created_before} callback(s) made; recover.py adopted {adopted} "
        f"pending create(s); converged in {runs} up run(s)"
    )
