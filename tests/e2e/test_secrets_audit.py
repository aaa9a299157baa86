"""Secrets audit: every resource type deployed with known secret values; none of them, nor
their Base64 forms, in `pulumi stack export`, the state files, CLI output (including
`--diff` previews and failures), or the emulator's log."""

from __future__ import annotations

import json

from _harness import Project
from _material import forms, secret_values


def _secret_values(project: Project, stack: str) -> list[str]:
    """The plain text of every secure value in the stack file, decrypted by the CLI."""
    import yaml

    config = yaml.safe_load((project.dir / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
    shown = json.loads(project.run("config", "--show-secrets", "--json", stack=stack).stdout)
    project.outputs_seen.pop()  # that output shows secrets on purpose; it is not audited
    return secret_values(config, shown)


def test_no_secret_in_state_output_or_logs(project: Project) -> None:
    emu = project.emulator
    emu.reset()
    project.use_stack_file("dev")
    secrets = _secret_values(project, "dev")
    assert len(secrets) >= 10, "expected every kind of secret in the dev stack"

    project.run("preview", "--diff", stack="dev")
    project.run("up", "--yes", "--diff", stack="dev")
    project.run(
        "preview", "--diff", "--show-sames", "--show-config", "--show-replacement-steps", "--show-reads", stack="dev"
    )
    project.run("refresh", "--yes", stack="dev")
    # A failing call: its error message must not carry a secret either.
    emu.faults(probability=1.0, statuses=[500], pathPattern="/push/hms")
    project.run("up", "--yes", "--refresh", stack="dev", check=False)
    project.run("stack", "output", stack="dev")
    emu.no_faults()

    state_files = "".join(p.read_text(errors="replace") for p in (project.dir / ".backend").rglob("*") if p.is_file())
    text = json.dumps(project.export("dev")) + state_files + "".join(project.outputs_seen) + emu.log.read_text()
    for secret in secrets:
        for form in forms(secret):
            where = text.find(form)
            assert where < 0, f"a secret leaked near: {text[max(0, where - 1500) : where + 40]!r}"
    project.run("destroy", "--yes", stack="dev")
