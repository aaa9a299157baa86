"""In front of every route: which Host names are served, which Origins may drive the control
plane, and how large a request body may be.

- Host: only loopback names (``localhost``, ``127.0.0.0/8``, ``::1``) and those the user names
  (``serve --allow-host``) are answered, on every route: a page that rebinds its own DNS name to
  127.0.0.1 reaches the emulator under that name, and is refused (403).
- Origin: a browser names the page that sent a request; on routes that are not a vendor API (the
  control plane, the docs) a foreign Origin is refused (403), so no web page can reset the data
  or read ``/_emulator/info`` with a cross-site request.
- Body size: at most ``max_body_bytes`` (413 in the addressed API's envelope), counted as the
  body arrives (a declared ``Content-Length`` over the limit is refused before any byte is read,
  and a chunked body when it passes the limit). Handlers authenticate before they read the body
  where the protocol allows it, so a request without valid credentials is answered without it.
  The 413 is sent from here, and the handler that asked for more body is told the client left
  (``http.disconnect``): its own answer goes nowhere.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mfa_push_emulator import pingid
from mfa_push_emulator._errors import Api, ApiError, api_for_path, refusal

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: `--allow-host '*'`: every Host (no protection against DNS rebinding).
ANY_HOST = "*"


def host_name(value: str) -> str:
    """``localhost`` of ``LocalHost.:8787``, ``::1`` of ``[::1]:8787``: no port, no brackets,
    lowercase, no trailing dot."""
    value = value.strip().lower()
    if value.startswith("["):
        name = value[1 : value.find("]")] if "]" in value else value[1:]
    elif value.count(":") == 1:
        name = value.partition(":")[0]
    else:
        name = value  # a bare IPv6 literal, or a name without a port
    return name.rstrip(".")


def is_loopback(name: str) -> bool:
    if name == "localhost":
        return True
    try:
        address = ipaddress.ip_address(name.split("%", 1)[0])
    except ValueError:
        return False
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return (mapped or address).is_loopback


@dataclass(frozen=True)
class HostPolicy:
    """Loopback names, plus ``allowed`` (lowercase names, or ``*`` for any)."""

    allowed: frozenset[str] = frozenset()

    @classmethod
    def of(cls, names: Iterable[str]) -> HostPolicy:
        return cls(frozenset(host_name(n) if n.strip() != ANY_HOST else ANY_HOST for n in names if n.strip()))

    def allows(self, name: str) -> bool:
        return ANY_HOST in self.allowed or is_loopback(name) or name in self.allowed


def _quoted(value: str) -> str:
    return repr(value[:100] + ("..." if len(value) > 100 else ""))


class Guard:
    """Pure ASGI middleware: refusals are answered before the app runs; the body limit is
    enforced by the ``receive`` the app reads from."""

    def __init__(self, app: ASGIApp, hosts: HostPolicy, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self.app = app
        self.hosts = hosts
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        api = api_for_path(str(scope["path"]))
        host = headers.get("host")
        if host is not None and not self.hosts.allows(host_name(host)):
            message = (
                f"the emulator does not answer for Host {_quoted(host)}: only loopback names (localhost, "
                "127.0.0.1, ::1) and those named with `serve --allow-host NAME`"
            )
            await self._refuse(scope, receive, send, refusal(api, 403, message, str(scope["method"])), api)
            return
        origin = headers.get("origin")
        if api is None and origin is not None and not self._origin_allowed(origin):
            message = (
                f"cross-site request refused: Origin {_quoted(origin)} may not use the emulator's control plane "
                "or docs (a page of a loopback origin, or of a host named with `serve --allow-host`, may)"
            )
            await self._refuse(scope, receive, send, refusal(None, 403, message), api)
            return
        await self._limited(scope, headers, receive, send, api)

    def _origin_allowed(self, origin: str) -> bool:
        try:
            parts = urlsplit(origin.strip())
            name = parts.hostname
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and bool(name) and self.hosts.allows(host_name(name or ""))

    async def _limited(self, scope: Scope, headers: Headers, receive: Receive, send: Send, api: Api | None) -> None:
        """Run the app with a ``receive`` that answers 413 itself once the body passes the limit."""
        limit = self.max_body_bytes
        try:
            declared: int | None = int(headers.get("content-length", ""))
        except ValueError:
            declared = None
        received = 0
        started = refused = False

        async def limited_send(message: Message) -> None:
            nonlocal started
            if refused:
                return  # the app's answer to a body it never got whole: the 413 was the answer
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def limited_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            if declared is None or declared <= limit:
                message = await receive()
                if message["type"] != "http.request":
                    return message
                received += len(message.get("body", b""))
                if received <= limit:
                    return message
            # Over the limit: declared (before any byte of it is read) or counted (chunked).
            if not started:
                message_text = (
                    f"the request body is larger than the emulator's limit of {limit} bytes (serve --max-body-bytes)"
                )
                error = refusal(api, 413, message_text, str(scope["method"]))
                await self._refuse(scope, receive, send, error, api)
            refused = True
            return {"type": "http.disconnect"}

        await self.app(scope, limited_receive, limited_send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, error: ApiError, api: Api | None) -> None:
        response = error.response()
        if api is Api.PINGID:
            response = await pingid.sign_response(Request(scope, receive), response)
        await response(scope, receive, send)
