"""PingOne push credentials and PingID SDK applications through the real CLI."""

from __future__ import annotations

import json
from typing import Any

from _harness import Project
from _material import apns_p8, forms, service_account

ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
IOS = "11111111-2222-4333-8444-555555555555"
ANDROID = "66666666-7777-4888-8999-aaaaaaaaaaaa"
HMS_SECRET = "hms-Client-Secret-0042"
FCM_KEY = "legacy-fcm-server-key-ABCDEF"
PINGID_APP = "CB869BC1-B136-4698-AFCE-5E6775333BBC"


def _creds(project: Project, app: str) -> list[dict[str, Any]]:
    body = project.emulator.pingone("GET", f"/environments/{ENV}/applications/{app}/pushCredentials").json()
    return body["_embedded"]["pushCredentials"]  # type: ignore[no-any-return]


def _pingid_apps(project: Project) -> list[dict[str, Any]]:
    """Read through the real provider client (signed requests, verified answers)."""
    from pulumi_mfa_push.pingid import _client as pid
    from pulumi_mfa_push.pingid.application import list_applications

    return list_applications(pid.api())


def test_pingone_credentials_lifecycle(project: Project) -> None:
    emu = project.emulator
    p8, sa = apns_p8(), service_account("ping-proj")
    apns = {
        "name": "ios-apns",
        "environmentId": ENV,
        "applicationId": IOS,
        "type": "APNS",
        "key": "ABCDE12345",
        "teamId": "TEAM123456",
        "token": p8,
    }
    fcm = {
        "name": "android-fcm",
        "environmentId": ENV,
        "applicationId": ANDROID,
        "type": "FCM_HTTP_V1",
        "googleServiceAccountCredentials": sa,
    }
    hms = {
        "name": "android-hms",
        "environmentId": ENV,
        "applicationId": ANDROID,
        "type": "HMS",
        "clientId": "hms-client",
        "clientSecret": HMS_SECRET,
    }
    project.init(objects={"pingonePushCredentials": [apns, fcm, hms]})
    project.up()
    assert [c["type"] for c in _creds(project, IOS)] == ["APNS"]
    assert sorted(c["type"] for c in _creds(project, ANDROID)) == ["FCM_HTTP_V1", "HMS"]
    ids = {r["outputs"]["type"]: r["id"] for r in project.resources(type_suffix=":PushCredential")}
    for r in project.resources(type_suffix=":PushCredential"):
        assert r["outputs"]["credential_id"] == r["id"] and r["outputs"]["created_at"]

    emu.zero()
    out = project.preview()
    assert "+ " not in out.stdout and "~ " not in out.stdout, out.stdout
    assert emu.requests()["total"] == 0

    # Same type, new team id: delete first (one credential per type), then create.
    project.configure("test", {"pingonePushCredentials": [dict(apns, teamId="TEAM999999"), fcm, hms]})
    out = project.up()
    assert out.stdout.index("deleting original") < out.stdout.index("creating replacement"), out.stdout
    [new_apns] = _creds(project, IOS)
    assert new_apns["id"] != ids["APNS"]

    # The type changes: the new credential is created before the old one is deleted, so the
    # application is never without one.
    ios_hms = {
        "name": "ios-apns",
        "environmentId": ENV,
        "applicationId": IOS,
        "type": "HMS",
        "clientId": "hms-ios",
        "clientSecret": HMS_SECRET,
    }
    project.configure("test", {"pingonePushCredentials": [ios_hms, fcm, hms]})
    out = project.up()
    text = out.stdout
    assert text.index("creating replacement") < text.index("deleting original"), text
    assert [c["type"] for c in _creds(project, IOS)] == ["HMS"]
    project.configure("test", {"pingonePushCredentials": [dict(apns, teamId="TEAM999999"), fcm, hms]})
    project.up()
    assert [c["type"] for c in _creds(project, IOS)] == ["APNS"]

    # Deleted behind Pulumi's back: refresh drops it, up recreates it.
    [cred] = _creds(project, IOS)
    emu.pingone("DELETE", f"/environments/{ENV}/applications/{IOS}/pushCredentials/{cred['id']}").raise_for_status()
    project.refresh()
    assert all(r["outputs"]["application_id"] != IOS for r in project.resources(type_suffix=":PushCredential"))
    project.up()
    assert [c["type"] for c in _creds(project, IOS)] == ["APNS"]

    text = json.dumps(project.export()) + "".join(project.outputs_seen)
    for secret in (p8, sa, HMS_SECRET, json.loads(sa)["private_key"]):
        for form in forms(secret):
            assert form not in text, "secret leaked"

    project.destroy()
    assert _creds(project, IOS) == [] and _creds(project, ANDROID) == []


def test_token_expiry_in_the_middle_of_a_deployment(project: Project) -> None:
    emu = project.emulator
    emu.settings(tokenTtlSeconds=2)
    try:
        # Each create is one call: the provider runs 4 at once, so the last 2 start when the first
        # answers, 1.7 s after the token was fetched, past its renewal at 1.5 s (a quarter of its
        # 2 s life early). A first call that arrives late is refused, renewed and sent again.
        emu.faults(probability=0, latencyMs=1700, pathPattern="/pingone/v1/")
        per_type: dict[str, dict[str, Any]] = {
            "HMS": {"clientId": "c", "clientSecret": HMS_SECRET},
            "FCM_HTTP_V1": {"googleServiceAccountCredentials": service_account()},
            "APNS": {"key": "ABCDE12345", "teamId": "TEAM123456", "token": apns_p8()},
        }
        creds = [
            {"name": f"c-{app[:4]}-{t}", "environmentId": ENV, "applicationId": app, "type": t, **fields}
            for app in (IOS, ANDROID)
            for t, fields in per_type.items()
        ]
        project.init(objects={"pingonePushCredentials": creds})
        emu.zero()
        project.up()
        tokens = sum(v for k, v in emu.requests()["byRoute"].items() if "as/token" in k)
        assert tokens >= 2, emu.requests()  # the token expired and was renewed mid-run
        emu.no_faults()
        project.destroy()
    finally:
        emu.settings(tokenTtlSeconds=3600)
        emu.no_faults()


def test_bad_pingone_credentials_are_one_clear_line(project: Project) -> None:
    project.init(
        objects={
            "pingonePushCredentials": [
                {
                    "name": "x",
                    "environmentId": ENV,
                    "applicationId": IOS,
                    "type": "HMS",
                    "clientId": "c",
                    "clientSecret": HMS_SECRET,
                }
            ]
        }
    )
    project.run("config", "set", "--secret", "pingone:clientSecret", "wrong-secret-value")
    out = project.up(check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert "pingone:clientSecret" in text and "Traceback" not in text
    assert "wrong-secret-value" not in text and HMS_SECRET not in text


def test_pingid_application_lifecycle(project: Project) -> None:
    emu = project.emulator
    app = {"name": "sdk-app", "applicationId": PINGID_APP, "appName": "E2E SDK App", "appEnabled": True}
    project.init(objects={"pingidApplications": [app]})
    project.up()
    [res] = project.resources(type_suffix="pingid:Application")
    assert res["id"] == PINGID_APP.lower()
    assert res["outputs"]["shared_between_accounts"] is False

    emu.zero()
    out = project.preview()
    assert "~ " not in out.stdout and "+ " not in out.stdout, out.stdout
    assert emu.requests()["total"] == 0

    project.configure("test", {"pingidApplications": [dict(app, appName="E2E SDK App v2", appEnabled=False)]})
    out = project.up()
    assert "updated" in out.stdout

    # A new id replaces: the old app is retired first (disabled, renamed), freeing the name.
    new_id = "0f0e0d0c-0b0a-4909-8807-060504030201"
    project.configure("test", {"pingidApplications": [dict(app, appName="E2E SDK App v2", applicationId=new_id)]})
    out = project.up()
    text = out.stdout + out.stderr
    assert "retired" in text
    project.destroy()
    assert "retired" in "".join(project.outputs_seen[-1:])


def test_pingid_bad_signature_key(project: Project) -> None:
    project.init(
        objects={
            "pingidApplications": [
                {"name": "a", "applicationId": "1a2b3c4d-0000-4000-8000-000000000001", "appName": "Sig test"}
            ]
        }
    )
    import base64

    project.run("config", "set", "--secret", "pingid:apiKey", base64.b64encode(b"x" * 32).decode())
    out = project.up(check=False)
    text = out.stdout + out.stderr
    assert out.returncode != 0 and "UNAUTHORIZED_REQ" in text and "pingid:apiKey" in text
    assert "Traceback" not in text
