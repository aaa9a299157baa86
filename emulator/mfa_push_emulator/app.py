"""Application factory: one FastAPI app, one port, all vendor APIs plus the control plane."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import platformdirs
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from mfa_push_emulator import _openapi, control, pingid, pingone, powerauth
from mfa_push_emulator._errors import (
    Api,
    ApiError,
    Violation,
    api_for_path,
    generic_error,
    pingid_error,
    pingone_invalid,
    powerauth_request_error,
)
from mfa_push_emulator._guard import DEFAULT_MAX_BODY_BYTES, Guard, HostPolicy
from mfa_push_emulator._middleware import api_middleware
from mfa_push_emulator._runtime import Runtime
from mfa_push_emulator._seed import ensure_seeded
from mfa_push_emulator._settings import Settings
from mfa_push_emulator._store import Store
from mfa_push_emulator._tls import TlsFiles

APP_NAME = "mfa-push-emulator"


def default_data_dir() -> Path:
    return Path(platformdirs.user_state_dir(APP_NAME))


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


def _allowed_methods(request: Request) -> str:
    """``Allow`` of a 405: the methods of the path's routes (FastAPI's names one route's); when a
    literal route and a template both match (``/applications/roles``, ``/applications/{id}``), the
    most literal one's, as the document describes that path."""
    matching: list[tuple[int, set[str]]] = []
    for route in request.app.state.all_routes:
        regex, methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        if regex is not None and methods and regex.match(request.url.path):
            matching.append((str(getattr(route, "path", "")).count("{"), set(methods)))
    fewest = min((params for params, _ in matching), default=0)
    return ", ".join(sorted(set().union(*(methods for params, methods in matching if params == fewest))))


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown URLs and wrong methods answer in the addressed API's envelope (405 with ``Allow``)."""
    assert isinstance(exc, StarletteHTTPException)
    api = api_for_path(request.url.path)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    if api is None:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)
    if api is Api.POWERAUTH:
        try:
            powerauth.check_auth(request)  # Spring Security answers 401 before routing
        except ApiError as auth_error:
            return auth_error.response()
    response = generic_error(api, exc.status_code, request.method).response()
    if "Allow" in headers:
        response.headers["Allow"] = headers["Allow"]
    return response


async def _disconnected(request: Request, exc: Exception) -> Response:
    """The client left, or the body passed the size limit and the 413 is already sent (``_guard``):
    nobody reads this answer, and it is no crash to log."""
    return Response(status_code=400)


async def _validation_error(request: Request, exc: Exception) -> Response:
    """Handlers parse bodies themselves; this only guards against FastAPI's 422 ever leaking."""
    api = api_for_path(request.url.path)
    if api is Api.POWERAUTH:
        return powerauth_request_error([Violation("request", "invalid request", missing=True)]).response()
    if api is Api.PINGID:
        return pingid_error(400, "INVALID_REQUEST", "The request could not be parsed.").response()
    if api is not None:
        return pingone_invalid("INVALID_VALUE", "body", "The request could not be parsed.").response()
    return JSONResponse({"error": "invalid request"}, status_code=400)


def create_app(
    data_dir: Path | str | None = None,
    settings: Settings | None = None,
    tls: TlsFiles | None = None,
    *,
    allowed_hosts: Iterable[str] = (),
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """Build the emulator over the SQLite file in ``data_dir`` (seeded on first use); ``tls`` is
    what the server serves HTTPS with, for ``/_emulator/info`` to name the CA. Host names other
    than loopback ones are answered only when in ``allowed_hosts`` (``*``: any); request bodies
    over ``max_body_bytes`` are refused with 413."""
    store = Store(Path(data_dir) if data_dir is not None else default_data_dir())
    with store.transaction() as tx:
        ensure_seeded(tx)
        powerauth.migrate_callback_keys(tx)
    startup = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        store.close()

    app = FastAPI(
        title="MFA push emulator",
        description="Local emulator of PowerAuth Cloud, PingOne MFA push credentials and PingID SDK.",
        version="0.1.0",
        lifespan=lifespan,
        redirect_slashes=False,  # unknown URLs get the API's 404 envelope, not a 307
    )
    app.state.runtime = Runtime(store=store, startup_settings=startup, settings=startup)
    app.state.tls = tls
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _disconnected)
    app.middleware("http")(api_middleware)
    _openapi.install(app)
    app.add_middleware(Guard, hosts=HostPolicy.of(allowed_hosts), max_body_bytes=max_body_bytes)  # outermost
    api_routers = (powerauth.router, pingone.auth_router, pingone.env_router, pingone.router, pingid.router)
    # Kept for the request counters: FastAPI wraps included routers, hiding route templates.
    app.state.api_routes = [route for router in api_routers for route in router.routes]
    for router in (*api_routers, control.router):
        app.include_router(router)
    # Every route with its full path (for `Allow`): FastAPI's own, the APIs', the control plane's.
    app.state.all_routes = [*app.router.routes, *app.state.api_routes, *control.router.routes]
    return app
