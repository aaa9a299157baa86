"""The one middleware in front of the vendor APIs: count, delay, fault, catch, sign, drip.

Order matters: a request is counted before any fault so tests see every attempt; crashes become
the addressed API's 500 envelope; PingID responses are signed after any fault so the signature
covers exactly the bytes that leave the process (spoiled answers included); a drip only slows how
they leave.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from mfa_push_emulator import pingid
from mfa_push_emulator._errors import Api, api_for_path, generic_error
from mfa_push_emulator._runtime import get_runtime

logger = logging.getLogger("mfa_push_emulator")

CallNext = Callable[[Request], Awaitable[Response]]


def route_template(request: Request) -> str:
    """``/powerauth/admin/applications/{id}`` rather than the concrete path (raw path if unrouted)."""
    partial: str | None = None
    for route in request.app.state.api_routes:
        match, _ = route.matches(request.scope)
        path = getattr(route, "path", None)
        if match is Match.FULL and path:
            return str(path)
        if match is Match.PARTIAL and partial is None and path:
            partial = str(path)
    return partial or request.url.path


async def _drain(response: Response) -> bytes:
    body_iterator = getattr(response, "body_iterator", None)
    if body_iterator is None:
        return bytes(response.body)
    chunks = [chunk if isinstance(chunk, bytes) else str(chunk).encode() async for chunk in body_iterator]
    return b"".join(chunks)


async def _run(request: Request, call_next: CallNext, api: Api) -> Response:
    """Run the handler to completion and buffer its body; crashes become the API's 500."""
    try:
        streamed = await call_next(request)
        body = await _drain(streamed)
    except Exception as exc:  # never let a handler bug crash the connection
        # Type only: exception messages could carry request data.
        logger.error("unhandled %s in %s %s", type(exc).__name__, request.method, route_template(request))
        return generic_error(api, 500, request.method).response()
    response = Response(content=body, status_code=streamed.status_code)
    response.raw_headers = list(streamed.raw_headers)
    return response


def steers_elsewhere(raw_path: bytes) -> bool:
    """A path whose segments would be routed as other segments once decoded: an encoded `/` or
    `\\`, or a `.`/`..` segment (plain or encoded). Vendor gateways refuse these; routing them on
    the decoded path would let an id address another object."""
    for segment in raw_path.decode("latin-1").split("/"):
        lowered = segment.lower()
        if "%2f" in lowered or "%5c" in lowered or "\\" in segment:
            return True
        if unquote(segment) in (".", ".."):
            return True
    return False


async def api_middleware(request: Request, call_next: CallNext) -> Response:
    api = api_for_path(request.url.path)
    if api is None:
        return await call_next(request)
    runtime = get_runtime(request)
    method = request.method
    if steers_elsewhere(request.scope.get("raw_path") or request.url.path.encode()):
        runtime.counters.hit(f"{method} (refused path)")
        response = generic_error(api, 400, method).response()
        return await pingid.sign_response(request, response) if api is Api.PINGID else response
    runtime.counters.hit(f"{method} {route_template(request)}")
    decision = runtime.faults.decide(method, request.url.path)
    runtime.counters.started()
    try:
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
        if decision.status is not None and not decision.after_commit:
            response = generic_error(api, decision.status, method).response()
        else:
            response = await _run(request, call_next, api)
            if decision.status is not None:  # the write happened; the client never learns it
                response = generic_error(api, decision.status, method).response()
            response = runtime.faults.spoil(response, decision)  # an answer fault: signed as it was sent
    finally:
        runtime.counters.finished()

    if api is Api.PINGID:
        response = await pingid.sign_response(request, response)
    return runtime.faults.drip(response, decision)
