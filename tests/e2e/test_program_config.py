"""The config-driven program reports mistakes in stack config clearly, before any API call."""

from __future__ import annotations

import subprocess
from pathlib import Path

from _harness import Project


def test_engine_is_the_pinned_version(engine_bin: Path) -> None:
    out = subprocess.run([str(engine_bin / "pulumi"), "version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "v3.274.0"
    host = subprocess.run([str(engine_bin / "pulumi-language-python"), "--help"], capture_output=True, text=True)
    assert host.returncode in (0, 2)


def test_unknown_field_in_stack_config(project: Project) -> None:
    emu = project.emulator
    project.init(objects={"powerauthApplications": [{"name": "a", "applicationId": "CFG_APP", "colour": "blue"}]})
    emu.zero()
    out = project.preview(check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "unknown field 'colour'" in text and "applicationId" not in text.split("unknown field")[0][-5:]
    assert "Traceback" not in text
    assert emu.requests()["total"] == 0


def test_reference_to_an_undeclared_application(project: Project) -> None:
    project.init(
        objects={
            "powerauthHms": [
                {
                    "name": "h",
                    "application": "nope",
                    "projectId": "p",
                    "appId": "a",
                    "clientId": "c",
                    "clientSecret": "s",
                }
            ]
        }
    )
    out = project.preview(check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "application 'nope' is not declared" in text
    assert "Traceback" not in text
