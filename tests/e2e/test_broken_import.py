"""A library that fails to import stops the program: it never plans to delete what the stack holds."""

from __future__ import annotations

from _harness import ROOT, Project
from _material import apns_p8

ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
IOS = "11111111-2222-4333-8444-555555555555"
PINGID_APP = "cb869bc1-b136-4698-afce-5e6775333bbc"

# A broken install of one API package, as a missing dependency or a typo would leave it.
BREAK = "import sys\nsys.modules['pulumi_mfa_push.{package}'] = None  # import now raises ImportError\n"


def test_a_broken_import_plans_no_delete(project: Project) -> None:
    emu = project.emulator
    objects = {
        "powerauthApplications": [{"name": "app", "applicationId": "BROKEN_IMPORT_APP"}],
        "pingonePushCredentials": [
            {
                "name": "ios",
                "environmentId": ENV,
                "applicationId": IOS,
                "type": "APNS",
                "key": "ABCDE12345",
                "teamId": "TEAM123456",
                "token": apns_p8(),
            }
        ],
        "pingidApplications": [{"name": "sdk", "applicationId": PINGID_APP, "appName": "Broken import app"}],
    }
    project.init(objects=objects)
    project.up()
    before = sorted(r["urn"] for r in project.resources())
    assert len(before) == 3

    program = (ROOT / "stacks" / "__main__.py").read_text()
    for package in ("pingone", "pingid"):
        future = "from __future__ import annotations\n"
        broken = program.replace(future, future + BREAK.format(package=package), 1)
        assert broken != program
        (project.dir / "stacks" / "__main__.py").write_text(broken)
        emu.zero()
        preview = project.preview(check=False)
        text = preview.stdout + preview.stderr
        assert preview.returncode != 0, text
        assert "cannot load pulumi_mfa_push" in text and f"pulumi_mfa_push.{package}" in text, text
        assert "to delete" not in text and "- pulumi-python:dynamic" not in text, text
        assert "Traceback" not in text, text

        up = project.up(check=False)
        text = up.stdout + up.stderr
        assert up.returncode != 0, text
        assert "deleted" not in text, text
        assert sorted(r["urn"] for r in project.resources()) == before
        # The program stopped before declaring anything: no call at all, so no delete and no retire.
        assert emu.requests()["total"] == 0, emu.requests()

    # The PingOne credential and the PingID application are untouched at the server.
    creds = emu.pingone("GET", f"/environments/{ENV}/applications/{IOS}/pushCredentials").json()
    assert [c["type"] for c in creds["_embedded"]["pushCredentials"]] == ["APNS"]
