"""PingID SDK Application API, mounted under ``/pingid/v1``.

Every request must carry ``Authorization: PINGID-HMAC=<JWS>`` over a canonical form of the request;
every response is signed the same way in ``X-PINGID-Signature`` so clients can verify us.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.responses import Response

from mfa_push_emulator._crypto import pingid_canonical, pingid_data_matches, pingid_sign, pingid_signed_data
from mfa_push_emulator._errors import ApiError, pingid_error, pingid_unauthorized
from mfa_push_emulator._http import doc_body
from mfa_push_emulator._runtime import base_url, get_runtime
from mfa_push_emulator._seed import PINGID_ACCOUNT_ID
from mfa_push_emulator._store import Doc, Tx
from mfa_push_emulator._validate import BodyError, parse_json_object, type_name

PREFIX = "/pingid/v1"
AUTH_SCHEME = "PINGID-HMAC="
SIGNATURE_HEADER = "X-PINGID-Signature"
CONSOLE_PREFIX = "_base64Format_"
_VALIDATION_MESSAGE = "The request could not be completed. One or more validation errors were in the request."


def _host(request: Request) -> str:
    """The Host header without its port (IPv6 literals keep their brackets)."""
    host = request.headers.get("host", "")
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.partition(":")[0]


def _paths(request: Request) -> list[str]:
    """Percent-decoded path, then as sent on the wire: clients differ in which one they sign."""
    decoded = str(request.scope["path"])  # not request.url.path: urlsplit drops \n and \t
    raw_path = request.scope.get("raw_path")
    raw = raw_path.decode("utf-8", "replace") if raw_path else decoded
    return [decoded] if raw == decoded else [decoded, raw]


def _canonical(request: Request, body: bytes, path: str) -> str:
    query = request.scope.get("query_string", b"").decode("utf-8", "replace")
    return pingid_canonical(request.method, _host(request), path, query, body)


def _account_from_path(request: Request) -> str:
    parts = request.url.path.split("/")
    # /pingid/v1/accounts/{accountId}/...
    if len(parts) > 4 and parts[3] == "accounts":
        return parts[4].lower()
    return PINGID_ACCOUNT_ID


async def _require_signature(request: Request) -> None:
    header = request.headers.get("authorization", "")
    if not header.startswith(AUTH_SCHEME):
        raise pingid_unauthorized()
    account_id = str(request.path_params.get("accountId", "")).lower()
    with get_runtime(request).store.transaction() as tx:
        account = tx.get("pid_account", account_id)
    if account is None:
        raise pingid_unauthorized()
    # The key, the account and the token first: a sender without them never has its body read.
    signed = pingid_signed_data(header[len(AUTH_SCHEME) :].strip(), account["apiKey"])
    if (
        signed is None
        or str(signed[0].get("account_id", "")).lower() != account["accountId"]
        or signed[0].get("token") != account["token"]
    ):
        raise pingid_unauthorized()
    body = await request.body()
    for path in _paths(request):
        if pingid_data_matches(signed[1], _canonical(request, body, path)):
            request.state.pingid_path = path  # sign the response over the same path form
            return
    raise pingid_unauthorized()


async def sign_response(request: Request, response: Response) -> Response:
    """Add ``X-PINGID-Signature`` over the exact response bytes (errors and faults included)."""
    runtime = get_runtime(request)
    with runtime.store.transaction() as tx:
        account = tx.get("pid_account", _account_from_path(request)) or tx.get("pid_account", PINGID_ACCOUNT_ID)
    if account is None:
        return response
    path = getattr(request.state, "pingid_path", None) or _paths(request)[0]
    canonical = _canonical(request, bytes(response.body), path)
    response.headers[SIGNATURE_HEADER] = pingid_sign(
        canonical, account["accountId"], account["token"], account["apiKey"]
    )
    return response


router = APIRouter(prefix=PREFIX, tags=["PingID SDK"], dependencies=[Depends(_require_signature)])


# --- representation ----------------------------------------------------------------------------


def _display_name(app: Doc) -> str:
    if app.get("consoleName"):
        return CONSOLE_PREFIX + base64.b64encode(str(app["name"]).encode("utf-8")).decode("ascii")
    return str(app["name"])


def _view(request: Request, account_id: str, app: Doc, links: tuple[str, ...]) -> dict[str, Any]:
    account_href = f"{base_url(request)}{PREFIX}/accounts/{account_id}"
    app_href = f"{account_href}/applications/{app['id']}"
    hrefs = {
        "certificates": f"{app_href}/certificates",
        "self": app_href,
        "attributes": f"{app_href}/attributes",
        "account": account_href,
    }
    view: dict[str, Any] = {name: {"href": hrefs[name]} for name in links}
    view.update(
        id=app["id"],
        name=_display_name(app),
        appEnabled=bool(app.get("appEnabled", False)),
        sharedBetweenAccounts=bool(app.get("sharedBetweenAccounts", False)),
    )
    if app.get("fcmSenderId") is not None:
        view["fcmSenderId"] = app["fcmSenderId"]
    return view


def _invalid(details: list[dict[str, str]]) -> ApiError:
    return pingid_error(400, "INVALID_DATA", _VALIDATION_MESSAGE, details=details)


def _detail(code: str, target: str, message: str) -> dict[str, str]:
    return {"code": code, "target": target, "message": message}


async def _json(request: Request) -> dict[str, Any]:
    try:
        return parse_json_object(await request.body())
    except BodyError as exc:
        raise pingid_error(400, "INVALID_REQUEST", f"The {exc}.") from exc


def _parse_uuid(value: str) -> str | None:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None


def _validate(body: dict[str, Any], *, require_id: bool) -> dict[str, Any]:
    """Collect every field problem; return normalized values (id lowercase)."""
    details: list[dict[str, str]] = []
    out: dict[str, Any] = {}
    raw_id = body.get("id")
    if raw_id is None:
        if require_id:
            details.append(_detail("REQUIRED_VALUE", "id", "id is required."))
    elif not isinstance(raw_id, str) or _parse_uuid(raw_id) is None:
        details.append(_detail("INVALID_VALUE", "id", "id must be a valid UUID."))
    else:
        out["id"] = _parse_uuid(raw_id)
    name = body.get("name")
    if name is None:
        details.append(_detail("REQUIRED_VALUE", "name", "name is required."))
    elif not isinstance(name, str):
        details.append(_detail("INVALID_VALUE", "name", f"name must be a string, not {type_name(name)}."))
    elif not name.strip():
        details.append(_detail("REQUIRED_VALUE", "name", "name must not be blank."))
    else:
        out["name"] = name
    enabled = body.get("appEnabled")
    if enabled is not None and not isinstance(enabled, bool):
        details.append(_detail("INVALID_VALUE", "appEnabled", "appEnabled must be a boolean."))
    out["appEnabled"] = bool(enabled)
    for key in ("fcmSenderId", "fcmServerKey"):
        value = body.get(key)
        if value is not None and not isinstance(value, str):
            details.append(_detail("INVALID_VALUE", key, f"{key} must be a string."))
        out[key] = value
    if details:
        raise _invalid(details)
    return out


def _app_key(account_id: str, app_id: str) -> tuple[str, str]:
    return (account_id, app_id)


def _check_unique_name(tx: Tx, account_id: str, name: str, exclude_id: str | None) -> None:
    folded = name.casefold()
    for other in tx.list("pid_app", (account_id,)):
        if other["id"] != exclude_id and (
            str(other["name"]).casefold() == folded or _display_name(other).casefold() == folded
        ):
            raise _invalid([_detail("UNIQUE_VALUE_REQUIRED", "name", "An application with this name already exists.")])


def _get_app(tx: Tx, account_id: str, app_id: str) -> Doc:
    app = tx.get("pid_app", _app_key(account_id.lower(), app_id.lower()))
    if app is None:
        raise pingid_error(404, "NOT_FOUND", f"Application {app_id} was not found.")
    return app


# --- endpoints ---------------------------------------------------------------------------------

_EXAMPLE = {"id": "cb869bc1-b136-4698-afce-5e6775333bbc", "name": "Moderno Application", "appEnabled": True}


@router.post("/accounts/{accountId}/applications", status_code=201, openapi_extra=doc_body(_EXAMPLE))
async def create_application(request: Request, accountId: str) -> JSONResponse:
    values = _validate(await _json(request), require_id=True)
    account_id = accountId.lower()
    with get_runtime(request).store.transaction() as tx:
        if tx.get("pid_app", _app_key(account_id, values["id"])) is not None:
            raise _invalid([_detail("UNIQUE_VALUE_REQUIRED", "id", "An application with this id already exists.")])
        _check_unique_name(tx, account_id, values["name"], None)
        shared = any(
            other["id"] == values["id"] for other in tx.list("pid_app") if other.get("accountId") != account_id
        )
        app = {**values, "accountId": account_id, "consoleName": False, "sharedBetweenAccounts": shared}
        tx.put("pid_app", _app_key(account_id, values["id"]), app)
    return JSONResponse(_view(request, account_id, app, ("self", "account")), status_code=201)


@router.get("/accounts/{accountId}/applications")
async def list_applications(request: Request, accountId: str) -> JSONResponse:
    account_id = accountId.lower()
    with get_runtime(request).store.transaction() as tx:
        apps = tx.list("pid_app", (account_id,))
    return JSONResponse({"applications": [_view(request, account_id, a, ()) for a in apps]})


@router.get("/accounts/{accountId}/applications/{applicationId}")
async def get_application(request: Request, accountId: str, applicationId: str) -> JSONResponse:
    with get_runtime(request).store.transaction() as tx:
        app = _get_app(tx, accountId, applicationId)
    return JSONResponse(_view(request, accountId.lower(), app, ("certificates", "self", "attributes", "account")))


@router.put("/accounts/{accountId}/applications/{applicationId}", openapi_extra=doc_body(_EXAMPLE))
async def update_application(request: Request, accountId: str, applicationId: str) -> JSONResponse:
    """Replace name/appEnabled/fcmSenderId; an absent ``fcmServerKey`` keeps the stored (never returned) one."""
    account_id = accountId.lower()
    with get_runtime(request).store.transaction() as tx:
        _get_app(tx, account_id, applicationId)
    values = _validate(await _json(request), require_id=False)
    with get_runtime(request).store.transaction() as tx:
        app = _get_app(tx, account_id, applicationId)
        if "id" in values and values["id"] != app["id"]:
            raise _invalid([_detail("INVALID_VALUE", "id", "id does not match the application in the URL.")])
        if values["name"] != _display_name(app):
            _check_unique_name(tx, account_id, values["name"], app["id"])
            app.update(name=values["name"], consoleName=False)
        app.update(appEnabled=values["appEnabled"], fcmSenderId=values["fcmSenderId"])
        if values["fcmServerKey"] is not None:
            app["fcmServerKey"] = values["fcmServerKey"]
        tx.put("pid_app", _app_key(account_id, app["id"]), app)
    return JSONResponse(_view(request, account_id, app, ("self", "attributes", "account")))
