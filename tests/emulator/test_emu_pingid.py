"""PingID SDK Application API over real HTTP: HMAC request auth, signed responses, uniqueness."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import jwt
from emu_helpers import ACCOUNT_ID, API_KEY, PingIdClient
from mfa_push_emulator._crypto import pingid_canonical, pingid_sign, sha256_hex

APP_ID = "cb869bc1-b136-4698-afce-5e6775333bbc"
CONSOLE_APP = "0c1a2b3c-4d5e-4f60-8172-93a4b5c6d7e8"


def _error(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message"] and uuid.UUID(body["id"])
    assert PingIdClient.response_signature_ok(r)
    return dict(body)


def _unique_target(r: httpx.Response) -> str:
    body = _error(r, 400, "INVALID_DATA")
    detail = body["details"][0]  # type: ignore[index]
    assert detail["code"] == "UNIQUE_VALUE_REQUIRED"
    return str(detail["target"])


def test_spec_examples(pid: PingIdClient) -> None:
    r = pid.request("POST", pid.url(), {"id": APP_ID, "name": "Moderno Application", "appEnabled": True})
    assert r.status_code == 201 and pid.response_signature_ok(r)
    base = pid.base
    assert r.json() == {
        "self": {"href": f"{base}/pingid/v1/accounts/{ACCOUNT_ID}/applications/{APP_ID}"},
        "account": {"href": f"{base}/pingid/v1/accounts/{ACCOUNT_ID}"},
        "id": APP_ID,
        "name": "Moderno Application",
        "appEnabled": True,
        "sharedBetweenAccounts": False,
    }

    r = pid.request(
        "PUT", pid.url(f"/{APP_ID}"), {"id": APP_ID, "name": "Moderno Application - changed", "appEnabled": True}
    )
    assert r.status_code == 200 and pid.response_signature_ok(r)
    assert list(r.json()) == ["self", "attributes", "account", "id", "name", "appEnabled", "sharedBetweenAccounts"]
    assert r.json()["name"] == "Moderno Application - changed"

    r = pid.request("GET", pid.url(f"/{APP_ID}"))
    assert r.status_code == 200 and pid.response_signature_ok(r)
    assert list(r.json())[:4] == ["certificates", "self", "attributes", "account"]
    assert r.json()["certificates"]["href"].endswith(f"/applications/{APP_ID}/certificates")

    r = pid.request("GET", pid.url())
    assert r.status_code == 200 and pid.response_signature_ok(r)
    apps = {a["id"]: a for a in r.json()["applications"]}
    assert apps[APP_ID] == {
        "id": APP_ID,
        "name": "Moderno Application - changed",
        "appEnabled": True,
        "sharedBetweenAccounts": False,
    }


def test_defaults_lowercase_id_and_secret_fields(pid: PingIdClient) -> None:
    r = pid.request(
        "POST", pid.url(), {"id": APP_ID.upper(), "name": "A", "fcmSenderId": "123", "fcmServerKey": "secret-key"}
    )
    assert r.status_code == 201
    body = r.json()
    assert body["id"] == APP_ID and body["appEnabled"] is False and body["fcmSenderId"] == "123"
    assert "fcmServerKey" not in body and "secret-key" not in r.text
    assert "secret-key" not in pid.request("GET", pid.url(f"/{APP_ID.upper()}")).text


def test_console_app_name_is_base64_formatted(pid: PingIdClient) -> None:
    r = pid.request("GET", pid.url(f"/{CONSOLE_APP}"))
    name = r.json()["name"]
    assert name == "_base64Format_" + base64.b64encode(b"Console App").decode()
    # a name equal to the console app's decoded name is taken
    assert _unique_target(pid.request("POST", pid.url(), {"id": APP_ID, "name": "console app"})) == "name"
    # PUT echoing the formatted name keeps it
    r = pid.request("PUT", pid.url(f"/{CONSOLE_APP}"), {"name": name, "appEnabled": False})
    assert r.status_code == 200 and r.json()["name"] == name and r.json()["appEnabled"] is False


def test_uniqueness(pid: PingIdClient) -> None:
    assert pid.request("POST", pid.url(), {"id": APP_ID, "name": "Moderno"}).status_code == 201
    assert _unique_target(pid.request("POST", pid.url(), {"id": APP_ID, "name": "Other"})) == "id"
    other = str(uuid.uuid4())
    assert _unique_target(pid.request("POST", pid.url(), {"id": other, "name": "MODERNO"})) == "name"
    assert pid.request("POST", pid.url(), {"id": other, "name": "Second"}).status_code == 201
    assert _unique_target(pid.request("PUT", pid.url(f"/{other}"), {"name": "moderno"})) == "name"
    # renaming to your own name (any case) is fine
    assert pid.request("PUT", pid.url(f"/{other}"), {"name": "SECOND"}).status_code == 200


def test_validation_and_not_found(pid: PingIdClient) -> None:
    for body, target in (
        ({"name": "x"}, "id"),
        ({"id": "not-a-uuid", "name": "x"}, "id"),
        ({"id": APP_ID}, "name"),
        ({"id": APP_ID, "name": 5}, "name"),
        ({"id": APP_ID, "name": "x", "appEnabled": "yes"}, "appEnabled"),
    ):
        err = _error(pid.request("POST", pid.url(), body), 400, "INVALID_DATA")
        assert target in [d["target"] for d in err["details"]]  # type: ignore[attr-defined]
    _error(pid.request("POST", pid.url(), raw=b"{broken"), 400, "INVALID_REQUEST")
    _error(pid.request("GET", pid.url(f"/{uuid.uuid4()}")), 404, "NOT_FOUND")
    _error(pid.request("PUT", pid.url(f"/{uuid.uuid4()}"), {"name": "x"}), 404, "NOT_FOUND")
    assert pid.request("POST", pid.url(), {"id": APP_ID, "name": "x"}).status_code == 201
    _error(pid.request("PUT", pid.url(f"/{APP_ID}"), {"id": str(uuid.uuid4()), "name": "x"}), 400, "INVALID_DATA")


def test_delete_is_not_allowed(pid: PingIdClient) -> None:
    r = pid.request("DELETE", pid.url(f"/{CONSOLE_APP}"))
    assert r.status_code == 405 and pid.response_signature_ok(r)
    assert pid.request("GET", pid.url(f"/{CONSOLE_APP}")).status_code == 200


def test_bad_signatures_are_rejected(pid: PingIdClient) -> None:
    wrong_key = base64.b64encode(b"x" * 32).decode()
    for client in (
        PingIdClient(pid.base, api_key=wrong_key),
        PingIdClient(pid.base, token="other-token"),
        PingIdClient(pid.base, account=str(uuid.uuid4())),
    ):
        _error(client.request("GET", pid.url()), 401, "UNAUTHORIZED_REQ")
    _error(pid.http.get(pid.url()), 401, "UNAUTHORIZED_REQ")

    # a signature over a different body does not authorize this one
    body = json.dumps({"id": APP_ID, "name": "x"}).encode()
    u = httpx.URL(pid.url())
    jws = pingid_sign(pingid_canonical("POST", u.host, u.path, "", b"{}"), ACCOUNT_ID, "pingid-dev-token", API_KEY)
    r = pid.http.post(pid.url(), content=body, headers={"Authorization": f"PINGID-HMAC={jws}"})
    _error(r, 401, "UNAUTHORIZED_REQ")

    # wrong jwt_version / alg
    canonical = pingid_canonical("GET", u.host, u.path, "", b"")
    for headers, alg in (({"jwt_version": "v3"}, "HS256"), ({}, "none")):
        token = jwt.encode(
            {"data": sha256_hex(canonical.encode())},
            base64.b64decode(API_KEY) if alg != "none" else "",
            algorithm=alg,
            headers={"account_id": ACCOUNT_ID, "token": "pingid-dev-token", "jwt_version": "v4", **headers},
        )
        _error(pid.http.get(pid.url(), headers={"Authorization": f"PINGID-HMAC={token}"}), 401, "UNAUTHORIZED_REQ")


def test_query_string_is_part_of_the_signature(pid: PingIdClient) -> None:
    r = pid.request("GET", pid.url() + "?page=1")
    assert r.status_code == 200 and pid.response_signature_ok(r)
