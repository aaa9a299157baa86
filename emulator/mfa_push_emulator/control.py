"""Control plane under ``/_emulator``: discovery, faults, counters, reset, settings.

No authentication, but only loopback clients are served: the endpoints hand out secrets.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from mfa_push_emulator import _seed, pingone
from mfa_push_emulator._errors import ApiError
from mfa_push_emulator._faults import FaultConfig
from mfa_push_emulator._http import doc_body
from mfa_push_emulator._runtime import base_url, get_runtime
from mfa_push_emulator._tls import TlsFiles
from mfa_push_emulator._validate import BodyError, parse_json_object

PREFIX = "/_emulator"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return host == "localhost"


async def _loopback_only(request: Request) -> None:
    if not _is_loopback(request.client.host if request.client else None):
        raise ApiError(403, {"error": "the emulator control plane only answers loopback clients"})


router = APIRouter(prefix=PREFIX, tags=["Emulator control"], dependencies=[Depends(_loopback_only)])


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        return parse_json_object(raw)
    except BodyError as exc:
        raise ApiError(400, {"error": str(exc)}) from exc


@router.get("/health")
async def health() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/info")
async def info(request: Request) -> JSONResponse:
    """Everything a client needs to talk to the emulator, with URLs as this client reached us
    (https when serving TLS, with the CA file to trust in `tls`; `tls` is null over plain http)."""
    base = base_url(request)
    tls: TlsFiles | None = request.app.state.tls
    return JSONResponse(
        {
            "powerauth": {
                "baseUrl": f"{base}/powerauth",
                "username": _seed.POWERAUTH_USERNAME,
                "password": _seed.POWERAUTH_PASSWORD,
            },
            "pingone": {
                "apiUrl": f"{base}/pingone/v1",
                "authUrl": f"{base}/pingone-auth",
                "environmentId": _seed.PINGONE_ENVIRONMENT_ID,
                "clientId": _seed.PINGONE_CLIENT_ID,
                "clientSecret": _seed.PINGONE_CLIENT_SECRET,
                "applicationIds": [app_id for app_id, _ in _seed.PINGONE_APPLICATIONS],
            },
            "pingid": {
                "baseUrl": f"{base}/pingid/v1",
                "accountId": _seed.PINGID_ACCOUNT_ID,
                "apiKey": _seed.PINGID_API_KEY,
                "token": _seed.PINGID_TOKEN,
            },
            "tls": tls.info() if tls else None,
        }
    )


@router.get("/faults")
async def get_faults(request: Request) -> JSONResponse:
    return JSONResponse(get_runtime(request).faults.snapshot())


_FAULT_EXAMPLE = {
    "probability": 0.5,
    "statuses": [500, 503, 429],
    "latencyMs": 0,
    "afterCommit": False,
    "seed": 42,
    "pathPattern": "^/powerauth/",
}


@router.put("/faults", openapi_extra=doc_body(_FAULT_EXAMPLE))
async def put_faults(request: Request) -> JSONResponse:
    runtime = get_runtime(request)
    try:
        config = FaultConfig.from_wire(await _json(request))
    except ValueError as exc:
        raise ApiError(400, {"error": str(exc)}) from exc
    runtime.faults.configure(config)
    return JSONResponse(runtime.faults.snapshot())


@router.delete("/faults")
async def delete_faults(request: Request) -> JSONResponse:
    runtime = get_runtime(request)
    runtime.faults.clear()
    return JSONResponse(runtime.faults.snapshot())


@router.get("/requests")
async def get_requests(request: Request) -> JSONResponse:
    return JSONResponse(get_runtime(request).counters.snapshot())


@router.delete("/requests")
async def delete_requests(request: Request) -> JSONResponse:
    runtime = get_runtime(request)
    runtime.counters.clear()
    return JSONResponse(runtime.counters.snapshot())


@router.post("/reset")
async def reset(request: Request) -> JSONResponse:
    get_runtime(request).reset()
    return JSONResponse({"status": "ok"})


_LEGACY_FCM_EXAMPLE = {
    "environmentId": _seed.PINGONE_ENVIRONMENT_ID,
    "applicationId": _seed.PINGONE_APPLICATIONS[1][0],
    "key": "AAAA-legacy-fcm-server-key",
}


@router.post("/pingone/legacyFcmCredentials", status_code=201, openapi_extra=doc_body(_LEGACY_FCM_EXAMPLE))
async def add_legacy_fcm_credential(request: Request) -> JSONResponse:
    """A legacy `FCM` push credential (server key), as tenants made before PingOne refused new ones
    still hold; the API itself keeps refusing to create one. `environmentId` defaults to the
    seeded environment. Answers the credential as the API lists it."""
    body = await _json(request)
    unknown = set(body) - {"environmentId", "applicationId", "key"}
    if unknown:
        raise ApiError(400, {"error": f"unknown fields: {', '.join(sorted(unknown))}"})
    fields = {"environmentId": _seed.PINGONE_ENVIRONMENT_ID} | body
    for name in ("environmentId", "applicationId", "key"):
        value = fields.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, {"error": f"{name} must be a non-empty string"})
    env_id, app_id, key = str(fields["environmentId"]), str(fields["applicationId"]), str(fields["key"])
    runtime = get_runtime(request)
    try:
        with runtime.store.transaction() as tx:
            cred = pingone.add_legacy_fcm(tx, env_id, app_id, key, runtime.settings.one_credential_per_type)
    except LookupError as exc:
        raise ApiError(404, {"error": str(exc)}) from exc
    except ValueError as exc:
        raise ApiError(409, {"error": str(exc)}) from exc
    return JSONResponse(pingone.credential_view(request, cred), status_code=201)


@router.get("/settings")
async def get_settings(request: Request) -> JSONResponse:
    return JSONResponse(get_runtime(request).settings.to_wire())


@router.put(
    "/settings",
    openapi_extra=doc_body({"oneCredentialPerType": True, "tokenTtlSeconds": 3600, "serviceBaseUrl": ""}),
)
async def put_settings(request: Request) -> JSONResponse:
    runtime = get_runtime(request)
    try:
        runtime.update_settings(runtime.settings.merged(await _json(request)))
    except ValueError as exc:
        raise ApiError(400, {"error": str(exc)}) from exc
    return JSONResponse(runtime.settings.to_wire())
