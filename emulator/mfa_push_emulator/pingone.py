"""PingOne Platform API slice: worker token endpoint, applications, MFA push credentials.

Mounted under ``/pingone/v1`` (resource API, Bearer tokens) and ``/pingone-auth`` (token endpoint).
Errors use ``{"id","code","message","details"}``.
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, unquote

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from mfa_push_emulator import _seed
from mfa_push_emulator._errors import (
    ApiError,
    pingone_error,
    pingone_not_found,
    pingone_unauthorized,
)
from mfa_push_emulator._http import basic_credentials, doc_body
from mfa_push_emulator._runtime import base_url, get_runtime
from mfa_push_emulator._seed import now_iso
from mfa_push_emulator._store import Doc, Tx
from mfa_push_emulator._validate import BodyError, parse_json_object, type_name

API_PREFIX = "/pingone/v1"
AUTH_PREFIX = "/pingone-auth"

APP_TYPES = ("NATIVE_APP", "WEB_APP", "SINGLE_PAGE_APP", "WORKER", "SERVICE", "CUSTOM_APP")
PROTOCOLS = ("OPENID_CONNECT", "SAML")
CREDENTIAL_FIELDS: dict[str, tuple[str, ...]] = {
    "APNS": ("key", "teamId", "token"),
    "FCM_HTTP_V1": ("googleServiceAccountCredentials",),
    "HMS": ("clientId", "clientSecret"),
}
ALL_CREDENTIAL_FIELDS = frozenset(f for fs in CREDENTIAL_FIELDS.values() for f in fs)
_VALIDATION_MESSAGE = "The request could not be completed. One or more validation errors were in the request."


def _invalid(details: list[dict[str, str]]) -> ApiError:
    return pingone_error(400, "INVALID_DATA", _VALIDATION_MESSAGE, details)


def _detail(code: str, target: str, message: str) -> dict[str, str]:
    return {"code": code, "target": target, "message": message}


async def _json(request: Request) -> dict[str, Any]:
    try:
        return parse_json_object(await request.body())
    except BodyError as exc:
        raise _invalid([_detail("INVALID_VALUE", "body", f"The {exc}.")]) from exc


# --- token endpoint ----------------------------------------------------------------------------


def _oauth_error(status: int, error: str, description: str) -> ApiError:
    headers = {"WWW-Authenticate": 'Basic realm="PingOne"'} if status == 401 else {}
    return ApiError(status, {"error": error, "error_description": description}, headers)


auth_router = APIRouter(prefix=AUTH_PREFIX, tags=["PingOne auth"])


def _client(tx: Tx, env_id: str, client_id: str, client_secret: str) -> Doc:
    """The worker app these credentials authenticate, in ``env_id``; else 401 ``invalid_client``."""
    client = tx.get("p1_client", client_id) if client_id else None
    if (
        client is None
        or client["environmentId"] != env_id.lower()
        or not secrets.compare_digest(str(client["clientSecret"]).encode(), client_secret.encode())
    ):
        raise _oauth_error(401, "invalid_client", "Client authentication failed.")
    return client


@auth_router.post(
    "/{envId}/as/token",
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "grant_type": {"type": "string", "example": "client_credentials"},
                            "client_id": {"type": "string"},
                            "client_secret": {"type": "string"},
                        },
                    }
                }
            }
        }
    },
)
async def issue_token(request: Request, envId: str) -> JSONResponse:
    """OAuth 2 client credentials; the token really expires after ``tokenTtlSeconds``. Credentials
    in an HTTP Basic header are checked before the body is read (a bad client never sends it)."""
    runtime = get_runtime(request)
    creds = basic_credentials(request)
    if creds is not None:
        client_id, client_secret = unquote(creds[0]), unquote(creds[1])
        with runtime.store.transaction() as tx:
            _client(tx, envId, client_id, client_secret)
    raw = await request.body()
    try:
        form = dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    except (UnicodeDecodeError, ValueError):
        form = {}
    if creds is None:
        client_id, client_secret = form.get("client_id", ""), form.get("client_secret", "")
    ttl = runtime.settings.token_ttl_seconds
    now = time.time()
    with runtime.store.transaction() as tx:
        client = _client(tx, envId, client_id, client_secret)
        grant = form.get("grant_type")
        if not grant:
            raise _oauth_error(400, "invalid_request", "The request is missing the grant_type parameter.")
        if grant != "client_credentials":
            raise _oauth_error(400, "unsupported_grant_type", f"Unsupported grant type: {grant}.")
        for token_doc in tx.list("p1_token"):
            if token_doc["expiresAt"] <= now:
                tx.delete("p1_token", token_doc["token"])
        token = secrets.token_urlsafe(32)
        tx.put(
            "p1_token",
            token,
            {"token": token, "environmentId": client["environmentId"], "clientId": client_id, "expiresAt": now + ttl},
        )
    return JSONResponse(
        {"access_token": token, "token_type": "Bearer", "expires_in": ttl},
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )


# --- resource API ------------------------------------------------------------------------------


def _token_environment(request: Request) -> str:
    """The environment of the request's Bearer token: 401 for a missing, unknown or expired one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise pingone_unauthorized("The access token is missing.")
    with get_runtime(request).store.transaction() as tx:
        doc = tx.get("p1_token", token.strip())
    if doc is None or doc["expiresAt"] <= time.time():
        raise pingone_unauthorized()
    return str(doc["environmentId"])


def _no_access() -> ApiError:
    return pingone_error(403, "ACCESS_FAILED", "You do not have permissions to access this environment.")


async def _require_token(request: Request) -> None:
    """Resources under an environment: 401 for a bad token; 403 for any environment the token's
    worker app may not see, whether or not it exists (PingOne's clients then ask
    `GET /environments/{envId}` to tell a missing environment from a missing permission)."""
    if _token_environment(request) != str(request.path_params.get("envId", "")).lower():
        raise _no_access()


router = APIRouter(prefix=API_PREFIX, tags=["PingOne"], dependencies=[Depends(_require_token)])
#: `GET /environments/{envId}` itself, which checks its token in the handler: it answers 404 for
#: an unknown environment where the resources under one answer 403.
env_router = APIRouter(prefix=API_PREFIX, tags=["PingOne"])


def _env_href(request: Request, env_id: str) -> str:
    return f"{base_url(request)}{API_PREFIX}/environments/{env_id}"


def _app_href(request: Request, env_id: str, app_id: str) -> str:
    return f"{_env_href(request, env_id)}/applications/{app_id}"


def _env_view(request: Request, env: Doc) -> dict[str, Any]:
    """An environment as PingOne describes it; fields a data dir seeded before they existed
    lacks come from the seed."""
    doc = {**_seed.PINGONE_ENVIRONMENT, **env} if env["id"] == _seed.PINGONE_ENVIRONMENT_ID else env
    env_id = doc["id"]
    view: dict[str, Any] = {
        "_links": {
            "self": {"href": _env_href(request, env_id)},
            "applications": {"href": f"{_env_href(request, env_id)}/applications"},
        },
        "id": env_id,
    }
    for key in ("name", "description", "type", "region", "license", "organization", "createdAt", "updatedAt"):
        if key in doc:
            view[key] = doc[key]
    return view


@env_router.get("/environments/{envId}")
async def get_environment(request: Request, envId: str) -> JSONResponse:
    """200 for the token's own environment; 404 for an unknown one; 403 for another environment
    (the emulator's worker apps see only their own)."""
    env_id = envId.lower()
    own = _token_environment(request)
    with get_runtime(request).store.transaction() as tx:
        env = tx.get("p1_env", env_id)
    if env is None:
        raise pingone_not_found(f"Unable to find environment with id {envId}.")
    if env_id != own:
        raise _no_access()
    return JSONResponse(_env_view(request, env))


def _get_app(tx: Tx, env_id: str, app_id: str) -> Doc:
    app = tx.get("p1_app", (env_id.lower(), app_id.lower()))
    if app is None:
        raise pingone_not_found(f"Unable to find application with id {app_id}.")
    return app


_RESERVED_APP_FIELDS = frozenset({"id", "environment", "_links", "createdAt", "updatedAt", "environmentId"})


def _app_view(request: Request, app: Doc) -> dict[str, Any]:
    env_id = app["environmentId"]
    extra = {k: v for k, v in app.items() if k not in _RESERVED_APP_FIELDS}
    return {
        "_links": {
            "self": {"href": _app_href(request, env_id, app["id"])},
            "environment": {"href": _env_href(request, env_id)},
            "pushCredentials": {"href": f"{_app_href(request, env_id, app['id'])}/pushCredentials"},
        },
        "environment": {"id": env_id},
        "id": app["id"],
        **extra,
        "createdAt": app["createdAt"],
        "updatedAt": app["updatedAt"],
    }


def _validate_app(body: dict[str, Any]) -> None:
    details: list[dict[str, str]] = []
    for name, allowed in (("name", None), ("type", APP_TYPES), ("protocol", PROTOCOLS)):
        value = body.get(name)
        if value is None:
            if name != "protocol" or body.get("type") not in ("WORKER", "SERVICE"):
                details.append(_detail("REQUIRED_VALUE", name, f"{name} is required."))
        elif not isinstance(value, str) or not value.strip():
            details.append(_detail("INVALID_VALUE", name, f"{name} must be a non-blank string."))
        elif allowed is not None and value not in allowed:
            details.append(_detail("INVALID_VALUE", name, f"{name} must be one of {', '.join(allowed)}."))
    for name in ("enabled",):
        if name in body and not isinstance(body[name], bool):
            details.append(_detail("INVALID_VALUE", name, f"{name} must be a boolean."))
    if details:
        raise _invalid(details)


@router.post(
    "/environments/{envId}/applications",
    status_code=201,
    openapi_extra=doc_body({"name": "My iOS App", "type": "NATIVE_APP", "protocol": "OPENID_CONNECT"}),
)
async def create_application(request: Request, envId: str) -> JSONResponse:
    body = await _json(request)
    _validate_app(body)
    now = now_iso()
    extra = {k: v for k, v in body.items() if k not in _RESERVED_APP_FIELDS}
    app = {
        "enabled": True,
        **extra,
        "id": str(uuid.uuid4()),
        "environmentId": envId.lower(),
        "createdAt": now,
        "updatedAt": now,
    }
    with get_runtime(request).store.transaction() as tx:
        tx.put("p1_app", (app["environmentId"], app["id"]), app)
    return JSONResponse(_app_view(request, app), status_code=201)


@router.get("/environments/{envId}/applications")
async def list_applications(request: Request, envId: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        apps = tx.list("p1_app", (envId.lower(),))
    return JSONResponse(
        {
            "_links": {"self": {"href": f"{_env_href(request, envId.lower())}/applications"}},
            "_embedded": {"applications": [_app_view(request, a) for a in apps]},
            "count": len(apps),
            "size": len(apps),
        }
    )


@router.get("/environments/{envId}/applications/{appId}")
async def get_application(request: Request, envId: str, appId: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        app = _get_app(tx, envId, appId)
    return JSONResponse(_app_view(request, app))


@router.delete("/environments/{envId}/applications/{appId}", status_code=204)
async def delete_application(request: Request, envId: str, appId: str) -> Response:
    with get_runtime(request).store.transaction() as tx:
        app = _get_app(tx, envId, appId)
        parent = (app["environmentId"], app["id"])
        for cred in tx.list("p1_cred", parent):
            tx.delete("p1_cred", (*parent, cred["id"]))
        tx.delete("p1_app", parent)
    return Response(status_code=204)


# --- push credentials --------------------------------------------------------------------------


def _credential_values(body: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """Validate a push credential body: ``(type, secret fields)`` or 400 with every problem found."""
    cred_type = body.get("type")
    if cred_type is None:
        raise _invalid([_detail("REQUIRED_VALUE", "type", "type is required.")])
    if cred_type == "FCM":
        raise _invalid(
            [_detail("INVALID_VALUE", "type", "The FCM push credential type is no longer supported; use FCM_HTTP_V1.")]
        )
    if not isinstance(cred_type, str) or cred_type not in CREDENTIAL_FIELDS:
        raise _invalid([_detail("INVALID_VALUE", "type", f"type must be one of {', '.join(CREDENTIAL_FIELDS)}.")])
    details: list[dict[str, str]] = []
    values: dict[str, str] = {}
    for name in CREDENTIAL_FIELDS[cred_type]:
        value = body.get(name)
        if value is None:
            details.append(_detail("REQUIRED_VALUE", name, f"{name} is required for type {cred_type}."))
        elif not isinstance(value, str):
            details.append(_detail("INVALID_VALUE", name, f"{name} must be a string, not {type_name(value)}."))
        elif not value.strip():
            details.append(_detail("REQUIRED_VALUE", name, f"{name} must not be blank."))
        else:
            values[name] = value
    for name in sorted(ALL_CREDENTIAL_FIELDS - set(CREDENTIAL_FIELDS[cred_type])):
        if body.get(name) is not None:
            details.append(_detail("INVALID_VALUE", name, f"{name} is not allowed for type {cred_type}."))
    if details:
        raise _invalid(details)
    return cred_type, values


def _cred_key(env_id: str, app_id: str, cred_id: str) -> tuple[str, str, str]:
    return (env_id, app_id, cred_id)


def credential_view(request: Request, cred: Doc) -> dict[str, Any]:
    """A credential as the API shows it: never its secrets (also the control plane's answer)."""
    env_id, app_id = cred["environmentId"], cred["applicationId"]
    app_href = _app_href(request, env_id, app_id)
    view: dict[str, Any] = {
        "_links": {
            "self": {"href": f"{app_href}/pushCredentials/{cred['id']}"},
            "environment": {"href": _env_href(request, env_id)},
            "application": {"href": app_href},
        },
        "id": cred["id"],
        "environment": {"id": env_id},
        "application": {"id": app_id},
        "type": cred["type"],
        "createdAt": cred["createdAt"],
        "updatedAt": cred["updatedAt"],
    }
    if cred["type"] == "HMS":
        view["clientId"] = cred["values"]["clientId"]
    return view


def _get_cred(tx: Tx, app: Doc, cred_id: str) -> Doc:
    cred = tx.get("p1_cred", _cred_key(app["environmentId"], app["id"], cred_id.lower()))
    if cred is None:
        raise pingone_not_found(f"Unable to find push credential with id {cred_id}.")
    return cred


_APNS_EXAMPLE = {
    "type": "APNS",
    "key": "ABC123DEFG",
    "teamId": "DEF123GHIJ",
    "token": "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----",
}
_CRED_PATH = "/environments/{envId}/applications/{appId}/pushCredentials"


@router.get(_CRED_PATH)
async def list_credentials(request: Request, envId: str, appId: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        app = _get_app(tx, envId, appId)
        creds = tx.list("p1_cred", (app["environmentId"], app["id"]))
    return JSONResponse(
        {
            "_links": {"self": {"href": f"{_app_href(request, app['environmentId'], app['id'])}/pushCredentials"}},
            "_embedded": {"pushCredentials": [credential_view(request, c) for c in creds]},
            "count": len(creds),
            "size": len(creds),
        }
    )


@router.post(_CRED_PATH, status_code=201, openapi_extra=doc_body(_APNS_EXAMPLE))
async def create_credential(request: Request, envId: str, appId: str) -> JSONResponse:
    runtime = get_runtime(request)
    with runtime.store.transaction() as tx:
        app = _get_app(tx, envId, appId)
    cred_type, values = _credential_values(await _json(request))
    now = now_iso()
    with runtime.store.transaction() as tx:
        app = _get_app(tx, envId, appId)
        if app.get("type") != "NATIVE_APP":
            raise _invalid(
                [_detail("INVALID_VALUE", "application", "Push credentials require a NATIVE_APP application.")]
            )
        parent = (app["environmentId"], app["id"])
        if runtime.settings.one_credential_per_type and any(c["type"] == cred_type for c in tx.list("p1_cred", parent)):
            raise _invalid(
                [
                    _detail(
                        "UNIQUENESS_VIOLATION",
                        "type",
                        f"A push credential of type {cred_type} already exists for this application.",
                    )
                ]
            )
        cred = {
            "id": str(uuid.uuid4()),
            "environmentId": app["environmentId"],
            "applicationId": app["id"],
            "type": cred_type,
            "values": values,
            "createdAt": now,
            "updatedAt": now,
        }
        tx.put("p1_cred", (*parent, cred["id"]), cred)
    return JSONResponse(credential_view(request, cred), status_code=201)


def add_legacy_fcm(tx: Tx, env_id: str, app_id: str, key: str, one_per_type: bool) -> Doc:
    """Store a legacy `FCM` credential (server key), as tenants made before PingOne refused new
    ones still hold: for the control plane only, since the API refuses to create one. Raises
    ``LookupError`` for an unknown application, ``ValueError`` for one that cannot hold it."""
    app = tx.get("p1_app", (env_id.lower(), app_id.lower()))
    if app is None:
        raise LookupError(f"no PingOne application {app_id} in environment {env_id}")
    if app.get("type") != "NATIVE_APP":
        raise ValueError("push credentials require a NATIVE_APP application")
    parent = (app["environmentId"], app["id"])
    if one_per_type and any(c["type"] == "FCM" for c in tx.list("p1_cred", parent)):
        raise ValueError("the application already has a credential of type FCM (oneCredentialPerType)")
    now = now_iso()
    cred = {
        "id": str(uuid.uuid4()),
        "environmentId": app["environmentId"],
        "applicationId": app["id"],
        "type": "FCM",
        "values": {"key": key},
        "createdAt": now,
        "updatedAt": now,
    }
    tx.put("p1_cred", (*parent, cred["id"]), cred)
    return cred


@router.get(_CRED_PATH + "/{credentialId}")
async def get_credential(request: Request, envId: str, appId: str, credentialId: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        cred = _get_cred(tx, _get_app(tx, envId, appId), credentialId)
    return JSONResponse(credential_view(request, cred))


@router.put(_CRED_PATH + "/{credentialId}", openapi_extra=doc_body(_APNS_EXAMPLE))
async def update_credential(request: Request, envId: str, appId: str, credentialId: str) -> JSONResponse:
    """Full replacement of the secret fields; ``type`` must stay the same."""
    runtime = get_runtime(request)
    with runtime.store.transaction() as tx:
        _get_cred(tx, _get_app(tx, envId, appId), credentialId)
    cred_type, values = _credential_values(await _json(request))
    with runtime.store.transaction() as tx:
        app = _get_app(tx, envId, appId)
        cred = _get_cred(tx, app, credentialId)
        if cred_type != cred["type"]:
            raise _invalid([_detail("INVALID_VALUE", "type", "type is immutable.")])
        cred.update(values=values, updatedAt=now_iso())
        tx.put("p1_cred", _cred_key(app["environmentId"], app["id"], cred["id"]), cred)
    return JSONResponse(credential_view(request, cred))


@router.delete(_CRED_PATH + "/{credentialId}", status_code=204)
async def delete_credential(request: Request, envId: str, appId: str, credentialId: str) -> Response:
    with get_runtime(request).store.transaction() as tx:
        app = _get_app(tx, envId, appId)
        cred = _get_cred(tx, app, credentialId)
        tx.delete("p1_cred", _cred_key(app["environmentId"], app["id"], cred["id"]))
    return Response(status_code=204)
