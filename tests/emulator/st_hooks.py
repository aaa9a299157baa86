"""Schemathesis hooks for test_emu_openapi.py (loaded by `st run` through SCHEMATHESIS_HOOKS).

Authentication per API, as each API's clients do it: HTTP Basic for PowerAuth and for the PingOne
token endpoint, a Bearer token from that endpoint for the PingOne API, and PINGID-HMAC signing
of the request as sent (method, host, path, query, body) for PingID.

Uniqueness and existence are not expressible in a schema, and these APIs answer 400 (not 404 or
409) for some of them; so, as Schemathesis advises, a `before_call` hook makes a schema-valid
request name what exists and give unique fields fresh values: the PowerAuth application a path
names exists (PowerAuth answers 400 ERROR_ADMIN for an unknown one), a callback id names a
callback, a new PowerAuth application or PingID application id or name is not taken yet, a push
credential goes to a NATIVE_APP without one of its type, and a credential update repeats the
stored type. Nothing else about a request is changed.
"""

from __future__ import annotations

import itertools
import os
import uuid
from typing import Any
from urllib.parse import quote, unquote

import httpx
import requests
import schemathesis
from mfa_push_emulator._crypto import pingid_canonical, pingid_sign

BASE = os.environ["EMULATOR_URL"]
PA_AUTH = ("admin", "powerauth-dev-password")
ENV_ID = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"
CLIENT = ("7f3e2d1c-0b9a-4c8d-8e7f-6a5b4c3d2e1f", "pingone-dev-client-secret")
IOS_APP = "11111111-2222-4333-8444-555555555555"
ACCOUNT_ID = "f851a4da-1239-4008-9456-8b93279558f2"
API_KEY = "cGluZ2lkLWRldi1hcGkta2V5LTMyLWJ5dGVzLWxvbmc="
PINGID_TOKEN = "pingid-dev-token"
_fresh = itertools.count(1)
_http = httpx.Client(base_url=BASE, timeout=10)


def _token() -> str:
    r = _http.post(f"/pingone-auth/{ENV_ID}/as/token", data={"grant_type": "client_credentials"}, auth=CLIENT)
    r.raise_for_status()
    return str(r.json()["access_token"])


class _Basic:
    credentials: tuple[str, str]

    def get(self, case: Any, ctx: Any) -> tuple[str, str]:
        return self.credentials

    def set(self, case: Any, data: tuple[str, str], ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": httpx.BasicAuth(*data)._auth_header}


@schemathesis.auth().apply_to(path_regex="^/powerauth/")
class PowerAuthBasic(_Basic):
    credentials = PA_AUTH


@schemathesis.auth().apply_to(path_regex="^/pingone-auth/")
class PingOneClient(_Basic):
    credentials = CLIENT


@schemathesis.auth(refresh_interval=600).apply_to(path_regex="^/pingone/v1/")
class PingOneBearer:
    def get(self, case: Any, ctx: Any) -> str:
        return _token()

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


class PingIdSigner(requests.auth.AuthBase):
    """Signs the prepared request, so the signature covers the bytes as sent."""

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        url = httpx.URL(str(r.url))
        body = r.body if isinstance(r.body, bytes) else (r.body or "").encode()
        canonical = pingid_canonical(
            str(r.method), url.host, url.raw_path.split(b"?")[0].decode(), url.query.decode(), body
        )
        r.headers["Authorization"] = "PINGID-HMAC=" + pingid_sign(canonical, ACCOUNT_ID, PINGID_TOKEN, API_KEY)
        return r


schemathesis.auth.set_from_requests(PingIdSigner()).apply_to(path_regex="^/pingid/")


# --- existence and uniqueness ------------------------------------------------------------------


def _positive(case: Any) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode.is_positive


def _pa_app(app_id: Any) -> None:
    if isinstance(app_id, str) and app_id:
        _http.post("/powerauth/admin/applications", json={"id": app_id}, auth=PA_AUTH)


def _pa_fresh_id(app_id: str) -> str:
    while _http.get(f"/powerauth/admin/applications/{quote(app_id, safe='')}", auth=PA_AUTH).status_code == 200:
        app_id = f"{app_id[:240]}-{next(_fresh)}"
    return app_id


def _pa_callback(app_id: str) -> str:
    body = {"name": "st", "type": "OPERATION_STATUS_CHANGE", "callbackUrl": "https://st.example.com/"}
    r = _http.post(f"/powerauth/v2/admin/applications/{quote(app_id, safe='')}/callbacks", json=body, auth=PA_AUTH)
    return str(r.json()["callbackId"])


def _powerauth(case: Any) -> None:
    # Path parameters arrive percent-encoded, as they will be sent.
    path, params = case.operation.path, case.path_parameters or {}
    encoded = params.get("id", params.get("appId"))
    app_id = unquote(encoded) if isinstance(encoded, str) else None
    if path == "/powerauth/admin/applications" and case.method == "POST" and isinstance(case.body, dict):
        if isinstance(case.body.get("id"), str):
            case.body["id"] = _pa_fresh_id(case.body["id"])
        return
    if path == "/powerauth/admin/applications/roles" and isinstance(case.body, dict):
        _pa_app(case.body.get("id"))
    _pa_app(app_id)
    if "callbackId" in params and isinstance(app_id, str):
        callbacks = _http.get(f"/powerauth/v2/admin/applications/{encoded}/callbacks", auth=PA_AUTH).json()
        if unquote(str(params["callbackId"])) not in [c["callbackId"] for c in callbacks.get("callbacks", [])]:
            params["callbackId"] = _pa_callback(app_id)


def _pingone(case: Any) -> None:
    path, params = case.operation.path, case.path_parameters or {}
    if not path.endswith("/pushCredentials") and not path.endswith("/{credentialId}"):
        return
    if params.get("envId") != ENV_ID or not isinstance(case.body, dict) or case.method not in ("POST", "PUT"):
        return
    headers = {"Authorization": f"Bearer {_token()}"}
    apps = f"/pingone/v1/environments/{ENV_ID}/applications"
    app = _http.get(f"{apps}/{params['appId']}", headers=headers)
    if case.method == "POST":
        if app.status_code == 200 and app.json().get("type") != "NATIVE_APP":
            params["appId"] = IOS_APP
        creds = _http.get(f"{apps}/{params['appId']}/pushCredentials", headers=headers)
        for cred in creds.json().get("_embedded", {}).get("pushCredentials", []) if creds.status_code == 200 else []:
            if cred["type"] == case.body.get("type"):
                _http.delete(f"{apps}/{params['appId']}/pushCredentials/{cred['id']}", headers=headers)
    else:
        stored = _http.get(f"{apps}/{params['appId']}/pushCredentials/{params['credentialId']}", headers=headers)
        if stored.status_code == 200 and stored.json()["type"] != case.body.get("type"):
            samples = {
                "APNS": {"key": "K", "teamId": "T", "token": "P"},
                "HMS": {"clientId": "C", "clientSecret": "S"},
                "FCM_HTTP_V1": {"googleServiceAccountCredentials": "{}"},
            }
            case.body = {"type": stored.json()["type"], **samples.get(stored.json()["type"], {})}


def _pingid_apps() -> list[dict[str, Any]]:
    url = f"/pingid/v1/accounts/{ACCOUNT_ID}/applications"
    canonical = pingid_canonical("GET", httpx.URL(BASE).host, url, "", b"")
    headers = {"Authorization": "PINGID-HMAC=" + pingid_sign(canonical, ACCOUNT_ID, PINGID_TOKEN, API_KEY)}
    r = _http.get(url, headers=headers)
    return list(r.json().get("applications", [])) if r.status_code == 200 else []


def _pingid(case: Any) -> None:
    params = case.path_parameters or {}
    if case.method not in ("POST", "PUT") or not isinstance(case.body, dict) or params.get("accountId") != ACCOUNT_ID:
        return
    apps = _pingid_apps()
    own = str(params.get("applicationId", "")).lower()
    new_id = case.body.get("id") if case.method == "POST" else None
    if isinstance(new_id, str) and any(a["id"] == new_id.lower() for a in apps):
        case.body["id"] = str(uuid.uuid4())
    if case.method == "PUT" and isinstance(case.body.get("id"), str):
        case.body["id"] = unquote(str(params["applicationId"]))
    name = case.body.get("name")
    if isinstance(name, str):
        taken = {a["name"].casefold() for a in apps if a["id"] != own}
        while name.casefold() in taken:
            name = f"{name} {next(_fresh)}"
        case.body["name"] = name


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    if not _positive(case):
        return
    path = case.operation.path
    if path.startswith("/powerauth/"):
        _powerauth(case)
    elif path.startswith("/pingone/"):
        _pingone(case)
    elif path.startswith("/pingid/"):
        _pingid(case)
