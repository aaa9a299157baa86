"""The config-driven program reports mistakes in stack config clearly, before any API call."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
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


@pytest.mark.parametrize(
    ("objects", "said"),
    [
        (
            {"powerauthApplications": [{"name": "a", "applicationId": "CFG_A", "application_id": "CFG_B"}]},
            "mfa-push:powerauthApplications[0]: 'applicationId' and 'application_id' both set the argument "
            "application_id; keep one",
        ),
        (
            {
                "powerauthApplications": [{"name": "a", "applicationId": "CFG_APP"}],
                "powerauthRoleSets": [{"name": "r", "application": "a", "applicationId": "OTHER", "roles": ["R"]}],
            },
            "mfa-push:powerauthRoleSets[0]: 'application' and 'applicationId' both set the argument application_id; "
            "keep one",
        ),
        (
            {"powerauthApplications": [{"name": "a", "applicationId": "CFG_APP", "protect": "false"}]},
            "mfa-push:powerauthApplications[0]: protect must be true or false without quotes, not the string 'false'",
        ),
        (
            {"powerauthApplications": [{"name": "a", "applicationId": "CFG_APP", "retainOnDelete": "true"}]},
            "retainOnDelete must be true or false without quotes, not the string 'true'",
        ),
        (
            {"powerauthApplications": [{"name": "a", "applicationId": "CFG_APP", "ignoreChanges": "roles"}]},
            "ignoreChanges must be a list of property names",
        ),
    ],
    ids=["camel-and-snake", "reference-and-argument", "quoted-protect", "quoted-retain", "ignore-changes"],
)
def test_ambiguous_stack_config_is_a_named_error(project: Project, objects: dict[str, Any], said: str) -> None:
    emu = project.emulator
    project.init(objects=objects)
    emu.zero()
    out = project.preview(check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and said in text, text
    assert "Traceback" not in text
    assert emu.requests()["total"] == 0
