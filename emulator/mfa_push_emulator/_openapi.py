"""The published OpenAPI document: what each route really answers, per API.

FastAPI derives paths and parameters from the routes; handlers parse their own bodies (so each API
can answer in its own envelope), so everything else is written here: request bodies, every status
code a route answers with the envelope it comes in, the security scheme of each API, path
parameter formats, and the headers that always come (``Retry-After`` on 429, ``X-PINGID-Signature``
on every PingID answer). FastAPI's 422, which no route ever answers, is gone.

Answers every API route may give besides its own: 403 for a Host name the emulator does not serve
(``_guard``), and the injected faults of ``/_emulator/faults`` (429, 500, 502, 503 and 504 are
documented; a fault configured with another status answers that one). Unknown URLs answer 404,
and methods a path does not have 405 with ``Allow``, in the API's envelope.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from mfa_push_emulator import _seed
from mfa_push_emulator._errors import Api, api_for_path

JSON = "application/json"
FAULTS = (429, 500, 502, 503, 504)
Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(required: dict[str, Schema], optional: dict[str, Schema] | None = None, **extra: Any) -> Schema:
    return {
        "type": "object",
        "properties": {**required, **(optional or {})},
        "required": list(required),
        **extra,
    }


STRING: Schema = {"type": "string"}
NON_BLANK: Schema = {"type": "string", "pattern": r"\S"}  # what str.strip() does not empty
BOOL: Schema = {"type": "boolean"}
UUID: Schema = {"type": "string", "format": "uuid"}
LINK: Schema = _obj({"href": STRING})
BASE64: Schema = {
    "type": "string",
    "minLength": 4,
    "pattern": r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})$",
}
#: powerauth.SAFE_APP_ID without its lookahead: the safe alphabet, but not `.` or `..`.
POWERAUTH_ID: Schema = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": r"^(?:\.{0,2}[A-Za-z0-9_~:@+-]|\.{3})[A-Za-z0-9_.~:@+-]*$",
}
CALLBACK_URL: Schema = {
    "type": "string",
    "maxLength": 1024,
    "pattern": r"^https?://[A-Za-z0-9](?:[A-Za-z0-9.-]{0,61}[A-Za-z0-9])?(?::[1-9][0-9]{0,3})?(?:/[A-Za-z0-9._~/-]*)?$",
}

# --- envelopes and bodies ----------------------------------------------------------------------


def _page(key: str, item: str) -> Schema:
    """A PingOne collection: ``_embedded.<key>`` holds the items."""
    integer = {"type": "integer"}
    embedded = _obj({key: {"type": "array", "items": _ref(item)}})
    return _obj({"_links": {"type": "object"}, "_embedded": embedded, "count": integer, "size": integer})


_VIOLATION = _obj({"fieldName": STRING, "hint": STRING}, {"invalidValue": {}})
_PINGONE_DETAIL = _obj({"code": STRING, "message": STRING}, {"target": STRING})
_APP_TYPES = ["NATIVE_APP", "WEB_APP", "SINGLE_PAGE_APP", "WORKER", "SERVICE", "CUSTOM_APP"]
_PUSH_CONFIG = {"type": ["object", "null"]}

SCHEMAS: dict[str, Schema] = {
    # PowerAuth Cloud
    "PowerAuthError": _obj(
        {
            "status": {"const": "ERROR"},
            "responseObject": _obj(
                {"code": STRING, "message": STRING}, {"violations": {"type": "array", "items": _VIOLATION}}
            ),
        },
        description="400 ERROR_REQUEST (violations), 400 ERROR_ADMIN, 401 HTTP_401, 404 ERROR_NOT_FOUND, "
        "405 ERROR_REQUEST, 500 ERROR_GENERIC, 502/503/504 ERROR_INTERNAL_API, others HTTP_<status>",
    ),
    "PowerAuthOk": _obj({"status": {"const": "OK"}}),
    "PowerAuthApplication": _obj(
        {
            "id": STRING,
            "serviceBaseUrl": STRING,
            "mobileSdkConfig": STRING,
            "roles": {"type": "array", "items": STRING},
            "appKey": STRING,
            "appSecret": STRING,
            "masterServerPublicKey": STRING,
        }
    ),
    "PowerAuthApplicationList": _obj({"applications": {"type": "array", "items": _obj({"id": STRING})}}),
    "PowerAuthCallback": _obj(
        {
            "applicationId": STRING,
            "callbackId": STRING,
            "name": STRING,
            "type": {"enum": ["REGISTRATION_STATUS_CHANGE", "OPERATION_STATUS_CHANGE"]},
            "callbackUrl": STRING,
            "attributes": {"type": "array", "items": STRING},
            "authentication": _obj(
                {"httpBasic": _obj({"enabled": BOOL, "username": {"type": ["string", "null"]}, "passwordSet": BOOL})}
            ),
        }
    ),
    "PowerAuthCallbackList": _obj({"callbacks": {"type": "array", "items": _ref("PowerAuthCallback")}}),
    "PowerAuthPush": _obj({"id": STRING, "apns": _PUSH_CONFIG, "fcm": _PUSH_CONFIG, "hms": _PUSH_CONFIG}),
    # PingOne
    "PingOneError": _obj(
        {"id": STRING, "code": STRING, "message": STRING},
        {"details": {"type": "array", "items": _PINGONE_DETAIL}},
        description="400 INVALID_DATA (details) or INVALID_REQUEST, 401 ACCESS_FAILED (INVALID_TOKEN), "
        "403 ACCESS_FAILED, 404 NOT_FOUND, 405 METHOD_NOT_ALLOWED, 413 INVALID_REQUEST, 429 REQUEST_LIMITED, "
        "5xx UNEXPECTED_ERROR",
    ),
    "OAuthError": _obj(
        {
            "error": {"enum": ["invalid_client", "invalid_request", "unsupported_grant_type"]},
            "error_description": STRING,
        }
    ),
    "PingOneToken": _obj(
        {"access_token": STRING, "token_type": {"const": "Bearer"}, "expires_in": {"type": "integer"}}
    ),
    "PingOneEnvironment": _obj(
        {"_links": {"type": "object"}, "id": STRING},
        {"name": STRING, "type": STRING, "region": STRING, "license": {"type": "object"}},
    ),
    "PingOneApplication": _obj(
        {
            "_links": _obj({"self": LINK, "environment": LINK, "pushCredentials": LINK}),
            "environment": _obj({"id": STRING}),
            "id": STRING,
            "createdAt": STRING,
            "updatedAt": STRING,
        }
    ),
    "PingOneApplicationList": _page("applications", "PingOneApplication"),
    "PingOnePushCredential": _obj(
        {
            "_links": _obj({"self": LINK, "environment": LINK, "application": LINK}),
            "id": STRING,
            "environment": _obj({"id": STRING}),
            "application": _obj({"id": STRING}),
            "type": {"enum": ["APNS", "FCM_HTTP_V1", "HMS", "FCM"]},
            "createdAt": STRING,
            "updatedAt": STRING,
        },
        {"clientId": STRING},
    ),
    "PingOnePushCredentialList": _page("pushCredentials", "PingOnePushCredential"),
    # PingID SDK
    "PingIdError": _obj(
        {"id": STRING, "code": STRING, "message": STRING},
        {"target": STRING, "details": {"type": "array", "items": _PINGONE_DETAIL}},
        description="400 INVALID_DATA (details) or INVALID_REQUEST, 401 UNAUTHORIZED_REQ, 404 NOT_FOUND, "
        "405 METHOD_NOT_ALLOWED, 429 REQUEST_LIMITED, 5xx UNEXPECTED_ERROR, others INVALID_REQUEST",
    ),
    "PingIdApplication": _obj(
        {"id": STRING, "name": STRING, "appEnabled": BOOL, "sharedBetweenAccounts": BOOL},
        {"fcmSenderId": STRING, "self": LINK, "account": LINK, "attributes": LINK, "certificates": LINK},
    ),
    "PingIdApplicationList": _obj({"applications": {"type": "array", "items": _ref("PingIdApplication")}}),
    # control plane
    "ControlError": _obj({"error": STRING}),
}

_NULLABLE_STRING: Schema = {"type": ["string", "null"]}
_ROLES: Schema = {"type": "array", "items": NON_BLANK}
_HTTP_BASIC: Schema = {
    "type": ["object", "null"],
    "properties": {
        "httpBasic": {
            "type": ["object", "null"],
            "properties": {
                "enabled": {"type": ["boolean", "null"]},
                "username": {"type": ["string", "null"], "maxLength": 255},
                "password": _NULLABLE_STRING,
            },
        }
    },
}
_CALLBACK_FIELDS: dict[str, Schema] = {"name": {**NON_BLANK, "maxLength": 255}, "callbackUrl": CALLBACK_URL}
_CALLBACK_OPTIONAL: dict[str, Schema] = {
    "attributes": {"type": ["array", "null"], "items": NON_BLANK},
    "authentication": _HTTP_BASIC,
}


def _credential(cred_type: str, fields: tuple[str, ...], others: tuple[str, ...]) -> Schema:
    return _obj(
        {"type": {"const": cred_type}, **dict.fromkeys(fields, NON_BLANK)},
        {name: {"type": "null"} for name in others},
    )


_CREDENTIAL: Schema = {
    "oneOf": [
        _credential(
            "APNS", ("key", "teamId", "token"), ("googleServiceAccountCredentials", "clientId", "clientSecret")
        ),
        _credential(
            "FCM_HTTP_V1", ("googleServiceAccountCredentials",), ("key", "teamId", "token", "clientId", "clientSecret")
        ),
        _credential("HMS", ("clientId", "clientSecret"), ("key", "teamId", "token", "googleServiceAccountCredentials")),
    ]
}
_PINGID_OPTIONAL: dict[str, Schema] = {
    "appEnabled": {"type": ["boolean", "null"]},
    "fcmSenderId": _NULLABLE_STRING,
    "fcmServerKey": _NULLABLE_STRING,
}

#: Request bodies: schema-valid is accepted, the rest is refused (handlers check the same rules).
BODIES: dict[tuple[str, str], Schema] = {
    ("POST", "/powerauth/admin/applications"): _obj(
        {"id": POWERAUTH_ID}, {"roles": {**_ROLES, "type": ["array", "null"]}}
    ),
    ("POST", "/powerauth/admin/applications/roles"): _obj({"id": POWERAUTH_ID, "roles": {**_ROLES, "minItems": 1}}),
    ("POST", "/powerauth/admin/applications/{id}/roles/remove"): _obj({"roles": {**_ROLES, "minItems": 1}}),
    ("POST", "/powerauth/v2/admin/applications/{appId}/callbacks"): _obj(
        {**_CALLBACK_FIELDS, "type": {"enum": ["REGISTRATION_STATUS_CHANGE", "OPERATION_STATUS_CHANGE"]}},
        _CALLBACK_OPTIONAL,
    ),
    ("PUT", "/powerauth/v2/admin/applications/{appId}/callbacks/{callbackId}"): _obj(
        _CALLBACK_FIELDS, _CALLBACK_OPTIONAL
    ),
    ("POST", "/powerauth/internal/callback/operation"): _obj({"operationId": UUID}),
    ("POST", "/powerauth/admin/applications/{id}/push/apns"): _obj(
        {
            "topic": NON_BLANK,
            "keyId": NON_BLANK,
            "teamId": NON_BLANK,
            "environment": {"enum": ["DEVELOPMENT", "PRODUCTION", "development", "production"]},
            "privateKeyBase64": BASE64,
        }
    ),
    ("POST", "/powerauth/admin/applications/{id}/push/fcm"): _obj(
        {"privateKeyBase64": BASE64}, {"projectId": _NULLABLE_STRING}
    ),
    ("POST", "/powerauth/admin/applications/{id}/push/hms"): _obj(
        dict.fromkeys(("projectId", "appId", "clientId", "clientSecret"), NON_BLANK)
    ),
    ("POST", "/pingone/v1/environments/{envId}/applications"): {
        **_obj(
            {"name": NON_BLANK, "type": {"enum": _APP_TYPES}},
            {"protocol": {"enum": ["OPENID_CONNECT", "SAML", None]}, "enabled": BOOL},
        ),
        # protocol may be left out for WORKER and SERVICE applications only
        "anyOf": [
            {"required": ["protocol"], "properties": {"protocol": {"enum": ["OPENID_CONNECT", "SAML"]}}},
            {"properties": {"type": {"enum": ["WORKER", "SERVICE"]}}},
        ],
    },
    ("POST", "/pingone/v1/environments/{envId}/applications/{appId}/pushCredentials"): _CREDENTIAL,
    ("PUT", "/pingone/v1/environments/{envId}/applications/{appId}/pushCredentials/{credentialId}"): _CREDENTIAL,
    ("POST", "/pingid/v1/accounts/{accountId}/applications"): _obj({"id": UUID, "name": NON_BLANK}, _PINGID_OPTIONAL),
    ("PUT", "/pingid/v1/accounts/{accountId}/applications/{applicationId}"): _obj(
        {"name": NON_BLANK}, {"id": UUID, **_PINGID_OPTIONAL}
    ),
}

_TOKEN_FORM: Schema = _obj(
    {"grant_type": {"const": "client_credentials"}},
    {"client_id": STRING, "client_secret": STRING},
)

# --- what each operation answers ---------------------------------------------------------------

#: (success status, its schema or None for no body, the error statuses it answers besides faults)
Outcome = tuple[int, str | None, tuple[int, ...]]
_PA_READ = (400, 401, 403)
_PA_WRITE = (400, 401, 403, 413)
_P1 = (400, 401, 403, 404)
_P1_WRITE = (400, 401, 403, 404, 413)
_PID = (400, 401, 403, 404, 413)
_CONTROL = (403,)
_CONTROL_WRITE = (400, 403, 413)
_P1_ENV = "/pingone/v1/environments/{envId}"
_P1_CREDS = _P1_ENV + "/applications/{appId}/pushCredentials"
_PID_APPS = "/pingid/v1/accounts/{accountId}/applications"

OUTCOMES: dict[tuple[str, str], Outcome] = {
    ("GET", "/powerauth/admin/applications"): (200, "PowerAuthApplicationList", (401, 403)),
    ("POST", "/powerauth/admin/applications"): (200, "PowerAuthApplication", (400, 401, 403, 413)),
    ("POST", "/powerauth/admin/applications/roles"): (200, "PowerAuthOk", (400, 401, 403, 413)),
    ("GET", "/powerauth/admin/applications/{id}"): (200, "PowerAuthApplication", _PA_READ),
    ("POST", "/powerauth/admin/applications/{id}/roles/remove"): (200, "PowerAuthOk", _PA_WRITE),
    ("POST", "/powerauth/v2/admin/applications/{appId}/callbacks"): (200, "PowerAuthCallback", _PA_WRITE),
    ("GET", "/powerauth/v2/admin/applications/{appId}/callbacks"): (200, "PowerAuthCallbackList", _PA_READ),
    ("PUT", "/powerauth/v2/admin/applications/{appId}/callbacks/{callbackId}"): (200, "PowerAuthCallback", _PA_WRITE),
    ("DELETE", "/powerauth/v2/admin/applications/{appId}/callbacks/{callbackId}"): (200, "PowerAuthOk", _PA_READ),
    ("POST", "/powerauth/internal/callback/operation"): (200, "PowerAuthOk", (400, 401, 403, 413)),
    ("GET", "/powerauth/admin/applications/{id}/push"): (200, "PowerAuthPush", _PA_READ),
    **{
        ("POST", f"/powerauth/admin/applications/{{id}}/push/{p}"): (200, "PowerAuthPush", _PA_WRITE)
        for p in ("apns", "fcm", "hms")
    },
    **{
        ("DELETE", f"/powerauth/admin/applications/{{id}}/push/{p}"): (200, "PowerAuthOk", _PA_READ)
        for p in ("apns", "fcm", "hms")
    },
    ("POST", "/pingone-auth/{envId}/as/token"): (200, "PingOneToken", (400, 401, 403, 413)),
    ("GET", _P1_ENV): (200, "PingOneEnvironment", _P1),
    ("POST", _P1_ENV + "/applications"): (201, "PingOneApplication", (400, 401, 403, 413)),
    ("GET", _P1_ENV + "/applications"): (200, "PingOneApplicationList", (400, 401, 403)),
    ("GET", _P1_ENV + "/applications/{appId}"): (200, "PingOneApplication", _P1),
    ("DELETE", _P1_ENV + "/applications/{appId}"): (204, None, _P1),
    ("GET", _P1_CREDS): (200, "PingOnePushCredentialList", _P1),
    ("POST", _P1_CREDS): (201, "PingOnePushCredential", _P1_WRITE),
    ("GET", _P1_CREDS + "/{credentialId}"): (200, "PingOnePushCredential", _P1),
    ("PUT", _P1_CREDS + "/{credentialId}"): (200, "PingOnePushCredential", _P1_WRITE),
    ("DELETE", _P1_CREDS + "/{credentialId}"): (204, None, _P1),
    ("POST", _PID_APPS): (201, "PingIdApplication", (400, 401, 403, 413)),
    ("GET", _PID_APPS): (200, "PingIdApplicationList", (400, 401, 403, 413)),
    ("GET", _PID_APPS + "/{applicationId}"): (200, "PingIdApplication", _PID),
    ("PUT", _PID_APPS + "/{applicationId}"): (200, "PingIdApplication", _PID),
    ("PUT", "/_emulator/faults"): (200, None, _CONTROL_WRITE),
    ("PUT", "/_emulator/settings"): (200, None, _CONTROL_WRITE),
    ("POST", "/_emulator/pingone/legacyFcmCredentials"): (201, "PingOnePushCredential", (400, 403, 404, 409, 413)),
}

_DESCRIPTIONS = {
    400: "Malformed or invalid request, or a path whose segments would address another object",
    401: "Missing or wrong credentials",
    403: "Not allowed: a Host name the emulator does not serve (or, on the control plane, a foreign "
    "Origin or a non-loopback client; on PingOne, an environment the token may not see)",
    404: "No such object",
    409: "Conflict with what is stored",
    413: "The request body is larger than the emulator's limit (serve --max-body-bytes)",
    429: "Injected fault (rate limited)",
    500: "Injected fault, or a crash of the handler",
    502: "Injected fault",
    503: "Injected fault",
    504: "Injected fault",
}

SECURITY_SCHEMES = {
    "PowerAuthBasic": {"type": "http", "scheme": "basic", "description": "A PowerAuth admin user"},
    "PingOneClient": {"type": "http", "scheme": "basic", "description": "Worker client id and secret"},
    "PingOneBearer": {"type": "http", "scheme": "bearer", "description": "An access token of the token endpoint"},
    "PingIdHmac": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "PINGID-HMAC=<JWS>: HS256 with the account's API key over the canonical request",
    },
}

_SIGNATURE_HEADER = {
    "X-PINGID-Signature": {
        "required": True,
        "description": "JWS over the canonical response, signed like requests",
        "schema": STRING,
    }
}
_RETRY_AFTER = {"Retry-After": {"required": True, "description": "Seconds to wait", "schema": STRING}}

_POWERAUTH_APP: Schema = {**POWERAUTH_ID, "example": "MY_APP_01"}
_SOME_UUID = "5b3c0f3e-6a0b-4b8e-9a57-1b2c3d4e5f60"
_PINGONE_ENV: Schema = {**UUID, "example": _seed.PINGONE_ENVIRONMENT_ID}
_PATH_PARAMETERS: dict[tuple[Api, str], Schema] = {
    (Api.POWERAUTH, "id"): _POWERAUTH_APP,
    (Api.POWERAUTH, "appId"): _POWERAUTH_APP,
    (Api.POWERAUTH, "callbackId"): {**STRING, "example": _SOME_UUID},
    (Api.PINGONE_AUTH, "envId"): _PINGONE_ENV,
    (Api.PINGONE, "envId"): _PINGONE_ENV,
    (Api.PINGONE, "appId"): {**UUID, "example": _seed.PINGONE_APPLICATIONS[0][0]},
    (Api.PINGONE, "credentialId"): {**UUID, "example": _SOME_UUID},
    (Api.PINGID, "accountId"): {**UUID, "example": _seed.PINGID_ACCOUNT_ID},
    (Api.PINGID, "applicationId"): {**UUID, "example": _seed.PINGID_CONSOLE_APP_ID},
}


def _error_schema(api: Api | None, path: str, status: int) -> Schema:
    if api is Api.POWERAUTH:
        return _ref("PowerAuthError")
    if api is Api.PINGID:
        return _ref("PingIdError")
    if api is Api.PINGONE_AUTH and status in (400, 401):
        # the token endpoint's own refusals are OAuth's; a refused path or a fault is PingOne's
        return {"anyOf": [_ref("OAuthError"), _ref("PingOneError")]}
    if api is not None:
        return _ref("PingOneError")
    return _ref("ControlError")


def _response(description: str, schema: Schema | None, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"description": description}
    if schema is not None:
        out["content"] = {JSON: {"schema": schema}}
    if headers:
        out["headers"] = headers
    return out


def _responses(method: str, path: str, default_success: dict[str, Any]) -> dict[str, Any]:
    api = api_for_path(path)
    status, schema_name, errors = OUTCOMES.get((method, path), (200, None, _CONTROL))
    signed = _SIGNATURE_HEADER if api is Api.PINGID else None
    if schema_name is None and status == 200:  # the control plane's own answers: keep FastAPI's description
        success = {**default_success, "content": {JSON: {"schema": {"type": "object"}}}}
    else:
        success = _response("Success", _ref(schema_name) if schema_name else None, signed)
    responses: dict[str, Any] = {str(status): success}
    for code in sorted({*errors, *(FAULTS if api is not None else ())}):
        headers = {**(signed or {}), **(_RETRY_AFTER if code == 429 else {})}
        responses[str(code)] = _response(_DESCRIPTIONS[code], _error_schema(api, path, code), headers or None)
    if api is Api.PINGONE_AUTH:
        responses["401"]["headers"] = {"WWW-Authenticate": {"required": False, "schema": STRING}}
    return responses


def _security(api: Api | None) -> list[dict[str, list[str]]] | None:
    scheme = (
        {
            Api.POWERAUTH: "PowerAuthBasic",
            Api.PINGONE: "PingOneBearer",
            Api.PINGONE_AUTH: "PingOneClient",
            Api.PINGID: "PingIdHmac",
        }.get(api)
        if api is not None
        else None
    )
    return [{scheme: []}] if scheme else None


def build(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    for path, operations in doc.get("paths", {}).items():
        for method, op in operations.items():
            key = (method.upper(), path)
            api = api_for_path(path)
            op["responses"] = _responses(key[0], path, op.get("responses", {}).get("200", {}))
            security = _security(api)
            if security:
                op["security"] = security
            for parameter in op.get("parameters", []):
                schema = _PATH_PARAMETERS.get((api, parameter["name"])) if api is not None else None
                if parameter.get("in") == "path" and schema is not None:
                    parameter["schema"] = dict(schema)
            if key in BODIES:
                content = op.setdefault("requestBody", {"required": True}).setdefault("content", {})
                example = content.get(JSON, {}).get("example")
                content[JSON] = {"schema": BODIES[key], **({"example": example} if example is not None else {})}
                op["requestBody"]["required"] = True
            elif key == ("POST", "/pingone-auth/{envId}/as/token"):
                op["requestBody"] = {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": _TOKEN_FORM}},
                }
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas.update(SCHEMAS)
    components["securitySchemes"] = SECURITY_SCHEMES
    return doc


def install(app: FastAPI) -> None:
    """Serve :func:`build`'s document at ``/openapi.json`` (and ``/docs``), built once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
