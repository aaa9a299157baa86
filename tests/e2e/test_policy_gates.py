"""Policy-gated deploys through the real CLI: dev deploys clean, the violating stack is
stopped before any write, and a policy config file changes the outcome."""

from __future__ import annotations

import json
from pathlib import Path

from _harness import ROOT, Project

PACK = str(ROOT / "policies")
MANDATORY_IN_LEGACY = [
    "no-deprecated-fcm",
    "callback-url-https",
    "fcm-project-matches-credentials",
    "single-owner-of-roles",
    "one-push-credential-per-type",
]


def _writes(project: Project) -> int:
    routes = project.emulator.requests()["byRoute"]
    return sum(n for route, n in routes.items() if not route.startswith("GET") and "as/token" not in route)


def test_dev_stack_deploys_clean_with_the_policy_pack(project: Project) -> None:
    emu = project.emulator
    emu.reset()
    project.use_stack_file("dev")
    out = project.run(
        "up",
        "--yes",
        "--policy-pack",
        PACK,
        "--policy-pack-config",
        str(ROOT / "policies" / "config" / "dev.json"),
        stack="dev",
    )
    assert "mandatory" not in out.stdout.lower() or "0 mandatory" in out.stdout.lower(), out.stdout
    assert "mfa-push-policies" in out.stdout
    apps = {a["id"] for a in emu.powerauth("GET", "/admin/applications").json()["applications"]}
    assert {"DEMO_APP", "PARTNER_APP"} <= apps
    emu.zero()
    again = project.run("preview", "--policy-pack", PACK, stack="dev")
    assert "+ " not in again.stdout and "~ " not in again.stdout, again.stdout
    assert emu.requests()["total"] == 0
    project.run("destroy", "--yes", stack="dev")


def test_violating_stack_is_stopped_before_any_write(project: Project) -> None:
    emu = project.emulator
    emu.reset()
    project.use_stack_file("legacy")
    preview = project.run("preview", "--policy-pack", PACK, stack="legacy", check=False)
    text = preview.stdout + preview.stderr
    assert preview.returncode != 0
    for name in MANDATORY_IN_LEGACY:
        assert name in text, f"{name} not reported:\n{text}"
    assert "Traceback" not in text

    emu.zero()
    up = project.run("up", "--yes", "--policy-pack", PACK, stack="legacy", check=False)
    assert up.returncode != 0
    assert _writes(project) == 0, emu.requests()
    apps = {a["id"] for a in emu.powerauth("GET", "/admin/applications").json()["applications"]}
    assert "LEGACY_APP" not in apps


def test_policy_config_changes_the_outcome(project: Project, tmp_path: Path) -> None:
    emu = project.emulator
    emu.reset()
    project.use_stack_file("legacy")
    relaxed = tmp_path / "relaxed.json"
    relaxed.write_text(json.dumps({name: {"enforcementLevel": "advisory"} for name in MANDATORY_IN_LEGACY}))
    out = project.run(
        "preview", "--policy-pack", PACK, "--policy-pack-config", str(relaxed), stack="legacy", check=False
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "advisory" in out.stdout.lower()

    strict = tmp_path / "strict.json"
    strict.write_text(
        json.dumps(
            {
                "callback-authentication": {"enforcementLevel": "mandatory"},
                **{n: {"enforcementLevel": "disabled"} for n in MANDATORY_IN_LEGACY},
            }
        )
    )
    out = project.run(
        "preview", "--policy-pack", PACK, "--policy-pack-config", str(strict), stack="legacy", check=False
    )
    assert out.returncode != 0 and "callback-authentication" in out.stdout + out.stderr


def test_prod_example_previews_offline(project: Project) -> None:
    """The prod example targets the real hosts; a preview of objects not yet created needs none."""
    project.use_stack_file("prod")
    out = project.run(
        "preview",
        "--policy-pack",
        PACK,
        "--policy-pack-config",
        str(ROOT / "policies" / "config" / "prod.json"),
        stack="prod",
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "12 to create" in out.stdout and "mfa-push-policies" in out.stdout
