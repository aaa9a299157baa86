"""Every PowerAuth resource through the real CLI, asserting state and the emulator's data."""

from __future__ import annotations

import json
from typing import Any

import pytest
from _harness import Project
from _material import apns_p8, forms, service_account

CB_PASSWORD = "cb-Secret-Password-123"
HMS_SECRET = "hms-client-Secret-987654"


def _objects(pem: str, sa: str, **over: Any) -> dict[str, Any]:
    cb = {
        "name": "hook",
        "application": "app",
        "callbackName": "status-hook",
        "type": "OPERATION_STATUS_CHANGE",
        "callbackUrl": "https://hooks.example.com/powerauth",
        "attributes": ["userId", "status"],
        "httpBasic": {"username": "hook-user", "password": CB_PASSWORD},
    }
    cb.update(over.get("callback", {}))
    apns = {
        "name": "apns",
        "application": "app",
        "topic": "com.example.app",
        "keyId": "ABCDE12345",
        "teamId": "TEAM123456",
        "environment": "development",
        "privateKey": pem,
    }
    apns.update(over.get("apns", {}))
    return {
        "powerauthApplications": [
            {"name": "app", "applicationId": "E2E_PA_APP", "roles": over.get("roles", ["ROLE_A"])},
            {"name": "shared", "applicationId": "E2E_PA_SHARED"},
        ],
        "powerauthRoleSets": [
            {"name": "team-roles", "application": "shared", "roles": over.get("set_roles", ["TEAM_1", "TEAM_2"])}
        ],
        "powerauthCallbacks": [cb],
        "powerauthApns": [apns],
        "powerauthFcm": [{"name": "fcm", "application": "app", "serviceAccountJson": sa}],
        "powerauthHms": [
            {
                "name": "hms",
                "application": "app",
                "projectId": "hms-project",
                "appId": "hms-app",
                "clientId": "hms-client",
                "clientSecret": HMS_SECRET,
            }
        ],
    }


def _callbacks(project: Project, app: str = "E2E_PA_APP") -> list[dict[str, Any]]:
    return project.emulator.powerauth("GET", f"/v2/admin/applications/{app}/callbacks").json()["callbacks"]  # type: ignore[no-any-return]


def test_powerauth_full_lifecycle(project: Project) -> None:
    emu = project.emulator
    pem, sa = apns_p8(), service_account("demo-project")
    project.init(objects=_objects(pem, sa))

    # -- create ---------------------------------------------------------------------
    project.up()
    app = emu.powerauth("GET", "/admin/applications/E2E_PA_APP").json()
    assert app["roles"] == ["ROLE_A"]
    assert emu.powerauth("GET", "/admin/applications/E2E_PA_SHARED").json()["roles"] == ["TEAM_1", "TEAM_2"]
    [cb] = _callbacks(project)
    assert cb["callbackUrl"] == "https://hooks.example.com/powerauth"
    assert cb["authentication"]["httpBasic"]["passwordSet"] is True
    push = emu.powerauth("GET", "/admin/applications/E2E_PA_APP/push").json()
    assert push["apns"]["environment"] == "DEVELOPMENT" and push["apns"]["keyId"] == "ABCDE12345"
    assert push["fcm"]["projectId"] == "demo-project"  # defaulted from the service-account JSON
    assert push["hms"]["projectId"] == "hms-project"
    by_type = {r["type"].split(":")[-1]: r for r in project.resources()}
    assert by_type["Callback"]["id"] == cb["callbackId"]
    assert by_type["Callback"]["outputs"]["password_set"] is True
    assert by_type["ApnsConfig"]["outputs"]["environment"] == "DEVELOPMENT"

    # -- no-change preview makes no API call -----------------------------------------
    emu.zero()
    out = project.preview()
    assert "+ " not in out.stdout and "~ " not in out.stdout and "+-" not in out.stdout, out.stdout
    assert emu.requests()["total"] == 0, emu.requests()

    # -- in-place updates ------------------------------------------------------------
    updated = _objects(
        pem,
        sa,
        roles=["ROLE_A", "ROLE_B"],
        set_roles=["TEAM_2", "TEAM_3"],
        callback={"callbackUrl": "https://hooks.example.com/v2"},
        apns={"environment": "PRODUCTION"},
    )
    # A rotated write-only secret is seen through its digest and applied in place.
    updated["powerauthHms"][0]["clientSecret"] = "rotated-Hms-Secret-77"
    project.configure("test", updated)
    assert "client_secret" in project.preview().stdout
    emu.zero()
    out = project.up()
    assert "updated" in out.stdout and "replaced" not in out.stdout, out.stdout
    assert emu.powerauth("GET", "/admin/applications/E2E_PA_APP").json()["roles"] == ["ROLE_A", "ROLE_B"]
    assert emu.powerauth("GET", "/admin/applications/E2E_PA_SHARED").json()["roles"] == ["TEAM_2", "TEAM_3"]
    [cb2] = _callbacks(project)
    assert cb2["callbackId"] == cb["callbackId"] and cb2["callbackUrl"] == "https://hooks.example.com/v2"
    assert cb2["authentication"]["httpBasic"]["passwordSet"] is True
    assert emu.powerauth("GET", "/admin/applications/E2E_PA_APP/push").json()["apns"]["environment"] == "PRODUCTION"
    assert emu.requests()["byRoute"].get("POST /powerauth/admin/applications/{id}/push/hms") == 1
    hms_state = next(r for r in project.resources() if r["type"].endswith(":HmsConfig"))["outputs"]
    assert "client_secret" not in hms_state and "ciphertext" in hms_state["client_secret_sha256"]
    writes = {k: v for k, v in emu.requests()["byRoute"].items() if not k.startswith("GET")}
    # Only the differences are applied: one add and one remove per role change.
    assert writes.get("POST /powerauth/admin/applications/roles") == 2, writes

    # -- replacement on an immutable property ----------------------------------------
    project.configure(
        "test",
        _objects(
            pem,
            sa,
            roles=["ROLE_A", "ROLE_B"],
            set_roles=["TEAM_2", "TEAM_3"],
            callback={
                "callbackUrl": "https://hooks.example.com/v2",
                "type": "REGISTRATION_STATUS_CHANGE",
                "attributes": ["userId", "activationStatus"],
            },
            apns={"environment": "PRODUCTION"},
        ),
    )
    preview = project.preview()
    assert "+-" in preview.stdout or "replace" in preview.stdout, preview.stdout
    project.up()
    [cb3] = _callbacks(project)
    assert cb3["callbackId"] != cb["callbackId"] and cb3["type"] == "REGISTRATION_STATUS_CHANGE"

    # -- refresh after a change and after a deletion made behind Pulumi's back -------------
    body = {"name": "status-hook", "callbackUrl": "https://elsewhere.example.com/x", "attributes": ["userId"]}
    emu.powerauth(
        "PUT", f"/v2/admin/applications/E2E_PA_APP/callbacks/{cb3['callbackId']}", json=body
    ).raise_for_status()
    emu.powerauth("DELETE", "/admin/applications/E2E_PA_APP/push/hms").raise_for_status()
    emu.zero()
    project.refresh()
    routes = emu.requests()["byRoute"]
    # One GET of the push configuration serves APNs, FCM and HMS; at most one call per resource.
    assert routes.get("GET /powerauth/admin/applications/{id}/push") == 1, routes
    assert emu.requests()["total"] <= len(project.resources()), routes
    by_type = {r["type"].split(":")[-1]: r for r in project.resources()}
    assert by_type["Callback"]["outputs"]["callback_url"] == "https://elsewhere.example.com/x"
    assert "HmsConfig" not in by_type
    drift = project.preview()
    assert "callback_url" in drift.stdout or "~ " in drift.stdout, drift.stdout
    project.up()
    assert _callbacks(project)[0]["callbackUrl"] == "https://hooks.example.com/v2"
    assert emu.powerauth("GET", "/admin/applications/E2E_PA_APP/push").json()["hms"]["projectId"] == "hms-project"

    # -- secrets never in plain text -------------------------------------------------
    state = json.dumps(project.export())
    text = state + "".join(project.outputs_seen)
    for secret in (CB_PASSWORD, HMS_SECRET, "rotated-Hms-Secret-77", pem, sa, json.loads(sa)["private_key"]):
        for form in forms(secret):
            where = text.find(form)
            assert where < 0, f"a secret leaked: ...{text[max(0, where - 300) : where]}"

    # -- destroy ----------------------------------------------------------------------
    out = project.destroy()
    assert "still exists at PowerAuth Cloud" in out.stdout + out.stderr
    assert _callbacks(project) == []
    push = emu.powerauth("GET", "/admin/applications/E2E_PA_APP/push").json()
    assert not push.get("apns") and not push.get("fcm") and not push.get("hms")
    assert emu.powerauth("GET", "/admin/applications/E2E_PA_SHARED").json()["roles"] == []
    assert project.resources() == []


@pytest.mark.parametrize(
    ("kind", "item", "prop", "words"),
    [
        ("powerauthApplications", {"applicationId": ""}, "application_id", "at least 1 character"),
        ("powerauthApplications", {"applicationId": "X" * 300}, "application_id", "at most 255"),
        ("powerauthCallbacks", {"callbackUrl": "not a url"}, "callback_url", "absolute http(s) URL"),
        ("powerauthCallbacks", {"type": "SOMETHING"}, "type", "REGISTRATION_STATUS_CHANGE"),
        ("powerauthCallbacks", {"attributes": ["nope"]}, "attributes", "not valid for OPERATION_STATUS_CHANGE"),
        ("powerauthApns", {"keyId": "SHORT"}, "key_id", "10-character"),
        (
            "powerauthApns",
            {"privateKey": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"},
            "private_key",
            "PKCS#8",
        ),
        ("powerauthApns", {"environment": "staging"}, "environment", "DEVELOPMENT or PRODUCTION"),
        ("powerauthFcm", {"serviceAccountJson": '{"type": "service_account"}'}, "service_account_json", "lacks"),
    ],
)
def test_bad_input_fails_check_at_preview(
    project: Project, kind: str, item: dict[str, Any], prop: str, words: str
) -> None:
    emu = project.emulator
    pem, sa = apns_p8(), service_account()
    objects = _objects(pem, sa)
    base = objects[kind][0]
    base.update(item)
    objects = {k: v for k, v in objects.items() if k in ("powerauthApplications", kind)}
    project.init(objects=objects)
    emu.zero()
    out = project.preview(check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert f"property {prop}" in text or f"`{prop}`" in text, text
    assert words in text, text
    assert "Traceback" not in text
    assert emu.requests()["total"] == 0
    if "privateKey" in item:
        assert "AAAA" not in text
