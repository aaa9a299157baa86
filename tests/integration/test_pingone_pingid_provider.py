"""PingOne push credentials and PingID SDK applications against the real emulator: the
provider's methods are called directly, the emulator runs as a subprocess for this module."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pulumi
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pulumi.dynamic import Config
from pulumi_mfa_push import _settings
from pulumi_mfa_push._errors import ApiError, ProviderError
from pulumi_mfa_push._schema import digest
from pulumi_mfa_push.pingid import _client as pid_client
from pulumi_mfa_push.pingid.application import ApplicationProvider, get_application, list_applications
from pulumi_mfa_push.pingone import _client as p1_client
from pulumi_mfa_push.pingone import legacy_fcm_credentials
from pulumi_mfa_push.pingone.legacy_fcm import LegacyFcmRetirementProvider
from pulumi_mfa_push.pingone.push_credential import PushCredentialProvider

CONSOLE_APP = "0c1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8"  # seeded by the emulator, named in the console
CRED_ROUTE = "POST /pingone/v1/environments/{envId}/applications/{appId}/pushCredentials"
LIST_ROUTE = "GET /pingone/v1/environments/{envId}/applications/{appId}/pushCredentials"
TOKEN_ROUTE = "POST /pingone-auth/{envId}/as/token"
PID_CREATE_ROUTE = "POST /pingid/v1/accounts/{accountId}/applications"


# -- the emulator ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Emu:
    url: str
    info: dict[str, Any]

    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = httpx.request(method, f"{self.url}/_emulator{path}", json=body, timeout=10)
        response.raise_for_status()
        return response.json()

    def hits(self, route: str) -> int:
        return int(self.control("GET", "/requests")["byRoute"].get(route, 0))

    def pingone(self, method: str, path: str) -> httpx.Response:
        """A direct PingOne call, as someone working outside Pulumi would make it."""
        p1 = self.info["pingone"]
        token = httpx.post(
            f"{p1['authUrl']}/{p1['environmentId']}/as/token",
            data={"grant_type": "client_credentials"},
            auth=(p1["clientId"], p1["clientSecret"]),
        ).json()["access_token"]
        return httpx.request(method, p1["apiUrl"] + path, headers={"Authorization": f"Bearer {token}"})

    def config(self) -> dict[str, str]:
        p1, pid = self.info["pingone"], self.info["pingid"]
        return {
            "pingone:apiUrl": p1["apiUrl"],
            "pingone:authUrl": p1["authUrl"],
            "pingone:clientId": p1["clientId"],
            "pingone:clientSecret": p1["clientSecret"],
            "pingone:environmentId": p1["environmentId"],
            "pingone:allowInsecureHttp": "true",
            "pingone:timeoutSeconds": "10",
            "pingid:url": pid["baseUrl"],
            "pingid:accountId": pid["accountId"],
            "pingid:apiKey": pid["apiKey"],
            "pingid:token": pid["token"],
            "pingid:allowInsecureHttp": "true",
            "pingid:timeoutSeconds": "10",
        }


@pytest.fixture(scope="module")
def emu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emu]:
    data = tmp_path_factory.mktemp("pingone-pingid-emulator")
    port = _free_port()
    log = Path(data) / "emulator.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mfa_push_emulator",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--data-dir",
                str(data),
                "--no-access-log",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if proc.poll() is not None:
                raise RuntimeError(f"emulator exited: {log.read_text()}")
            try:
                if httpx.get(f"{url}/_emulator/health", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            raise RuntimeError("emulator did not start")
        yield Emu(url, httpx.get(f"{url}/_emulator/info").json())
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def configure(emu: Emu, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """A fresh emulator (seed data, no faults) and provider settings pointing at it."""
    emu.control("POST", "/reset")
    for var in (
        "PINGONE_CLIENT_ID",
        "PINGONE_CLIENT_SECRET",
        "PINGONE_ENVIRONMENT_ID",
        "PINGONE_REGION_CODE",
        "PINGONE_API_URL",
        "PINGONE_AUTH_URL",
        "PINGID_URL",
        "PINGID_ACCOUNT_ID",
        "PINGID_API_KEY",
        "PINGID_TOKEN",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(p1_client, "_tokens", {})  # each test starts without a token

    def apply(**overrides: str) -> None:
        monkeypatch.setattr(_settings, "_config", {})
        monkeypatch.setattr(_settings, "_stack", None)
        _settings.remember(Config(emu.config() | {k.replace("__", ":"): v for k, v in overrides.items()}, "mfa-push"))

    apply()
    return apply


# -- inputs -----------------------------------------------------------------------------------------

P8 = (
    ec.generate_private_key(ec.SECP256R1())
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)
SA_JSON = json.dumps(
    {
        "type": "service_account",
        "project_id": "demo-project",
        "private_key": rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode(),
        "client_email": "firebase-adminsdk@demo-project.iam.gserviceaccount.com",
    }
)

P1 = PushCredentialProvider()
PID = ApplicationProvider()


def credential(emu: Emu, kind: str, app_index: int = 0) -> dict[str, Any]:
    base = {
        "environment_id": emu.info["pingone"]["environmentId"],
        "application_id": emu.info["pingone"]["applicationIds"][app_index],
        "type": kind,
    }
    extra = {
        "APNS": {"key": "ABCDE12345", "team_id": "TEAM123456", "token": P8},
        "FCM_HTTP_V1": {"google_service_account_credentials": SA_JSON},
        "HMS": {"client_id": "104567893", "client_secret": "hms-secret-value"},
    }[kind]
    result = P1.check({}, base | extra)
    assert not result.failures, result.failures
    return dict(result.inputs)


def application(app_id: str, name: str, **extra: Any) -> dict[str, Any]:
    result = PID.check({}, {"application_id": app_id, "app_name": name, **extra})
    assert not result.failures, result.failures
    return dict(result.inputs)


def listed(emu: Emu, app_index: int = 0) -> list[dict[str, Any]]:
    p1 = emu.info["pingone"]
    path = f"/environments/{p1['environmentId']}/applications/{p1['applicationIds'][app_index]}/pushCredentials"
    items: list[dict[str, Any]] = emu.pingone("GET", path).json()["_embedded"]["pushCredentials"]
    return items


# -- PingOne ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["APNS", "FCM_HTTP_V1", "HMS"])
def test_create_and_read_each_type(emu: Emu, configure: Callable[..., None], kind: str) -> None:
    inputs = credential(emu, kind)
    created = P1.create(inputs)
    assert created.outs["credential_id"] == created.id
    assert created.outs["created_at"] and created.outs["updated_at"]
    # Write-only secrets are kept as their digest; everything else as given.
    secret = set(P1.schema.write_only_fields())
    assert {k: created.outs[k] for k in inputs if k not in secret} == {
        k: v for k, v in inputs.items() if k not in secret
    }
    assert all(created.outs[f"{k}_sha256"] == digest(inputs[k]) for k in secret & set(inputs))
    assert [(c["id"], c["type"]) for c in listed(emu)] == [(created.id, kind)]

    read = P1.read(created.id, created.outs)
    assert read.id == created.id and read.outs == created.outs

    P1.delete(created.id, created.outs)
    assert listed(emu) == []


def test_a_create_is_one_post(emu: Emu, configure: Callable[..., None]) -> None:
    """No list before the POST: the only other call is the process's token."""
    emu.control("DELETE", "/requests")
    P1.create(credential(emu, "APNS"))
    assert emu.hits(CRED_ROUTE) == 1 and emu.hits(LIST_ROUTE) == 0
    assert emu.hits(TOKEN_ROUTE) == 1 and emu.control("GET", "/requests")["total"] == 2


def test_three_types_side_by_side(emu: Emu, configure: Callable[..., None]) -> None:
    ids = {kind: P1.create(credential(emu, kind)).id for kind in ("APNS", "FCM_HTTP_V1", "HMS")}
    assert {c["type"]: c["id"] for c in listed(emu)} == ids


def test_deleted_behind_our_back_is_gone(
    emu: Emu, configure: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    created = P1.create(credential(emu, "HMS"))
    p1 = emu.info["pingone"]
    path = f"/environments/{p1['environmentId']}/applications/{p1['applicationIds'][0]}/pushCredentials/{created.id}"
    assert emu.pingone("DELETE", path).status_code == 204
    read = P1.read(created.id, created.outs)
    assert read.id is None and not read.outs
    assert "deleted outside Pulumi" in capsys.readouterr().err
    P1.delete(created.id, created.outs)  # already gone is fine


def test_second_credential_of_a_type_names_the_first(emu: Emu, configure: Callable[..., None]) -> None:
    first = P1.create(credential(emu, "APNS"))
    with pytest.raises(ProviderError) as err:
        P1.create(credential(emu, "APNS"))
    text = str(err.value)
    assert first.id in text and "one credential per type" in text and "Delete it" in text and "\n" not in text
    assert "BEGIN PRIVATE KEY" not in text
    assert len(listed(emu)) == 1


def test_unknown_application_is_a_clear_error(emu: Emu, configure: Callable[..., None]) -> None:
    inputs = credential(emu, "HMS") | {"application_id": "99999999-2222-4333-8444-555555555555"}
    with pytest.raises(ApiError) as err:
        P1.create(inputs)
    assert err.value.status == 404 and "NOT_FOUND" in str(err.value) and "hms-secret-value" not in str(err.value)


def fault_next_post(emu: Emu, monkeypatch: pytest.MonkeyPatch, faults: dict[str, Any]) -> None:
    """Apply `faults` to the next push-credential POST only (the lists after it are spared)."""
    fault_next_call(emu, monkeypatch, "POST", {"pathPattern": "/pushCredentials$"} | faults)


def fault_next_call(emu: Emu, monkeypatch: pytest.MonkeyPatch, method: str, faults: dict[str, Any]) -> None:
    """Apply `faults` to the next PingOne call of `method` only."""
    api = p1_client.api()
    send: Callable[[httpx.Request], httpx.Response] = api.send
    armed = [True]

    def send_with_fault(request: httpx.Request) -> httpx.Response:
        if request.method != method or not armed[0]:
            return send(request)
        armed[0] = False
        emu.control("PUT", "/faults", {"probability": 1.0} | faults)
        try:
            return send(request)
        finally:
            emu.control("DELETE", "/faults")

    monkeypatch.setattr(api, "send", send_with_fault)
    monkeypatch.setattr("pulumi_mfa_push._transport.sleep", lambda s: None)


def test_lost_create_answer_adopts_what_was_created(
    emu: Emu, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    fault_next_post(emu, monkeypatch, {"statuses": [500], "afterCommit": True})
    emu.control("DELETE", "/requests")
    created = P1.create(credential(emu, "FCM_HTTP_V1"))
    assert emu.hits(CRED_ROUTE) == 1  # reconciled, not posted again
    assert emu.hits(LIST_ROUTE) == 1  # one list, only because the answer was lost
    assert [c["id"] for c in listed(emu)] == [created.id]
    assert created.outs["credential_id"] == created.id and created.outs["type"] == "FCM_HTTP_V1"


def test_lost_answer_never_adopts_a_credential_that_was_there_before(
    emu: Emu, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = P1.create(credential(emu, "APNS"))
    # Ownership is told by the server's clock: a credential made within about 2 s before our POST
    # (the Date header's whole seconds plus the tolerance) would be taken for ours. The emulator's
    # Date (uvicorn's, renewed once a second) can lag up to a second more, so wait past all that;
    # its control plane cannot back-date a credential.
    time.sleep(4)
    # The server refuses the duplicate, but the client only hears a 500.
    fault_next_post(emu, monkeypatch, {"statuses": [500], "afterCommit": True})
    emu.control("DELETE", "/requests")
    with pytest.raises(ProviderError) as err:
        P1.create(credential(emu, "APNS"))
    assert existing.id in str(err.value) and "one credential per type" in str(err.value)
    assert emu.hits(CRED_ROUTE) == 2  # not ours, so posted again: refused, and the refusal is said
    assert [c["id"] for c in listed(emu)] == [existing.id]


@pytest.mark.parametrize("date", [None, "", "yesterday", "Thu, 26 Nov 2026 13:44:38"])
def test_lost_answer_without_the_server_clock_adopts_nothing(
    emu: Emu, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch, date: str | None
) -> None:
    """A list answer whose Date is missing, blank, unreadable or without its zone cannot tell
    ours from a credential that was there before: nothing is adopted, nothing posted again, and
    the error names the credential to check."""
    fault_next_post(emu, monkeypatch, {"statuses": [500], "afterCommit": True})
    api = p1_client.api()
    send: Callable[[httpx.Request], httpx.Response] = api.send

    def send_without_date(request: httpx.Request) -> httpx.Response:
        response = send(request)
        if request.method == "GET":
            del response.headers["date"]
            if date is not None:
                response.headers["Date"] = date
        return response

    monkeypatch.setattr(api, "send", send_without_date)
    emu.control("DELETE", "/requests")
    with pytest.raises(ProviderError) as err:
        P1.create(credential(emu, "HMS"))
    assert emu.hits(CRED_ROUTE) == 1 and emu.hits(LIST_ROUTE) == 1
    [made] = listed(emu)  # our POST did make it: the error points at it
    text = str(err.value)
    assert made["id"] in text and "Date header" in text and "not adopted" in text and "\n" not in text
    assert "hms-secret-value" not in text


def test_create_refused_before_commit_is_tried_again(
    emu: Emu, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    fault_next_post(emu, monkeypatch, {"statuses": [503]})
    emu.control("DELETE", "/requests")
    created = P1.create(credential(emu, "HMS"))
    assert emu.hits(CRED_ROUTE) == 2 and emu.hits(LIST_ROUTE) == 1  # nothing found, so posted again
    assert [c["id"] for c in listed(emu)] == [created.id]


def test_lost_answer_of_a_rate_limited_create(
    emu: Emu, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    fault_next_post(emu, monkeypatch, {"statuses": [429], "afterCommit": True})
    emu.control("DELETE", "/requests")
    created = P1.create(credential(emu, "APNS"))
    assert emu.hits(CRED_ROUTE) == 1 and emu.hits(LIST_ROUTE) == 1
    assert [c["id"] for c in listed(emu)] == [created.id]


def test_token_expiry_mid_run(emu: Emu, configure: Callable[..., None]) -> None:
    emu.control("PUT", "/settings", {"tokenTtlSeconds": 1})
    tokens = p1_client.tokens()
    created = P1.create(credential(emu, "HMS"))
    assert tokens.fetches == 1
    time.sleep(1.5)
    assert P1.read(created.id, created.outs).id == created.id  # renewed before use
    assert tokens.fetches == 2

    # A token the server already dropped while we still think it fresh: refused, renewed, retried.
    tokens._refresh_at = time.monotonic() + 3600
    time.sleep(1.5)
    emu.control("DELETE", "/requests")
    p1_client.reads.forget(f"{created.outs['environment_id']}/{created.outs['application_id']}")  # a new refresh
    assert P1.read(created.id, created.outs).id == created.id
    assert tokens.fetches == 3 and emu.hits(TOKEN_ROUTE) == 1


def test_token_is_shared_by_every_call(emu: Emu, configure: Callable[..., None]) -> None:
    emu.control("DELETE", "/requests")
    created = [P1.create(credential(emu, kind)) for kind in ("APNS", "HMS")]
    for c in created:
        P1.read(c.id, c.outs)
        P1.delete(c.id, c.outs)
    assert emu.hits(TOKEN_ROUTE) == 1


def test_bad_client_secret_is_one_clear_line(emu: Emu, configure: Callable[..., None]) -> None:
    configure(pingone__clientSecret="wrong-secret-value")
    inputs = credential(emu, "HMS")
    with pytest.raises(ProviderError) as err:
        P1.create(inputs)
    text = str(err.value)
    assert text.startswith("PingOne refused the worker app's client credentials (HTTP 401 invalid_client")
    assert "pingone:clientSecret" in text and "\n" not in text
    assert "wrong-secret-value" not in text and "hms-secret-value" not in text
    assert listed(emu) == []


def test_wrong_environment_for_the_worker(emu: Emu, configure: Callable[..., None]) -> None:
    configure(pingone__environmentId="00000000-0000-4000-8000-000000000000")
    with pytest.raises(ProviderError, match="pingone:environmentId"):
        P1.create(credential(emu, "HMS"))


# -- PingOne: retiring legacy FCM -----------------------------------------------------------------

DELETE_ROUTE = "DELETE /pingone/v1/environments/{envId}/applications/{appId}/pushCredentials/{credentialId}"
RETIRE = LegacyFcmRetirementProvider()


def seed_legacy_fcm(emu: Emu, app_index: int = 1) -> str:
    """A legacy FCM credential, as a tenant made before PingOne refused them holds (control plane)."""
    body = {"applicationId": emu.info["pingone"]["applicationIds"][app_index], "key": "AAAA-legacy-server-key"}
    return str(emu.control("POST", "/pingone/legacyFcmCredentials", body)["id"])


def retirement(emu: Emu, ids: list[str], replacement: str, app_index: int = 1) -> dict[str, Any]:
    props = {
        "environment_id": emu.info["pingone"]["environmentId"],
        "application_id": emu.info["pingone"]["applicationIds"][app_index],
        "credential_ids": ids,
        "replacement_credential_id": replacement,
    }
    result = RETIRE.check({}, props)
    assert not result.failures, result.failures
    return dict(result.inputs)


def test_the_lookup_finds_legacy_fcm_only_with_one_list(emu: Emu, configure: Callable[..., None]) -> None:
    p1 = emu.info["pingone"]
    env, android = p1["environmentId"], p1["applicationIds"][1]
    assert legacy_fcm_credentials(env, android) == []
    legacy = seed_legacy_fcm(emu)
    P1.create(credential(emu, "FCM_HTTP_V1", app_index=1))
    emu.control("DELETE", "/requests")
    assert legacy_fcm_credentials(env.upper(), android) == [legacy]
    assert emu.hits(LIST_ROUTE) == 1 and emu.control("GET", "/requests")["total"] == 1
    assert legacy_fcm_credentials(env, p1["applicationIds"][0]) == []


def test_the_lookup_names_what_does_not_exist(emu: Emu, configure: Callable[..., None]) -> None:
    p1 = emu.info["pingone"]
    missing = "99999999-2222-4333-8444-555555555555"
    with pytest.raises(pulumi.RunError, match=f"application {missing} does not exist in environment"):
        legacy_fcm_credentials(p1["environmentId"], missing)
    # PingOne answers 403 under an environment the worker cannot see; like PingOne's own clients,
    # the lookup then asks for the environment to tell a missing one from a missing permission.
    with pytest.raises(pulumi.RunError, match=f"environment {missing} does not exist") as err:
        legacy_fcm_credentials(missing, p1["applicationIds"][1])
    assert "\n" not in str(err.value)


def test_retirement_deletes_legacy_fcm_once_the_replacement_exists(emu: Emu, configure: Callable[..., None]) -> None:
    legacy = seed_legacy_fcm(emu)
    apns = P1.create(credential(emu, "APNS", app_index=1))
    missing = "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a"
    # No replacement, or one of another type: nothing is deleted.
    for replacement, says in ((missing, "does not exist"), (apns.id, "is of type APNS")):
        with pytest.raises(ProviderError, match=says) as err:
            RETIRE.create(retirement(emu, [legacy], replacement))
        assert "no legacy FCM credential was deleted" in str(err.value)
    new = P1.create(credential(emu, "FCM_HTTP_V1", app_index=1))
    # Only legacy FCM credentials are deleted, and every check comes before the first delete.
    with pytest.raises(ProviderError, match=f"{apns.id} \\(APNS\\) is not of type FCM"):
        RETIRE.create(retirement(emu, [legacy, apns.id], new.id))
    assert {c["type"] for c in listed(emu, 1)} == {"FCM", "APNS", "FCM_HTTP_V1"}

    created = RETIRE.create(retirement(emu, [legacy], new.id))
    assert created.outs["retired_credential_ids"] == [legacy] and created.outs["credential_ids"] == [legacy]
    assert {c["type"] for c in listed(emu, 1)} == {"APNS", "FCM_HTTP_V1"}
    # Already gone is what we wanted: a second run (after a lost answer, say) succeeds.
    again = RETIRE.update(created.id, created.outs, retirement(emu, [legacy], new.id))
    assert again.outs["retired_credential_ids"] == [legacy]
    RETIRE.delete(created.id, created.outs)
    assert {c["type"] for c in listed(emu, 1)} == {"APNS", "FCM_HTTP_V1"}


def test_a_failed_delete_loses_neither_credential(emu: Emu, configure: Callable[..., None]) -> None:
    legacy = seed_legacy_fcm(emu)
    new = P1.create(credential(emu, "FCM_HTTP_V1", app_index=1))
    emu.control("PUT", "/faults", {"probability": 1.0, "statuses": [403], "pathPattern": f"/pushCredentials/{legacy}$"})
    try:
        with pytest.raises(ProviderError) as err:
            RETIRE.create(retirement(emu, [legacy], new.id))
    finally:
        emu.control("DELETE", "/faults")
    text = str(err.value)
    assert f"legacy FCM credential {legacy} was not deleted" in text and "ACCESS_FAILED" in text
    assert f"{new.id} exists" in text and "pulumi up" in text
    assert sorted(c["type"] for c in listed(emu, 1)) == ["FCM", "FCM_HTTP_V1"]
    created = RETIRE.create(retirement(emu, [legacy], new.id))
    assert created.outs["retired_credential_ids"] == [legacy]
    assert [c["id"] for c in listed(emu, 1)] == [new.id]


def test_a_lost_delete_answer_is_retried_and_found_gone(
    emu: Emu, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy = seed_legacy_fcm(emu)
    new = P1.create(credential(emu, "FCM_HTTP_V1", app_index=1))
    fault_next_call(emu, monkeypatch, "DELETE", {"statuses": [500], "afterCommit": True})
    emu.control("DELETE", "/requests")
    created = RETIRE.create(retirement(emu, [legacy], new.id))
    assert created.outs["retired_credential_ids"] == [legacy] and emu.hits(DELETE_ROUTE) == 2
    assert [c["id"] for c in listed(emu, 1)] == [new.id]


# -- PingID -----------------------------------------------------------------------------------------

APP_ID = "cb869bc1-b136-4698-afce-5e6775333bbc"
OTHER_ID = "1d2e3f40-5162-4738-8495-a6b7c8d9e0f1"


def test_create_read_update(emu: Emu, configure: Callable[..., None]) -> None:
    inputs = application(
        APP_ID.upper(),
        "Moderno Application",
        app_enabled=True,
        fcm_sender_id="123456789012",
        fcm_server_key="AAAA:server-key",
    )
    created = PID.create(inputs)
    assert created.id == APP_ID
    assert created.outs["shared_between_accounts"] is False
    assert created.outs["fcm_server_key_sha256"] == digest("AAAA:server-key")

    read = PID.read(created.id, created.outs)
    assert read.outs == created.outs

    news = application(
        APP_ID,
        "Moderno Application - changed",
        app_enabled=False,
        fcm_sender_id="123456789012",
        fcm_server_key="AAAA:server-key",
    )
    diff = PID.diff(APP_ID, created.outs, news)
    assert diff.changes and not diff.replaces
    updated = PID.update(APP_ID, created.outs, news)
    body = get_application(pid_client.api(), APP_ID)
    assert body is not None and body["name"] == "Moderno Application - changed" and body["appEnabled"] is False
    assert PID.read(APP_ID, updated.outs).outs == updated.outs


def test_console_names_are_decoded(emu: Emu, configure: Callable[..., None]) -> None:
    raw = get_application(pid_client.api(), CONSOLE_APP)
    assert raw is not None and raw["name"].startswith("_base64Format_")
    assert PID.read(CONSOLE_APP, {}).outs["app_name"] == "Console App"


def test_delete_retires_and_frees_the_name(
    emu: Emu, configure: Callable[..., None], capsys: pytest.CaptureFixture[str]
) -> None:
    created = PID.create(application(APP_ID, "Shared Name", app_enabled=True))
    PID.delete(created.id, created.outs)
    warning = capsys.readouterr().err
    assert "cannot be deleted through the API" in warning and "(retired " in warning

    after = PID.read(created.id, created.outs).outs
    assert after["app_enabled"] is False and after["app_name"].startswith("Shared Name (retired ")
    # Replacement deletes first: the new application can take the old name.
    replacement = PID.create(application(OTHER_ID, "shared name", app_enabled=True))
    assert replacement.id == OTHER_ID
    # Retiring twice (or after a retire in the same second) keeps names unique.
    PID.delete(created.id, after)
    PID.delete(replacement.id, replacement.outs)
    names = [a["name"] for a in list_applications(pid_client.api())]
    assert len(names) == len({n.casefold() for n in names})


def test_existing_id_needs_adopt(emu: Emu, configure: Callable[..., None]) -> None:
    with pytest.raises(ProviderError) as err:
        PID.create(application(CONSOLE_APP, "Mine Now"))
    assert "already exists (named 'Console App')" in str(err.value) and "adopt=True" in str(err.value)

    adopted = PID.create(application(CONSOLE_APP, "Mine Now", app_enabled=True, adopt=True))
    assert adopted.id == CONSOLE_APP
    body = get_application(pid_client.api(), CONSOLE_APP)
    assert body is not None and body["name"] == "Mine Now" and body["appEnabled"] is True


def test_name_clash_names_the_other_application(emu: Emu, configure: Callable[..., None]) -> None:
    first = PID.create(application(APP_ID, "Clash Name"))
    with pytest.raises(ProviderError) as err:
        PID.create(application(OTHER_ID, "CLASH name"))
    text = str(err.value)
    assert first.id in text and "'CLASH name'" in text and "ignoring case" in text and "\n" not in text
    assert get_application(pid_client.api(), OTHER_ID) is None

    second = PID.create(application(OTHER_ID, "Another Name"))
    with pytest.raises(ProviderError, match=f"already used by application {CONSOLE_APP}"):
        PID.update(OTHER_ID, second.outs, application(OTHER_ID, "console app"))


def test_lost_create_answer_is_settled_by_a_read(emu: Emu, configure: Callable[..., None]) -> None:
    emu.control(
        "PUT", "/faults", {"probability": 1.0, "statuses": [502], "afterCommit": True, "pathPattern": "/applications$"}
    )
    emu.control("DELETE", "/requests")
    created = PID.create(application(APP_ID, "Lost Answer", app_enabled=True))
    emu.control("DELETE", "/faults")
    assert created.id == APP_ID and created.outs["app_name"] == "Lost Answer"
    assert emu.hits(PID_CREATE_ROUTE) == 1
    assert [a["id"] for a in list_applications(pid_client.api()) if a["name"] == "Lost Answer"] == [APP_ID]


def test_wrong_api_key_is_a_clear_error(emu: Emu, configure: Callable[..., None]) -> None:
    wrong = base64.b64encode(b"an-entirely-different-32-byte-k!").decode()
    configure(pingid__apiKey=wrong)
    with pytest.raises(ApiError) as err:
        PID.create(application(APP_ID, "Unsigned"))
    text = str(err.value)
    assert "HTTP 401 UNAUTHORIZED_REQ" in text and "pingid:apiKey" in text and "\n" not in text
    assert wrong not in text and emu.info["pingid"]["apiKey"] not in text


def test_tampered_answer_is_refused(emu: Emu, configure: Callable[..., None], monkeypatch: pytest.MonkeyPatch) -> None:
    client = pid_client.api()
    send: Callable[[httpx.Request], httpx.Response] = client.transport.send

    def tamper(request: httpx.Request) -> httpx.Response:
        response = send(request)
        body = response.content.replace(b'"appEnabled":true', b'"appEnabled":false')
        assert body != response.content
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(response.status_code, headers=headers, content=body, request=request)

    monkeypatch.setattr(client.transport, "send", tamper)
    with pytest.raises(ProviderError, match="response signature invalid: the PingID SDK answer could not be verified"):
        PID.read(CONSOLE_APP, {})
