"""PowerAuth Cloud Admin API over real HTTP: spec examples, envelopes, fidelity details."""

from __future__ import annotations

import base64
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from emu_helpers import EmulatorServer


def _error(r: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert r.status_code == status, r.text
    body = r.json()
    assert body["status"] == "ERROR"
    assert body["responseObject"]["code"] == code
    return dict(body["responseObject"])


def _create(pa: httpx.Client, app_id: str = "MY_APP_01", roles: list[str] | None = None) -> dict[str, object]:
    body: dict[str, object] = {"id": app_id}
    if roles is not None:
        body["roles"] = roles
    r = pa.post("/admin/applications", json=body)
    assert r.status_code == 200, r.text
    return dict(r.json())


# --- applications ------------------------------------------------------------------------------


def test_create_application_spec_example(pa: httpx.Client) -> None:
    app = _create(pa, "MY_APP_01", ["ROLE2", "ROLE1", "ROLE1"])
    assert set(app) == {
        "id",
        "serviceBaseUrl",
        "mobileSdkConfig",
        "roles",
        "appKey",
        "appSecret",
        "masterServerPublicKey",
    }
    assert app["id"] == "MY_APP_01"
    assert app["roles"] == ["ROLE1", "ROLE2"]
    assert str(app["serviceBaseUrl"]).endswith("/enrollment-server/")


def test_key_material_has_real_shapes(pa: httpx.Client) -> None:
    app = _create(pa)
    key = base64.b64decode(str(app["appKey"]), validate=True)
    secret = base64.b64decode(str(app["appSecret"]), validate=True)
    assert len(key) == len(secret) == 16 and len(str(app["appKey"])) == 24
    point = base64.b64decode(str(app["masterServerPublicKey"]), validate=True)
    assert len(point) == 65 and point[0] == 4 and str(app["masterServerPublicKey"]).startswith("B")
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)  # a real P-256 point
    config = base64.b64decode(str(app["mobileSdkConfig"]), validate=True)
    assert len(config) == 103 and len(str(app["mobileSdkConfig"])) == 140
    # 0x01 0x10 then the first key byte: "ARA".."ARD" (the spec's example is "ARB...")
    assert str(app["mobileSdkConfig"])[:2] == "AR" and str(app["mobileSdkConfig"])[2] in "ABCD"
    assert config == b"\x01\x10" + key + b"\x10" + secret + b"\x01\x01\x41" + point


def test_create_without_roles_gives_empty_list(pa: httpx.Client) -> None:
    assert _create(pa, "NO_ROLES")["roles"] == []


def test_get_and_list_applications(pa: httpx.Client) -> None:
    created = _create(pa, "demo-app1")
    _create(pa, "demo-app2")
    assert pa.get("/admin/applications/demo-app1").json() == created
    assert pa.get("/admin/applications").json() == {"applications": [{"id": "demo-app1"}, {"id": "demo-app2"}]}


def test_duplicate_application(pa: httpx.Client) -> None:
    _create(pa)
    err = _error(pa.post("/admin/applications", json={"id": "MY_APP_01"}), 400, "ERROR_ADMIN")
    assert err["message"] == "Duplicate application"


def test_unknown_application_is_error_admin(pa: httpx.Client) -> None:
    _error(pa.get("/admin/applications/nope"), 400, "ERROR_ADMIN")
    _error(pa.post("/admin/applications/roles", json={"id": "nope", "roles": ["A"]}), 400, "ERROR_ADMIN")
    _error(pa.post("/admin/applications/nope/roles/remove", json={"roles": ["A"]}), 400, "ERROR_ADMIN")
    _error(pa.get("/admin/applications/nope/push"), 400, "ERROR_ADMIN")
    _error(pa.delete("/admin/applications/nope/push/fcm"), 400, "ERROR_ADMIN")
    _error(pa.get("/v2/admin/applications/nope/callbacks"), 400, "ERROR_ADMIN")


def test_validation_violations(pa: httpx.Client) -> None:
    err = _error(pa.post("/admin/applications", json={"roles": ["A"]}), 400, "ERROR_REQUEST")
    assert err["violations"] == [{"fieldName": "id", "hint": "must not be empty"}]
    err = _error(pa.post("/admin/applications", json={"id": "  "}), 400, "ERROR_REQUEST")
    assert err["violations"][0]["fieldName"] == "id"  # type: ignore[index]
    err = _error(pa.post("/admin/applications", json={"id": 12}), 400, "ERROR_REQUEST")
    assert err["violations"] == [{"fieldName": "id", "invalidValue": 12, "hint": "must be a string, not number"}]
    err = _error(pa.post("/admin/applications", json={"id": "x" * 256}), 400, "ERROR_REQUEST")
    assert err["violations"][0]["fieldName"] == "id"  # type: ignore[index]
    assert pa.post("/admin/applications", json={"id": "x" * 255}).status_code == 200
    _error(pa.post("/admin/applications", json={"id": "A", "roles": "ROLE"}), 400, "ERROR_REQUEST")
    _error(
        pa.post("/admin/applications", content=b'{"id":', headers={"content-type": "application/json"}),
        400,
        "ERROR_REQUEST",
    )
    _error(pa.post("/admin/applications", json=["id"]), 400, "ERROR_REQUEST")
    _error(pa.post("/admin/applications"), 400, "ERROR_REQUEST")


# --- roles -------------------------------------------------------------------------------------


def test_add_and_remove_roles(pa: httpx.Client) -> None:
    _create(pa, roles=["ROLE2"])
    r = pa.post("/admin/applications/roles", json={"id": "MY_APP_01", "roles": ["ROLE1", "ROLE2", "A"]})
    assert r.status_code == 200 and r.json() == {"status": "OK"}
    assert pa.get("/admin/applications/MY_APP_01").json()["roles"] == ["A", "ROLE1", "ROLE2"]
    r = pa.post("/admin/applications/MY_APP_01/roles/remove", json={"roles": ["ROLE1", "MISSING"]})
    assert r.json() == {"status": "OK"}
    assert pa.get("/admin/applications/MY_APP_01").json()["roles"] == ["A", "ROLE2"]


def test_role_validation(pa: httpx.Client) -> None:
    _create(pa)
    err = _error(pa.post("/admin/applications/roles", json={"roles": ["A"]}), 400, "ERROR_REQUEST")
    assert err["message"] == "Invalid method parameter value"
    assert err["violations"] == [{"fieldName": "id", "hint": "must not be empty"}]
    _error(pa.post("/admin/applications/roles", json={"id": "MY_APP_01", "roles": []}), 400, "ERROR_REQUEST")
    _error(pa.post("/admin/applications/MY_APP_01/roles/remove", json={"roles": []}), 400, "ERROR_REQUEST")
    _error(pa.post("/admin/applications/MY_APP_01/roles/remove", json={}), 400, "ERROR_REQUEST")
    _error(pa.post("/admin/applications/roles", json={"id": "MY_APP_01", "roles": [1]}), 400, "ERROR_REQUEST")


def test_concurrent_role_adds_lose_nothing(pa: httpx.Client, server: EmulatorServer) -> None:
    _create(pa)

    def add(i: int) -> int:
        with httpx.Client(base_url=f"{server.url}/powerauth", auth=pa.auth, timeout=10) as c:
            return c.post("/admin/applications/roles", json={"id": "MY_APP_01", "roles": [f"R{i:02d}"]}).status_code

    with ThreadPoolExecutor(20) as pool:
        assert set(pool.map(add, range(20))) == {200}
    assert pa.get("/admin/applications/MY_APP_01").json()["roles"] == [f"R{i:02d}" for i in range(20)]


# --- auth and routing --------------------------------------------------------------------------


def test_auth_required_everywhere(server: EmulatorServer) -> None:
    base = f"{server.url}/powerauth"
    for auth in (None, ("admin", "wrong"), ("root", "powerauth-dev-password")):
        for method, path in (
            ("GET", "/admin/applications"),
            ("POST", "/admin/applications"),
            ("GET", "/v2/admin/applications/x/callbacks"),
            ("POST", "/internal/callback/operation"),
            ("GET", "/admin/applications/x/push"),
            ("GET", "/no/such/url"),
        ):
            r = httpx.request(method, base + path, auth=auth)
            assert r.status_code == 401, (method, path, r.text)
            assert r.json() == {"status": "ERROR", "responseObject": {"code": "HTTP_401", "message": "Unauthorized"}}


def test_unknown_url_is_error_not_found(pa: httpx.Client) -> None:
    _error(pa.get("/admin/nothing-here"), 404, "ERROR_NOT_FOUND")
    _error(pa.get("/"), 404, "ERROR_NOT_FOUND")


def test_no_delete_for_applications(pa: httpx.Client) -> None:
    _create(pa)
    r = pa.delete("/admin/applications/MY_APP_01")
    assert r.status_code == 405 and r.json()["status"] == "ERROR"
    assert pa.get("/admin/applications/MY_APP_01").status_code == 200


# --- callbacks ---------------------------------------------------------------------------------

CALLBACK = {
    "name": "registration-webhook",
    "type": "REGISTRATION_STATUS_CHANGE",
    "callbackUrl": "https://hooks.example.com/powerauth",
    "attributes": ["userId", "activationStatus"],
    "authentication": {"httpBasic": {"enabled": True, "username": "hook", "password": "s3cret"}},
}


def test_callback_lifecycle(pa: httpx.Client) -> None:
    _create(pa)
    r = pa.post("/v2/admin/applications/MY_APP_01/callbacks", json=CALLBACK)
    assert r.status_code == 200, r.text
    cb = r.json()
    cb_id = cb["callbackId"]
    assert uuid.UUID(cb_id).version == 4 and cb_id == cb_id.lower()
    assert cb == {
        "applicationId": "MY_APP_01",
        "callbackId": cb_id,
        "name": "registration-webhook",
        "type": "REGISTRATION_STATUS_CHANGE",
        "callbackUrl": "https://hooks.example.com/powerauth",
        "attributes": ["userId", "activationStatus"],
        "authentication": {"httpBasic": {"enabled": True, "username": "hook", "passwordSet": True}},
    }
    assert "s3cret" not in r.text

    # null password keeps, type cannot change
    update = {
        "name": "renamed",
        "type": "OPERATION_STATUS_CHANGE",
        "callbackUrl": "http://hooks.example.com/v2",
        "attributes": ["userId"],
        "authentication": {"httpBasic": {"enabled": True, "username": "hook2", "password": None}},
    }
    r = pa.put(f"/v2/admin/applications/MY_APP_01/callbacks/{cb_id}", json=update)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["type"] == "REGISTRATION_STATUS_CHANGE" and body["name"] == "renamed"
    assert body["authentication"]["httpBasic"] == {"enabled": True, "username": "hook2", "passwordSet": True}

    # absent password keeps too
    del update["authentication"]["httpBasic"]["password"]  # type: ignore[index]
    r = pa.put(f"/v2/admin/applications/MY_APP_01/callbacks/{cb_id}", json=update)
    assert r.json()["authentication"]["httpBasic"]["passwordSet"] is True

    # "" clears
    update["authentication"] = {"httpBasic": {"enabled": False, "username": None, "password": ""}}
    r = pa.put(f"/v2/admin/applications/MY_APP_01/callbacks/{cb_id}", json=update)
    assert r.json()["authentication"]["httpBasic"] == {"enabled": False, "username": None, "passwordSet": False}

    listed = pa.get("/v2/admin/applications/MY_APP_01/callbacks").json()
    assert listed == {"callbacks": [r.json()]}

    r = pa.delete(f"/v2/admin/applications/MY_APP_01/callbacks/{cb_id}")
    assert r.json() == {"status": "OK"}
    assert pa.get("/v2/admin/applications/MY_APP_01/callbacks").json() == {"callbacks": []}
    _error(pa.delete(f"/v2/admin/applications/MY_APP_01/callbacks/{cb_id}"), 400, "ERROR_ADMIN")
    _error(pa.put(f"/v2/admin/applications/MY_APP_01/callbacks/{cb_id}", json=update), 400, "ERROR_ADMIN")


def test_callbacks_listed_by_name_and_names_not_unique(pa: httpx.Client) -> None:
    _create(pa)
    for name in ("zeta", "alpha", "mid", "alpha"):
        body = {**CALLBACK, "name": name}
        assert pa.post("/v2/admin/applications/MY_APP_01/callbacks", json=body).status_code == 200
    names = [c["name"] for c in pa.get("/v2/admin/applications/MY_APP_01/callbacks").json()["callbacks"]]
    assert names == ["alpha", "alpha", "mid", "zeta"]


def test_callback_errors(pa: httpx.Client) -> None:
    _create(pa)
    url = "/v2/admin/applications/MY_APP_01/callbacks"
    _error(pa.post("/v2/admin/applications/nope/callbacks", json=CALLBACK), 400, "ERROR_ADMIN")
    for bad in ("not a url", "ftp://x.example.com/", "https://", "/relative/path"):
        _error(pa.post(url, json={**CALLBACK, "callbackUrl": bad}), 400, "ERROR_ADMIN")
    err = _error(pa.post(url, json={**CALLBACK, "type": "NOPE"}), 400, "ERROR_REQUEST")
    assert err["violations"][0]["fieldName"] == "type"  # type: ignore[index]
    err = _error(pa.post(url, json={"type": "REGISTRATION_STATUS_CHANGE"}), 400, "ERROR_REQUEST")
    assert {v["fieldName"] for v in err["violations"]} == {"name", "callbackUrl"}  # type: ignore[attr-defined]
    _error(pa.post(url, json={**CALLBACK, "attributes": "userId"}), 400, "ERROR_REQUEST")
    _error(pa.post(url, json={**CALLBACK, "authentication": {"httpBasic": {"enabled": "yes"}}}), 400, "ERROR_REQUEST")


# --- internal ----------------------------------------------------------------------------------


def test_operation_callback(pa: httpx.Client) -> None:
    r = pa.post("/internal/callback/operation", json={"operationId": str(uuid.uuid4())})
    assert r.status_code == 200 and r.json() == {"status": "OK"}
    err = _error(pa.post("/internal/callback/operation", json={}), 400, "ERROR_REQUEST")
    assert err["message"] == "Required String parameter 'operationId' is not present"
    _error(pa.post("/internal/callback/operation", json={"operationId": "not-a-uuid"}), 400, "ERROR_REQUEST")


# --- push --------------------------------------------------------------------------------------

APNS = {
    "topic": "com.wultra.apns.topic",
    "keyId": "ABC123DEFG",
    "teamId": "DEF123GHIJ",
    "environment": "production",
    "privateKeyBase64": base64.b64encode(b"-----BEGIN PRIVATE KEY-----\n...").decode(),
}


def test_push_configuration(pa: httpx.Client) -> None:
    _create(pa)
    base = "/admin/applications/MY_APP_01/push"
    assert pa.get(base).json() == {"id": "MY_APP_01", "apns": None, "fcm": None, "hms": None}

    r = pa.post(f"{base}/apns", json=APNS)
    assert r.status_code == 200, r.text
    apns_view = {
        "topic": "com.wultra.apns.topic",
        "keyId": "ABC123DEFG",
        "teamId": "DEF123GHIJ",
        "environment": "PRODUCTION",
    }
    assert r.json() == {"id": "MY_APP_01", "apns": apns_view, "fcm": None, "hms": None}

    sa = base64.b64encode(b'{"type":"service_account","project_id":"from-json"}').decode()
    r = pa.post(f"{base}/fcm", json={"privateKeyBase64": sa})
    assert r.json()["fcm"] == {"projectId": "from-json"}
    r = pa.post(f"{base}/fcm", json={"projectId": "fcm-project-id", "privateKeyBase64": sa})
    assert r.json()["fcm"] == {"projectId": "fcm-project-id"}

    hms = {
        "projectId": "hms-project-id",
        "appId": "my-app-id",
        "clientId": "my-client-id",
        "clientSecret": "my-client-secret",
    }
    r = pa.post(f"{base}/hms", json=hms)
    assert r.json()["hms"] == {"projectId": "hms-project-id"}
    full = pa.get(base)
    assert full.json() == {
        "id": "MY_APP_01",
        "apns": apns_view,
        "fcm": {"projectId": "fcm-project-id"},
        "hms": {"projectId": "hms-project-id"},
    }
    assert "my-client-secret" not in full.text and APNS["privateKeyBase64"] not in full.text

    # upsert overwrites; environment is case-insensitive
    r = pa.post(f"{base}/apns", json={**APNS, "environment": "Development", "topic": "t2"})
    assert r.json()["apns"] == {**apns_view, "environment": "DEVELOPMENT", "topic": "t2"}

    for platform in ("apns", "fcm", "hms"):
        r = pa.delete(f"{base}/{platform}")
        assert r.status_code == 200 and r.json() == {"status": "OK"}
    assert pa.get(base).json() == {"id": "MY_APP_01", "apns": None, "fcm": None, "hms": None}


def test_push_validation(pa: httpx.Client) -> None:
    _create(pa)
    base = "/admin/applications/MY_APP_01/push"
    err = _error(pa.post(f"{base}/apns", json={k: v for k, v in APNS.items() if k != "topic"}), 400, "ERROR_REQUEST")
    assert err["message"] == "Required String parameter 'topic' is not present"
    _error(pa.post(f"{base}/apns", json={**APNS, "environment": "STAGING"}), 400, "ERROR_REQUEST")
    _error(pa.post(f"{base}/apns", json={**APNS, "privateKeyBase64": "not base64!"}), 400, "ERROR_REQUEST")
    err = _error(pa.post(f"{base}/fcm", json={"projectId": "p"}), 400, "ERROR_REQUEST")
    assert err["message"] == "Required String parameter 'privateKeyBase64' is not present"
    err = _error(
        pa.post(f"{base}/hms", json={"appId": "a", "clientId": "c", "clientSecret": "s"}), 400, "ERROR_REQUEST"
    )
    assert err["message"] == "Required String parameter 'projectId' is not present"
    _error(pa.post("/admin/applications/nope/push/apns", json=APNS), 400, "ERROR_ADMIN")
