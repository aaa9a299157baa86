"""The foundation through the real CLI: up creates, a second preview changes nothing and
calls no API, destroy runs and leaves the (undeletable) application with a warning."""

from __future__ import annotations

from _harness import Project


def test_application_up_preview_destroy(project: Project) -> None:
    emu = project.emulator
    project.init(
        objects={
            "powerauthApplications": [
                {"name": "skeleton", "applicationId": "E2E_SKELETON", "roles": ["ROLE_B", "ROLE_A"]}
            ]
        }
    )

    out = project.up()
    assert "created" in out.stdout

    [app] = project.resources(type_suffix=":Application")
    assert app["id"] == "E2E_SKELETON"
    outs = app["outputs"]
    assert outs["roles"] == ["ROLE_A", "ROLE_B"]
    assert outs["app_key"].endswith("==") and len(outs["app_key"]) == 24
    assert outs["master_server_public_key"].startswith("B") and len(outs["master_server_public_key"]) == 88
    # Secret outputs are ciphertext in state.
    assert isinstance(outs["app_secret"], dict) and "ciphertext" in outs["app_secret"]
    assert isinstance(outs["mobile_sdk_config"], dict) and "ciphertext" in outs["mobile_sdk_config"]

    live = emu.powerauth("GET", "/admin/applications/E2E_SKELETON").json()
    assert live["roles"] == ["ROLE_A", "ROLE_B"]
    assert live["appKey"] == outs["app_key"]

    emu.zero()
    preview = project.preview()
    assert "2 unchanged" in preview.stdout or "unchanged" in preview.stdout
    assert "+ " not in preview.stdout and "~ " not in preview.stdout
    assert emu.requests()["total"] == 0, emu.requests()

    done = project.destroy()
    assert "still exists at PowerAuth Cloud" in done.stdout + done.stderr
    assert project.resources(type_suffix=":Application") == []
    assert emu.powerauth("GET", "/admin/applications/E2E_SKELETON").status_code == 200
