"""PingOne token endpoint, applications and MFA push credentials over real HTTP."""

from __future__ import annotations

import re
import time
import uuid

import httpx
from emu_helpers import ANDROID_APP, CLIENT_ID, CLIENT_SECRET, ENV_ID, IOS_APP, EmulatorServer, get_token

TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
APNS = {"type": "APNS", "key": "ABC123DEFG", "teamId": "DEF123GHIJ", "token": "-----BEGIN PRIVATE KEY-----\nx"}
FCM = {"type": "FCM_HTTP_V1", "googleServiceAccountCredentials": '{"type":"service_account"}'}
HMS = {"type": "HMS", "clientId": "hms-client", "clientSecret": "hms-secret"}


def _creds(app: str = IOS_APP) -> str:
    return f"/applications/{app}/pushCredentials"


def _error(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["code"] == code and body["message"] and uuid.UUID(body["id"])
    return dict(body)


def _detail(r: httpx.Response, code: str, target: str) -> None:
    body = _error(r, 400, "INVALID_DATA")
    assert {"code": code, "target": target} in [{"code": d["code"], "target": d.get("target")} for d in body["details"]]  # type: ignore[attr-defined]


# --- token endpoint ----------------------------------------------------------------------------


def test_token_basic_and_form_auth(server: EmulatorServer) -> None:
    url = f"{server.url}/pingone-auth/{ENV_ID}/as/token"
    r = httpx.post(url, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    r = httpx.post(
        url, data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    )
    assert r.status_code == 200 and r.json()["access_token"] != body["access_token"]


def test_token_errors(server: EmulatorServer) -> None:
    url = f"{server.url}/pingone-auth/{ENV_ID}/as/token"
    for auth in ((CLIENT_ID, "wrong"), ("someone", CLIENT_SECRET)):
        r = httpx.post(url, data={"grant_type": "client_credentials"}, auth=auth)
        assert r.status_code == 401 and r.json()["error"] == "invalid_client" and r.json()["error_description"]
    r = httpx.post(url, data={"grant_type": "client_credentials"})
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    r = httpx.post(url, data={"grant_type": "password"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type"
    other_env = f"{server.url}/pingone-auth/{uuid.uuid4()}/as/token"
    r = httpx.post(other_env, data={"grant_type": "client_credentials"}, auth=(CLIENT_ID, CLIENT_SECRET))
    assert r.status_code == 401


def test_bearer_required(server: EmulatorServer) -> None:
    url = f"{server.url}/pingone/v1/environments/{ENV_ID}{_creds()}"
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic eDp5"}):
        body = _error(httpx.get(url, headers=headers), 401, "ACCESS_FAILED")
        assert body["details"][0]["code"] == "INVALID_TOKEN"  # type: ignore[index]


def test_tokens_expire(server: EmulatorServer, http: httpx.Client) -> None:
    assert http.put("/_emulator/settings", json={"tokenTtlSeconds": 1}).json()["tokenTtlSeconds"] == 1
    token = get_token(server.url)
    url = f"{server.url}/pingone/v1/environments/{ENV_ID}{_creds()}"
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(url, headers=headers).status_code == 200
    time.sleep(1.2)
    _error(httpx.get(url, headers=headers), 401, "ACCESS_FAILED")


# --- applications ------------------------------------------------------------------------------


def test_seeded_and_created_applications(p1: httpx.Client) -> None:
    listed = p1.get("/applications").json()
    apps = listed["_embedded"]["applications"]
    assert [a["id"] for a in apps] == [IOS_APP, ANDROID_APP]
    assert [a["name"] for a in apps] == ["Dev iOS App", "Dev Android App"]
    assert listed["count"] == listed["size"] == 2 and "self" in listed["_links"]

    r = p1.post("/applications", json={"name": "New App", "type": "NATIVE_APP", "protocol": "OPENID_CONNECT"})
    assert r.status_code == 201, r.text
    app = r.json()
    assert app["type"] == "NATIVE_APP" and app["protocol"] == "OPENID_CONNECT" and app["name"] == "New App"
    assert app["environment"] == {"id": ENV_ID} and app["id"] == app["id"].lower()
    assert TS.match(app["createdAt"]) and app["_links"]["self"]["href"].endswith(f"/applications/{app['id']}")
    assert p1.get(f"/applications/{app['id']}").json() == app

    r = p1.delete(f"/applications/{app['id']}")
    assert r.status_code == 204 and r.content == b""
    _error(p1.get(f"/applications/{app['id']}"), 404, "NOT_FOUND")
    _error(p1.delete(f"/applications/{app['id']}"), 404, "NOT_FOUND")


def test_application_validation(p1: httpx.Client) -> None:
    _detail(
        p1.post("/applications", json={"type": "NATIVE_APP", "protocol": "OPENID_CONNECT"}), "REQUIRED_VALUE", "name"
    )
    _detail(
        p1.post("/applications", json={"name": "x", "type": "TOASTER", "protocol": "OPENID_CONNECT"}),
        "INVALID_VALUE",
        "type",
    )
    _detail(p1.post("/applications", content=b"{nope"), "INVALID_VALUE", "body")


def test_environment_lookup(p1: httpx.Client, server: EmulatorServer) -> None:
    r = p1.get(f"{server.url}/pingone/v1/environments/{ENV_ID}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == ENV_ID and body["name"] == "Dev Environment"
    assert body["type"] in ("SANDBOX", "PRODUCTION") and body["region"] == "NA"
    assert uuid.UUID(body["license"]["id"]) and TS.match(body["createdAt"]) and TS.match(body["updatedAt"])
    assert body["_links"]["self"]["href"] == f"{server.url}/pingone/v1/environments/{ENV_ID}"
    assert p1.get(f"{server.url}/pingone/v1/environments/{ENV_ID.upper()}").json()["id"] == ENV_ID
    _error(p1.get(f"{server.url}/pingone/v1/environments/{uuid.uuid4()}"), 404, "NOT_FOUND")
    _error(httpx.get(f"{server.url}/pingone/v1/environments/{ENV_ID}"), 401, "ACCESS_FAILED")


def test_resources_of_an_environment_the_worker_cannot_see_are_403(p1: httpx.Client, server: EmulatorServer) -> None:
    # PingOne answers 403 there (clients then look the environment up to tell "no permission"
    # from "no environment"), whether or not the environment exists.
    other = f"{server.url}/pingone/v1/environments/{uuid.uuid4()}"
    for path in ("/applications", f"/applications/{IOS_APP}", _creds(), f"{_creds()}/{uuid.uuid4()}"):
        _error(p1.get(other + path), 403, "ACCESS_FAILED")
    _error(p1.post(other + _creds(), json=APNS), 403, "ACCESS_FAILED")
    _error(p1.delete(f"{other}{_creds()}/{uuid.uuid4()}"), 403, "ACCESS_FAILED")
    _error(p1.get("/no/such/thing"), 404, "NOT_FOUND")


# --- push credentials --------------------------------------------------------------------------


def _check_view(view: dict[str, object], cred_type: str, app: str = IOS_APP) -> None:
    keys = {"_links", "id", "environment", "application", "type", "createdAt", "updatedAt"}
    if cred_type == "HMS":
        keys.add("clientId")
    assert set(view) == keys
    assert view["type"] == cred_type and view["environment"] == {"id": ENV_ID} and view["application"] == {"id": app}
    assert set(view["_links"]) == {"self", "environment", "application"}  # type: ignore[call-overload]
    cred_id = str(view["id"])
    assert cred_id == cred_id.lower() and uuid.UUID(cred_id)
    assert TS.match(str(view["createdAt"])) and TS.match(str(view["updatedAt"]))


def test_push_credential_lifecycle(p1: httpx.Client) -> None:
    created = {}
    for body in (APNS, FCM, HMS):
        r = p1.post(_creds(), json=body)
        assert r.status_code == 201, r.text
        _check_view(r.json(), str(body["type"]))
        for secret_field in ("token", "googleServiceAccountCredentials", "clientSecret", "key", "teamId"):
            assert secret_field not in r.json()
        created[body["type"]] = r.json()
    assert created["HMS"]["clientId"] == "hms-client"

    listed = p1.get(_creds()).json()
    assert listed["count"] == listed["size"] == 3
    assert [c["id"] for c in listed["_embedded"]["pushCredentials"]] == [c["id"] for c in created.values()]
    assert "hms-secret" not in p1.get(_creds()).text

    apns = created["APNS"]
    assert p1.get(f"{_creds()}/{apns['id']}").json() == apns
    time.sleep(0.005)
    r = p1.put(f"{_creds()}/{apns['id']}", json={**APNS, "key": "NEWKEY1234"})
    assert r.status_code == 200
    assert r.json()["createdAt"] == apns["createdAt"] and r.json()["updatedAt"] >= apns["updatedAt"]
    _detail(p1.put(f"{_creds()}/{apns['id']}", json=HMS), "INVALID_VALUE", "type")

    r = p1.delete(f"{_creds()}/{apns['id']}")
    assert r.status_code == 204 and r.content == b""
    _error(p1.get(f"{_creds()}/{apns['id']}"), 404, "NOT_FOUND")
    _error(p1.delete(f"{_creds()}/{apns['id']}"), 404, "NOT_FOUND")
    _error(p1.put(f"{_creds()}/{apns['id']}", json=APNS), 404, "NOT_FOUND")


def test_push_credential_validation(p1: httpx.Client) -> None:
    _detail(p1.post(_creds(), json={"type": "FCM", "key": "legacy"}), "INVALID_VALUE", "type")
    assert "FCM_HTTP_V1" in p1.post(_creds(), json={"type": "FCM", "key": "x"}).json()["details"][0]["message"]
    _detail(p1.post(_creds(), json={"key": "x"}), "REQUIRED_VALUE", "type")
    _detail(p1.post(_creds(), json={"type": "WNS"}), "INVALID_VALUE", "type")
    _detail(p1.post(_creds(), json={"type": "APNS", "key": "k", "teamId": "t"}), "REQUIRED_VALUE", "token")
    _detail(p1.post(_creds(), json={"type": "HMS", "clientId": "c"}), "REQUIRED_VALUE", "clientSecret")
    _detail(p1.post(_creds(), json={**HMS, "teamId": "t"}), "INVALID_VALUE", "teamId")
    _detail(
        p1.post(_creds(), json={**APNS, "googleServiceAccountCredentials": "{}"}),
        "INVALID_VALUE",
        "googleServiceAccountCredentials",
    )
    _detail(p1.post(_creds(), json={**APNS, "key": 42}), "INVALID_VALUE", "key")
    _detail(p1.post(_creds(), content=b"[1,2"), "INVALID_VALUE", "body")
    _error(p1.post(_creds(str(uuid.uuid4())), json=APNS), 404, "NOT_FOUND")
    _error(p1.get(f"{_creds()}/{uuid.uuid4()}"), 404, "NOT_FOUND")


def test_one_credential_per_type(p1: httpx.Client, http: httpx.Client) -> None:
    assert p1.post(_creds(), json=APNS).status_code == 201
    _detail(p1.post(_creds(), json=APNS), "UNIQUENESS_VIOLATION", "type")
    assert p1.post(_creds(ANDROID_APP), json=APNS).status_code == 201  # per application
    http.put("/_emulator/settings", json={"oneCredentialPerType": False})
    assert p1.post(_creds(), json=APNS).status_code == 201
    assert p1.get(_creds()).json()["count"] == 2


# --- legacy FCM credentials (control plane only) --------------------------------------------------


def _legacy(http: httpx.Client, **body: object) -> httpx.Response:
    return http.post("/_emulator/pingone/legacyFcmCredentials", json={"applicationId": ANDROID_APP} | body)


def test_legacy_fcm_is_made_by_the_control_plane_only(p1: httpx.Client, http: httpx.Client) -> None:
    r = _legacy(http, key="AAAA-legacy-server-key")
    assert r.status_code == 201, r.text
    legacy = r.json()
    _check_view(legacy, "FCM", ANDROID_APP)
    assert "AAAA-legacy-server-key" not in r.text
    listed = p1.get(_creds(ANDROID_APP)).json()["_embedded"]["pushCredentials"]
    assert listed == [legacy] and p1.get(f"{_creds(ANDROID_APP)}/{legacy['id']}").json() == legacy
    assert "AAAA-legacy-server-key" not in p1.get(_creds(ANDROID_APP)).text

    # The public API still refuses to make or rewrite one; FCM_HTTP_V1 sits next to it.
    _detail(p1.post(_creds(ANDROID_APP), json={"type": "FCM", "key": "x"}), "INVALID_VALUE", "type")
    _detail(p1.put(f"{_creds(ANDROID_APP)}/{legacy['id']}", json={"type": "FCM", "key": "x"}), "INVALID_VALUE", "type")
    _detail(p1.put(f"{_creds(ANDROID_APP)}/{legacy['id']}", json=FCM), "INVALID_VALUE", "type")
    assert p1.post(_creds(ANDROID_APP), json=FCM).status_code == 201

    r = p1.delete(f"{_creds(ANDROID_APP)}/{legacy['id']}")
    assert r.status_code == 204
    assert [c["type"] for c in p1.get(_creds(ANDROID_APP)).json()["_embedded"]["pushCredentials"]] == ["FCM_HTTP_V1"]


def test_legacy_fcm_control_plane_errors(http: httpx.Client) -> None:
    assert _legacy(http, key="k").status_code == 201
    assert _legacy(http, key="k").status_code == 409  # one credential per type
    assert _legacy(http).status_code == 400
    assert _legacy(http, key="k", extra=1).status_code == 400
    assert _legacy(http, key="k", applicationId=str(uuid.uuid4())).status_code == 404
    assert _legacy(http, key="k", environmentId=str(uuid.uuid4())).status_code == 404
    r = http.post("/_emulator/pingone/legacyFcmCredentials", json={"applicationId": IOS_APP, "key": "k", "x": 1})
    assert r.status_code == 400 and "x" in r.json()["error"]
