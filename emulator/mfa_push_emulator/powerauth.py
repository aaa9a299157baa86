"""PowerAuth Cloud Admin API: applications, roles, callbacks, push configuration.

Mounted under ``/powerauth``. HTTP Basic on every endpoint; errors use the
``{"status":"ERROR","responseObject":{...}}`` envelope.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from mfa_push_emulator._crypto import b64, is_base64, mobile_sdk_config, new_master_key_pair
from mfa_push_emulator._errors import (
    Violation,
    powerauth_admin_error,
    powerauth_request_error,
    powerauth_unauthorized,
)
from mfa_push_emulator._http import basic_credentials, doc_body
from mfa_push_emulator._runtime import base_url, get_runtime
from mfa_push_emulator._store import Doc, Tx
from mfa_push_emulator._validate import BodyError, Fields, parse_json_object

PREFIX = "/powerauth"
MAX_ID_LENGTH = 255
CALLBACK_TYPES = ("REGISTRATION_STATUS_CHANGE", "OPERATION_STATUS_CHANGE")
APNS_ENVIRONMENTS = ("DEVELOPMENT", "PRODUCTION")
OK = {"status": "OK"}


def check_auth(request: Request) -> None:
    """Raise the PowerAuth 401 unless the Basic credentials match a stored admin user."""
    creds = basic_credentials(request)
    if creds is None:
        raise powerauth_unauthorized()
    user, password = creds
    runtime = get_runtime(request)
    with runtime.store.transaction() as tx:
        stored = tx.get("pa_user", user)
    if stored is None or not secrets.compare_digest(str(stored["password"]).encode("utf-8"), password.encode("utf-8")):
        raise powerauth_unauthorized()


async def _require_auth(request: Request) -> None:
    check_auth(request)


router = APIRouter(prefix=PREFIX, tags=["PowerAuth Cloud"], dependencies=[Depends(_require_auth)])


# --- helpers -----------------------------------------------------------------------------------


async def _body(request: Request) -> Fields:
    try:
        return Fields(parse_json_object(await request.body()))
    except BodyError as exc:
        raise powerauth_request_error([Violation("request", str(exc), missing=True)]) from exc


def _raise_violations(fields: Fields, *, missing_style: bool = False) -> None:
    """Raise ``ERROR_REQUEST``; push/internal endpoints phrase the message like Spring's binder."""
    if not fields.violations:
        return
    first = fields.violations[0]
    message = None
    if missing_style and first.missing:
        message = f"Required String parameter '{first.field}' is not present"
    raise powerauth_request_error(fields.violations, message)


def _require_app(tx: Tx, app_id: str) -> Doc:
    app = tx.get("pa_app", app_id)
    if app is None:
        raise powerauth_admin_error(f"Application with given ID is not present: {app_id}")
    return app


def _service_base_url(request: Request) -> str:
    configured = get_runtime(request).settings.service_base_url
    return configured or f"{base_url(request)}/enrollment-server/"


def _app_detail(request: Request, app: Doc) -> dict[str, Any]:
    return {
        "id": app["id"],
        "serviceBaseUrl": _service_base_url(request),
        "mobileSdkConfig": app["mobileSdkConfig"],
        "roles": list(app["roles"]),
        "appKey": app["appKey"],
        "appSecret": app["appSecret"],
        "masterServerPublicKey": app["masterServerPublicKey"],
    }


def _new_app(app_id: str, roles: list[str]) -> Doc:
    key, secret = secrets.token_bytes(16), secrets.token_bytes(16)
    private_pem, point = new_master_key_pair()
    return {
        "id": app_id,
        "roles": sorted(set(roles)),
        "appKey": b64(key),
        "appSecret": b64(secret),
        "masterServerPublicKey": b64(point),
        "masterServerPrivateKey": private_pem,
        "mobileSdkConfig": mobile_sdk_config(key, secret, point),
    }


def _callback_key(app_id: str, callback_id: str) -> tuple[str, str]:
    return (app_id, callback_id)


def migrate_callback_keys(tx: Tx) -> None:
    """Data dirs of earlier versions keyed callbacks ``appId\x1fcallbackId``, which an application
    id holding ``\x1f`` could forge: move them to their encoded keys (each doc names both ids)."""
    for stored, callback in tx.items("pa_callback"):
        if "\x1f" in stored:
            tx.rekey("pa_callback", stored, _callback_key(callback["applicationId"], callback["callbackId"]))


# --- applications ------------------------------------------------------------------------------


SAFE_APP_ID = re.compile(r"^(?!\.{1,2}$)[A-Za-z0-9_.~:@+-]+$")
_APP_EXAMPLE = {"id": "MY_APP_01", "roles": ["ROLE1", "ROLE2"]}


@router.post("/admin/applications", openapi_extra=doc_body(_APP_EXAMPLE))
async def create_application(request: Request) -> JSONResponse:
    """Create an application with fresh appKey/appSecret and a real P-256 master key pair."""
    fields = await _body(request)
    app_id = fields.string("id", max_len=MAX_ID_LENGTH)
    roles = fields.string_list("roles", required=False, non_empty=False) or []
    if app_id is not None and not SAFE_APP_ID.match(app_id):
        # Assumption: PowerAuth documents no alphabet; ids that need URL encoding (or that are
        # path segments such as `..`) could never be addressed again, so they are refused.
        fields.reject("id", app_id, "must be letters, digits and _ - . ~ : @ + only, and not . or ..")
    _raise_violations(fields)
    assert app_id is not None
    app = _new_app(app_id, roles)
    with get_runtime(request).store.transaction() as tx:
        if tx.get("pa_app", app_id) is not None:
            raise powerauth_admin_error("Duplicate application")
        tx.put("pa_app", app_id, app)
    return JSONResponse(_app_detail(request, app))


@router.get("/admin/applications")
async def list_applications(request: Request) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        apps = tx.list("pa_app")
    return JSONResponse({"applications": [{"id": a["id"]} for a in apps]})


@router.post("/admin/applications/roles", openapi_extra=doc_body(_APP_EXAMPLE))
async def add_roles(request: Request) -> JSONResponse:
    """Merge roles, ignore duplicates, keep the list sorted."""
    fields = await _body(request)
    app_id = fields.string("id", max_len=MAX_ID_LENGTH)
    roles = fields.string_list("roles")
    _raise_violations(fields)
    assert app_id is not None and roles is not None
    with get_runtime(request).store.transaction() as tx:
        app = _require_app(tx, app_id)
        app["roles"] = sorted(set(app["roles"]) | set(roles))
        tx.put("pa_app", app_id, app)
    return JSONResponse(OK)


@router.get("/admin/applications/{id}")
async def get_application(request: Request, id: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        app = _require_app(tx, id)
    return JSONResponse(_app_detail(request, app))


@router.post("/admin/applications/{id}/roles/remove", openapi_extra=doc_body({"roles": ["ROLE1"]}))
async def remove_roles(request: Request, id: str) -> JSONResponse:
    """Drop the listed roles; roles the application does not have are ignored."""
    fields = await _body(request)
    roles = fields.string_list("roles")
    _raise_violations(fields)
    assert roles is not None
    with get_runtime(request).store.transaction() as tx:
        app = _require_app(tx, id)
        app["roles"] = sorted(set(app["roles"]) - set(roles))
        tx.put("pa_app", id, app)
    return JSONResponse(OK)


# --- callbacks ---------------------------------------------------------------------------------


def _valid_callback_url(url: str) -> bool:
    try:
        parts = urlsplit(url.strip())
        _ = parts.port  # raises ValueError on a garbled port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and url == url.strip()


def _callback_view(cb: Doc) -> dict[str, Any]:
    auth = cb["auth"]
    return {
        "applicationId": cb["applicationId"],
        "callbackId": cb["callbackId"],
        "name": cb["name"],
        "type": cb["type"],
        "callbackUrl": cb["callbackUrl"],
        "attributes": list(cb["attributes"]),
        "authentication": {
            "httpBasic": {
                "enabled": bool(auth["enabled"]),
                "username": auth["username"],
                "passwordSet": bool(auth["password"]),
            }
        },
    }


def _parse_http_basic(fields: Fields) -> dict[str, Any] | None:
    """``None`` when no authentication was sent; otherwise the raw httpBasic keys that were present."""
    auth = fields.obj("authentication")
    if auth is None:
        return None
    sub = Fields(auth, prefix="authentication.")
    basic = sub.obj("httpBasic")
    fields.violations.extend(sub.violations)
    if basic is None:
        return {}
    inner = Fields(basic, prefix="authentication.httpBasic.")
    out: dict[str, Any] = {}
    if "enabled" in basic:
        out["enabled"] = inner.boolean("enabled")
    if "username" in basic:
        out["username"] = inner.string("username", required=False, non_blank=False, max_len=MAX_ID_LENGTH)
    if "password" in basic:
        out["password"] = inner.string("password", required=False, non_blank=False)
    fields.violations.extend(inner.violations)
    return out


_CALLBACK_EXAMPLE = {
    "name": "registration-webhook",
    "type": "REGISTRATION_STATUS_CHANGE",
    "callbackUrl": "https://hooks.example.com/powerauth",
    "attributes": ["userId", "activationStatus"],
    "authentication": {"httpBasic": {"enabled": True, "username": "hook", "password": "s3cret"}},
}


@router.post("/v2/admin/applications/{appId}/callbacks", openapi_extra=doc_body(_CALLBACK_EXAMPLE))
async def create_callback(request: Request, appId: str) -> JSONResponse:
    fields = await _body(request)
    name = fields.string("name", max_len=MAX_ID_LENGTH)
    cb_type = fields.string("type")
    if cb_type is not None and cb_type not in CALLBACK_TYPES:
        fields.violations.append(Violation("type", f"must be one of {', '.join(CALLBACK_TYPES)}", value=cb_type))
    url = fields.string("callbackUrl", max_len=1024)
    attributes = fields.string_list("attributes", required=False, non_empty=False) or []
    basic = _parse_http_basic(fields)
    _raise_violations(fields)
    assert name is not None and cb_type is not None and url is not None
    basic = basic or {}
    password = basic.get("password") or None
    callback_id = str(uuid.uuid4())
    callback: Doc = {
        "applicationId": appId,
        "callbackId": callback_id,
        "name": name,
        "type": cb_type,
        "callbackUrl": url,
        "attributes": attributes,
        "auth": {
            "enabled": bool(basic.get("enabled") or False),
            "username": basic.get("username"),
            "password": password,
        },
    }
    with get_runtime(request).store.transaction() as tx:
        _require_app(tx, appId)
        if not _valid_callback_url(url):
            raise powerauth_admin_error(f"Invalid callback URL: {url}")
        tx.put("pa_callback", _callback_key(appId, callback_id), callback)
    return JSONResponse(_callback_view(callback))


@router.get("/v2/admin/applications/{appId}/callbacks")
async def list_callbacks(request: Request, appId: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        _require_app(tx, appId)
        callbacks = tx.list("pa_callback", (appId,))
    callbacks.sort(key=lambda cb: (cb["name"], cb["callbackId"]))
    return JSONResponse({"callbacks": [_callback_view(cb) for cb in callbacks]})


@router.put(
    "/v2/admin/applications/{appId}/callbacks/{callbackId}",
    openapi_extra=doc_body({k: v for k, v in _CALLBACK_EXAMPLE.items() if k != "type"}),
)
async def update_callback(request: Request, appId: str, callbackId: str) -> JSONResponse:
    """Replace name/URL/attributes; a null or absent password keeps the stored one, ``""`` clears it."""
    fields = await _body(request)
    name = fields.string("name", max_len=MAX_ID_LENGTH)
    url = fields.string("callbackUrl", max_len=1024)
    attributes = fields.string_list("attributes", required=False, non_empty=False) or []
    basic = _parse_http_basic(fields)
    _raise_violations(fields)
    assert name is not None and url is not None
    with get_runtime(request).store.transaction() as tx:
        _require_app(tx, appId)
        key = _callback_key(appId, callbackId)
        callback = tx.get("pa_callback", key)
        if callback is None:
            raise powerauth_admin_error(f"Callback URL with given ID is not present: {callbackId}")
        if not _valid_callback_url(url):
            raise powerauth_admin_error(f"Invalid callback URL: {url}")
        callback.update(name=name, callbackUrl=url, attributes=attributes)
        if basic is not None:
            auth = dict(callback["auth"])
            if basic.get("enabled") is not None:
                auth["enabled"] = basic["enabled"]
            if "username" in basic:
                auth["username"] = basic["username"]
            if basic.get("password") is not None:
                auth["password"] = basic["password"] or None
            callback["auth"] = auth
        tx.put("pa_callback", key, callback)
    return JSONResponse(_callback_view(callback))


@router.delete("/v2/admin/applications/{appId}/callbacks/{callbackId}")
async def delete_callback(request: Request, appId: str, callbackId: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        _require_app(tx, appId)
        if not tx.delete("pa_callback", _callback_key(appId, callbackId)):
            raise powerauth_admin_error(f"Callback URL with given ID is not present: {callbackId}")
    return JSONResponse(OK)


# --- internal ----------------------------------------------------------------------------------


@router.post("/internal/callback/operation", openapi_extra=doc_body({"operationId": str(uuid.UUID(int=1))}))
async def operation_callback(request: Request) -> JSONResponse:
    """Accepted and acknowledged; the emulator has no operations to refresh."""
    fields = await _body(request)
    op_id = fields.string("operationId")
    if op_id is not None:
        try:
            uuid.UUID(op_id)
        except ValueError:
            fields.violations.append(Violation("operationId", "must be a valid UUID", value=op_id))
    _raise_violations(fields, missing_style=True)
    return JSONResponse(OK)


# --- push configuration ------------------------------------------------------------------------


def _push_view(app_id: str, push: Doc | None) -> dict[str, Any]:
    push = push or {}
    apns, fcm, hms = push.get("apns"), push.get("fcm"), push.get("hms")
    return {
        "id": app_id,
        "apns": None if apns is None else {k: apns[k] for k in ("topic", "keyId", "teamId", "environment")},
        "fcm": None if fcm is None else {"projectId": fcm.get("projectId")},
        "hms": None if hms is None else {"projectId": hms["projectId"]},
    }


def _upsert_push(request: Request, app_id: str, platform: str, config: Doc) -> dict[str, Any]:
    with get_runtime(request).store.transaction() as tx:
        _require_app(tx, app_id)
        push = tx.get("pa_push", app_id) or {}
        push[platform] = config
        tx.put("pa_push", app_id, push)
    return _push_view(app_id, push)


def _delete_push(request: Request, app_id: str, platform: str) -> None:
    with get_runtime(request).store.transaction() as tx:
        _require_app(tx, app_id)
        push = tx.get("pa_push", app_id)
        if push is not None and platform in push:
            del push[platform]
            tx.put("pa_push", app_id, push)


def _check_base64(fields: Fields, name: str, value: str | None) -> None:
    if value is not None and not is_base64(value):
        fields.violations.append(Violation(name, "must be valid Base64", value=value))


def _project_id_from_service_account(key_b64: str) -> str | None:
    """FCM's natural default: ``project_id`` of the service-account JSON, if it is one."""
    try:
        data = json.loads(base64.b64decode(key_b64, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return None
    project = data.get("project_id") if isinstance(data, dict) else None
    return project if isinstance(project, str) and project else None


@router.get("/admin/applications/{id}/push")
async def get_push(request: Request, id: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        _require_app(tx, id)
        push = tx.get("pa_push", id)
    return JSONResponse(_push_view(id, push))


_APNS_EXAMPLE = {
    "topic": "com.wultra.apns.topic",
    "keyId": "ABC123DEFG",
    "teamId": "DEF123GHIJ",
    "environment": "PRODUCTION",
    "privateKeyBase64": "QmFzZTY0IGVuY29kZWQgcDggZmlsZQ==",
}


@router.post("/admin/applications/{id}/push/apns", openapi_extra=doc_body(_APNS_EXAMPLE))
async def upsert_apns(request: Request, id: str) -> JSONResponse:
    fields = await _body(request)
    values = {n: fields.string(n) for n in ("topic", "keyId", "teamId", "environment", "privateKeyBase64")}
    env = values["environment"]
    if env is not None and env.upper() not in APNS_ENVIRONMENTS:
        fields.violations.append(Violation("environment", "must be DEVELOPMENT or PRODUCTION", value=env))
    _check_base64(fields, "privateKeyBase64", values["privateKeyBase64"])
    _raise_violations(fields, missing_style=True)
    assert env is not None
    values["environment"] = env.upper()
    return JSONResponse(_upsert_push(request, id, "apns", values))


@router.delete("/admin/applications/{id}/push/apns")
async def delete_apns(request: Request, id: str) -> JSONResponse:
    _delete_push(request, id, "apns")
    return JSONResponse(OK)


@router.post(
    "/admin/applications/{id}/push/fcm",
    openapi_extra=doc_body({"projectId": "fcm-project-id", "privateKeyBase64": "eyJwcm9qZWN0X2lkIjoieCJ9"}),
)
async def upsert_fcm(request: Request, id: str) -> JSONResponse:
    fields = await _body(request)
    project_id = fields.string("projectId", required=False)
    key = fields.string("privateKeyBase64")
    _check_base64(fields, "privateKeyBase64", key)
    _raise_violations(fields, missing_style=True)
    assert key is not None
    config = {"projectId": project_id or _project_id_from_service_account(key), "privateKeyBase64": key}
    return JSONResponse(_upsert_push(request, id, "fcm", config))


@router.delete("/admin/applications/{id}/push/fcm")
async def delete_fcm(request: Request, id: str) -> JSONResponse:
    _delete_push(request, id, "fcm")
    return JSONResponse(OK)


_HMS_EXAMPLE = {
    "projectId": "hms-project-id",
    "appId": "my-app-id",
    "clientId": "my-client-id",
    "clientSecret": "my-client-secret",
}


@router.post("/admin/applications/{id}/push/hms", openapi_extra=doc_body(_HMS_EXAMPLE))
async def upsert_hms(request: Request, id: str) -> JSONResponse:
    fields = await _body(request)
    values = {n: fields.string(n) for n in ("projectId", "appId", "clientId", "clientSecret")}
    _raise_violations(fields, missing_style=True)
    return JSONResponse(_upsert_push(request, id, "hms", values))


@router.delete("/admin/applications/{id}/push/hms")
async def delete_hms(request: Request, id: str) -> JSONResponse:
    _delete_push(request, id, "hms")
    return JSONResponse(OK)
