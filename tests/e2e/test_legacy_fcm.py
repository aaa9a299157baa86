"""Retiring a legacy FCM credential through the real CLI, with the policy pack: the preview shows
what will be deleted, `no-deprecated-fcm` names it without blocking, the replacement is created
before the legacy credential is deleted, and a delete that fails loses neither."""

from __future__ import annotations

from typing import Any

from _harness import ROOT, Project
from _material import service_account

PACK = str(ROOT / "policies")
ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
ANDROID = "66666666-7777-4888-8999-aaaaaaaaaaaa"
SERVER_KEY = "AAAA-legacy-fcm-server-key-e2e"


def _creds(project: Project) -> list[dict[str, Any]]:
    body = project.emulator.pingone("GET", f"/environments/{ENV}/applications/{ANDROID}/pushCredentials").json()
    return body["_embedded"]["pushCredentials"]  # type: ignore[no-any-return]


def _writes(project: Project) -> int:
    routes = project.emulator.requests()["byRoute"]
    return sum(n for route, n in routes.items() if not route.startswith("GET") and "as/token" not in route)


def test_legacy_fcm_is_replaced_and_retired_through_the_cli(project: Project) -> None:
    emu = project.emulator
    seeded = emu.call(
        "POST", "/_emulator/pingone/legacyFcmCredentials", json={"applicationId": ANDROID, "key": SERVER_KEY}
    )
    seeded.raise_for_status()
    legacy = seeded.json()["id"]
    objects = {
        "pingonePushCredentials": [
            {
                "name": "android-fcm",
                "environmentId": ENV,
                "applicationId": ANDROID,
                "type": "FCM_HTTP_V1",
                "googleServiceAccountCredentials": service_account("android-proj"),
            }
        ],
        # credentialIds left out: the program looks the legacy credentials up.
        "pingoneLegacyFcmRetirements": [
            {"name": "android-legacy-fcm", "environmentId": ENV, "applicationId": ANDROID, "replacement": "android-fcm"}
        ],
    }
    project.init(objects=objects)

    # The preview shows what will be deleted, and the mandatory policy names it without blocking.
    emu.zero()
    preview = project.preview("test", "--policy-pack", PACK)
    text = preview.stdout + preview.stderr
    assert "pingone:LegacyFcmRetirement" in text and legacy in text, text
    assert "no-deprecated-fcm" in text and "advisory" in text.lower(), text
    assert "deletes them once" in text and "mandatory" not in text.lower(), text
    assert _writes(project) == 0 and emu.requests()["byRoute"].get(
        "GET /pingone/v1/environments/{envId}/applications/{appId}/pushCredentials"
    ), emu.requests()
    assert [c["type"] for c in _creds(project)] == ["FCM"]

    # A fault between the create and the delete: the legacy credential's DELETE is refused.
    emu.faults(probability=1.0, statuses=[403], pathPattern=f"/pushCredentials/{legacy}$")
    try:
        failed = project.up("test", "--policy-pack", PACK, check=False)
    finally:
        emu.no_faults()
    text = failed.stdout + failed.stderr
    assert failed.returncode != 0, text
    assert f"legacy FCM credential {legacy} was not deleted" in text and "Traceback" not in text, text
    # Neither is lost: the replacement exists and is in the stack, the legacy credential is still there.
    assert sorted(c["type"] for c in _creds(project)) == ["FCM", "FCM_HTTP_V1"]
    [new] = project.resources(type_suffix=":PushCredential")
    assert project.resources(type_suffix=":LegacyFcmRetirement") == []

    # The next `up` converges: exactly one FCM_HTTP_V1 credential, no legacy one.
    project.up("test", "--policy-pack", PACK)
    assert [(c["id"], c["type"]) for c in _creds(project)] == [(new["id"], "FCM_HTTP_V1")]
    [retired] = project.resources(type_suffix=":LegacyFcmRetirement")
    assert retired["outputs"]["retired_credential_ids"] == [legacy]
    assert retired["outputs"]["replacement_credential_id"] == new["id"]

    # Nothing left to retire: no change, nothing named, nothing written.
    emu.zero()
    again = project.preview("test", "--policy-pack", PACK)
    assert "+ " not in again.stdout and "~ " not in again.stdout, again.stdout
    assert legacy not in again.stdout and "advisory" not in again.stdout.lower(), again.stdout
    assert _writes(project) == 0

    text = "".join(project.outputs_seen) + str(project.export())
    assert SERVER_KEY not in text

    project.destroy()
    assert _creds(project) == []
