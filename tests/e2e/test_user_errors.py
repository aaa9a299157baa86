"""The errors a new user meets first, through the real CLI: a missing setting fails the preview,
a host that cannot be reached fails at once naming its host and setting, refused credentials
name the settings to check, and `replace_on_changes` (ignored by dynamic resources) is warned
about. Each is one line, without a traceback or a secret."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from _harness import Emulator, Project, free_port

ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
IOS = "11111111-2222-4333-8444-555555555555"
APP = {"powerauthApplications": [{"name": "app", "applicationId": "ERRORS_APP"}]}
CREDENTIAL = {
    "pingonePushCredentials": [
        {
            "name": "hms",
            "environmentId": ENV,
            "applicationId": IOS,
            "type": "HMS",
            "clientId": "hms-client",
            "clientSecret": "hms-Client-Secret-0042",
        }
    ]
}
PINGID_APP = {
    "pingidApplications": [
        {"name": "sdk", "applicationId": "5d1e3f0a-7b2c-4d8e-9f10-112233445566", "appName": "Errors"}
    ]
}


def _error(out: subprocess.CompletedProcess[str], needle: str) -> str:
    """The failed command's one error line that holds `needle`, with no traceback anywhere."""
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "Traceback" not in text, text
    lines = [line.strip() for line in text.splitlines() if needle in line]
    assert lines, text
    return lines[0]


def _rm(project: Project, *keys: str) -> None:
    for key in keys:
        project.run("config", "rm", key)


# -- 1. a missing setting fails the preview, before any API call -------------------------------------


@pytest.mark.parametrize(
    ("objects", "removed", "expected"),
    [
        (
            APP,
            ("powerauth:url", "powerauth:password"),
            "error: missing setting powerauth:url: the PowerAuth Cloud base URL. Set it with "
            "`pulumi config set powerauth:url ...` or the environment variable POWERAUTH_URL; "
            "missing setting powerauth:password: the admin password. Set it with "
            "`pulumi config set powerauth:password ... --secret` or the environment variable POWERAUTH_PASSWORD.",
        ),
        (
            CREDENTIAL,
            ("pingone:clientSecret",),
            "error: missing setting pingone:clientSecret: the worker app's client secret. Set it with "
            "`pulumi config set pingone:clientSecret ... --secret` or the environment variable PINGONE_CLIENT_SECRET.",
        ),
        (
            PINGID_APP,
            ("pingid:accountId",),
            "error: missing setting pingid:accountId: the PingID SDK account id. Set it with "
            "`pulumi config set pingid:accountId ...` or the environment variable PINGID_ACCOUNT_ID.",
        ),
    ],
    ids=["powerauth", "pingone", "pingid"],
)
def test_missing_setting_fails_the_preview(
    project: Project, objects: dict[str, Any], removed: tuple[str, ...], expected: str
) -> None:
    emu = project.emulator
    project.init(objects=objects)
    _rm(project, *removed)
    emu.zero()
    out = project.preview(check=False)
    assert _error(out, "missing setting") == expected
    assert emu.requests()["total"] == 0


def test_only_the_resources_apis_settings_are_asked_and_env_fallbacks_count(project: Project) -> None:
    emu = project.emulator
    project.init(objects=APP)
    # No PingOne or PingID setting at all: a stack of PowerAuth objects does not need them.
    _rm(project, *(k for k in {**emu.config(), **emu.secrets()} if k.startswith(("pingone:", "pingid:"))))
    _rm(project, "powerauth:password")
    project.env["POWERAUTH_PASSWORD"] = emu.secrets()["powerauth:password"]
    emu.zero()
    project.preview()
    assert emu.requests()["total"] == 0
    project.up()
    assert emu.powerauth("GET", "/admin/applications/ERRORS_APP").status_code == 200


# -- 2. a host that cannot be reached: at once, naming host:port and the setting ------------------------


@pytest.mark.parametrize(
    ("objects", "setting", "url", "expected"),
    [
        (
            APP,
            "powerauth:url",
            # User info in the URL must not reach any message.
            "https://admin:SeCrEt-in-url@127.0.0.1:{port}/powerauth",
            "could not be completed: connection refused by 127.0.0.1:{port}; check powerauth:url",
        ),
        (
            APP,
            "powerauth:url",
            "https://powerauth.invalid/powerauth",
            "could not be completed: unknown host powerauth.invalid:443 (its name does not resolve); "
            "check powerauth:url",
        ),
        (
            CREDENTIAL,
            "pingone:authUrl",
            "https://127.0.0.1:{port}/pingone-auth",
            f"PingOne auth API: POST /{ENV}/as/token could not be completed: connection refused by "
            "127.0.0.1:{port}; check pingone:authUrl",
        ),
        (
            CREDENTIAL,
            "pingone:apiUrl",
            "https://pingone.invalid/v1",
            "could not be completed: unknown host pingone.invalid:443 (its name does not resolve); "
            "check pingone:apiUrl",
        ),
        (
            PINGID_APP,
            "pingid:url",
            "https://127.0.0.1:{port}/pingid/v1",
            "could not be completed: connection refused by 127.0.0.1:{port}; check pingid:url",
        ),
    ],
    ids=["powerauth-refused", "powerauth-unknown-host", "pingone-auth-refused", "pingone-unknown-host", "pingid"],
)
def test_unreachable_host_fails_at_once_naming_host_and_setting(
    project: Project, objects: dict[str, Any], setting: str, url: str, expected: str
) -> None:
    emu = project.emulator
    port = free_port()  # nothing listens there
    project.init(objects=objects, extra={setting: url.format(port=port)})
    emu.zero()
    out = project.up(check=False)
    line = _error(out, "could not be completed")
    assert expected.format(port=port) in line
    assert "SeCrEt-in-url" not in out.stdout + out.stderr
    # Not retried: the emulator (reachable, for the other APIs) saw no call of this resource's
    # API but the PingOne token, which comes first.
    assert set(emu.requests()["byRoute"]) <= {"POST /pingone-auth/{envId}/as/token"}


# -- 3. refused credentials name the settings to check --------------------------------------------------


def test_wrong_powerauth_password_names_the_settings(project: Project) -> None:
    project.init(objects=APP)
    project.run("config", "set", "--secret", "powerauth:password", "wrong-password-value")
    out = project.up(check=False)
    line = _error(out, "HTTP 401")
    assert line.endswith(
        "failed with HTTP 401 HTTP_401: Unauthorized (check powerauth:username and powerauth:password)"
    ), line
    assert "wrong-password-value" not in out.stdout + out.stderr


@pytest.mark.parametrize(
    ("objects", "pattern", "hint"),
    [
        (APP, "^/powerauth/", "(the admin user (powerauth:username) lacks the rights for this call)"),
        (CREDENTIAL, "^/pingone/v1/", "the worker app lacks a role that may manage this environment's applications"),
        (PINGID_APP, "^/pingid/", "check that pingid:accountId, pingid:apiKey and pingid:token belong to"),
    ],
    ids=["powerauth", "pingone", "pingid"],
)
def test_forbidden_call_names_the_credentials(
    project: Project, objects: dict[str, Any], pattern: str, hint: str
) -> None:
    emu = project.emulator
    project.init(objects=objects)
    emu.faults(probability=1.0, statuses=[403], pathPattern=pattern)
    try:
        out = project.up(check=False)
    finally:
        emu.no_faults()
    assert hint in _error(out, "HTTP 403")


# -- 4. replace_on_changes is ignored by dynamic resources: said once per resource ----------------------

PROGRAM = """
import pulumi
from pulumi_mfa_push import powerauth

powerauth.Application("warned", application_id="WARNED_APP",
                      opts=pulumi.ResourceOptions(replace_on_changes=["roles"]))
powerauth.Application("quiet", application_id="QUIET_APP")
"""


def test_replace_on_changes_is_warned_about(tmp_path: Path, engine_bin: Path, emulator: Emulator) -> None:
    project = Project(tmp_path / "project", emulator, PROGRAM)
    project.init()
    out = project.preview()
    text = out.stdout + out.stderr
    urn = "urn:pulumi:test::mfa-push::pulumi-python:dynamic/powerauth:Application::warned"
    warning = (
        "warning: replace_on_changes is ignored by dynamic resources (their provider host does not tell "
        "the engine which properties changed): immutable properties already force a replacement; to "
        f"replace this object on demand, run `pulumi up --replace '{urn}'`"
    )
    assert [line.strip() for line in text.splitlines() if "replace_on_changes" in line] == [warning], text
