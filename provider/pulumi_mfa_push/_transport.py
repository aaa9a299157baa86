"""One pooled HTTP client per API per process, with retries that honour Retry-After.

Idempotent calls are retried on connect errors, timeouts, 429, 5xx and malformed answers;
non-idempotent creates are never retried here: the resource reconciles them (finds what a lost
or malformed response created) before trying again. Every answer's body is parsed by `read_json`."""

from __future__ import annotations

import functools
import ipaddress
import json
import random
import socket
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import tenacity

from . import _tls
from ._errors import ApiError, MalformedAnswer, ProviderError, TransportFailure, Unreachable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
ErrorParser = Callable[[httpx.Response], tuple[str, str, str]]


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_port(url: str) -> str:
    """`host:port` of a URL, the only part of it an error message shows: user info, path and
    query may hold credentials."""
    parsed = httpx.URL(url)
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{host}:{parsed.port or (443 if parsed.scheme == 'https' else 80)}"


def proxy_for(url: str) -> tuple[str, str] | None:
    """The proxy httpx uses for `url` (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, unless `NO_PROXY`
    names its host or a domain above it; loopback hosts are not exempt unless listed) and the
    variable that sets it, for messages."""
    parts = httpx.URL(url)
    proxies = urllib.request.getproxies_environment()
    host = parts.host.lower()
    for entry in proxies.get("no", "").lower().split(","):
        entry = entry.strip().strip("[]")
        if entry == "*" or (entry and (host == entry.lstrip(".") or host.endswith("." + entry.lstrip(".")))):
            return None
    for key in (parts.scheme, "all"):
        proxy = proxies.get(key)
        if proxy:
            return (proxy if "://" in proxy else f"http://{proxy}"), f"{key.upper()}_PROXY"
    return None


@functools.lru_cache(maxsize=64)
def check_url(api: str, url: str, allow_insecure_loopback: bool, setting: str | None = None) -> str:
    """Refuse plain http except to loopback when explicitly allowed (by `setting`, by default
    `<api>:allowInsecureHttp`). Messages name the host, never the whole URL.

    Cached: every call of every resource looks up its client, and parsing the same URL again
    (httpx's parser, then ipaddress) was a third of a millisecond each time. A refusal is an
    exception, which is not cached."""
    try:
        parts = urlsplit(url)
        port = parts.port
        shown = f"{parts.scheme}://{host_port(url)}"
    except (ValueError, httpx.InvalidURL):  # an unclosed [IPv6] host, a port out of range
        raise ProviderError(f"{api} URL has an invalid host or port (a port is a number from 1 to 65535)") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProviderError(f"{api} URL is not an absolute http(s) URL (https://host/path)")
    if ":" in parts.netloc.rpartition("@")[2].rsplit("]", 1)[-1] and not port:  # `host:` or `host:0`
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        raise ProviderError(f"{api} URL {parts.scheme}://{host} has a port that is not a number from 1 to 65535")
    if parts.scheme == "http":
        if not is_loopback(parts.hostname):
            raise ProviderError(
                f"{api} URL {shown} uses plain http to a non-loopback host; use https "
                "(plain http is allowed only for a loopback emulator)"
            )
        if not allow_insecure_loopback:
            setting = setting or f"{api.lower()}:allowInsecureHttp"
            raise ProviderError(
                f"{api} URL {shown} uses plain http; set {setting} to true to allow it for a loopback emulator"
            )
    return url.rstrip("/")


def read_json(content: bytes) -> Any:
    """The JSON value of an answer's body: the one way answers are parsed. A body that is not
    JSON raises ValueError saying what is wrong with it, never quoting it (it may hold secrets)."""
    if not content.strip():
        raise ValueError("an empty body")
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None
    except UnicodeDecodeError:
        raise ValueError("a body that is not UTF-8 text") from None
    except ValueError:
        raise ValueError("a body that is not valid JSON (cut short?)") from None


def error_body(response: httpx.Response) -> dict[str, Any] | None:
    """The JSON object of an error answer, or None when it has none: the error parsers read what
    they can and fall back on the status."""
    try:
        body = read_json(response.content)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


_JSON_KINDS = {list: "a JSON array", str: "a JSON string", bool: "a JSON boolean", type(None): "JSON null"}


#: The request extension that carries when its attempt must end (time.monotonic()) and how to
#: say that bound in a message.
_UNTIL = "mfa_push.until"


class _Overdue(httpx.TimeoutException):
    """An attempt that ran out of its time while its answer was still arriving."""


class _Until(httpx.SyncByteStream):
    """An answer's body that stops arriving at the end of its attempt."""

    def __init__(self, stream: httpx.SyncByteStream, request: httpx.Request) -> None:
        self._stream = stream
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        ends_at, bound = self._request.extensions[_UNTIL]
        for chunk in self._stream:
            if time.monotonic() > ends_at:
                raise _Overdue(f"no complete answer {bound}", request=self._request)
            yield chunk

    def close(self) -> None:
        self._stream.close()


def read_within(response: httpx.Response) -> bytes:
    """Read an answer's body by the end of its attempt (when its request carries one): a body
    that trickles in (a byte a second) is cut off then, though each read is within its timeout."""
    if _UNTIL in response.request.extensions and isinstance(response.stream, httpx.SyncByteStream):
        response.stream = _Until(response.stream, response.request)
    try:
        return response.read()
    except BaseException:
        response.close()
        raise


class _RetryableStatus(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def unreachable(exc: Exception) -> str | None:
    """Why no connection could be made, when trying again within seconds would not help: the
    connection was refused, or the host name does not resolve. None for any other failure."""
    if not isinstance(exc, httpx.ConnectError):
        return None
    cause: BaseException | None = exc
    for _ in range(8):  # httpx.ConnectError <- httpcore.ConnectError <- the socket's OSError
        if cause is None:
            break
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused by {host}"
        if isinstance(cause, socket.gaierror):
            return "unknown host {host} (its name does not resolve)"
        cause = cause.__cause__ or cause.__context__
    return None


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, _RetryableStatus | MalformedAnswer):
        return True
    return isinstance(exc, httpx.TransportError) and unreachable(exc) is None and _tls.refusal(exc) is None


def _retry_after(response: httpx.Response | None) -> float | None:
    if response is None:
        return None
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    try:
        return max(0.0, min(float(raw), 30.0))
    except ValueError:
        return None


class _Wait(tenacity.wait.wait_base):
    """Exponential backoff with full jitter, or the server's Retry-After when it gives one."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        if isinstance(exc, _RetryableStatus):
            after = _retry_after(exc.response)
            if after is not None:
                return after
        ceiling = min(self.maximum, self.initial * 2 ** (retry_state.attempt_number - 1))
        return random.uniform(self.initial / 2, ceiling)


class Api:
    """A pooled client for one API endpoint and one set of credentials."""

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float,
        parse_error: ErrorParser,
        auth: httpx.Auth | None = None,
        deadline: float = 120.0,
        backoff: float = 0.2,
        url_setting: str | None = None,
        ca_bundle: str | None = None,
        ca_setting: str | None = None,
    ) -> None:
        """`url_setting` names the setting that holds `base_url`, for messages about its host;
        `ca_bundle` (PEM text or file, the value of `ca_setting`) adds CAs to the verified store."""
        self.name = name
        self.base_url = base_url
        self.url_setting = url_setting
        self.ca_setting = ca_setting or f"{name.split()[0].lower()}:caBundle"
        self.timeout_setting = f"{name.split()[0].lower()}:timeoutSeconds"
        self.parse_error = parse_error
        self.timeout = timeout
        self.deadline = deadline
        self.backoff = backoff
        # Redirects are never followed: credentials must not travel to another host.
        self.client = httpx.Client(
            base_url=base_url,
            auth=auth,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            verify=_tls.context(ca_bundle, self.ca_setting),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
            headers={"Accept": "application/json", "User-Agent": "pulumi-mfa-push/0.1"},
        )

    def send(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and read its answer, by the end of its attempt (`read_within`)."""
        response = self.client.send(request, stream=True)
        read_within(response)
        return response

    def build(self, method: str, path: str, **kwargs: Any) -> httpx.Request:
        return self.client.build_request(method, path, **kwargs)

    def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        ok: tuple[int, ...] = (200, 201, 204),
        sign: Callable[[httpx.Request], None] | None = None,
        verify: Callable[[httpx.Request, httpx.Response], None] | None = None,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one call; retry it only when it is idempotent. Raise ApiError on an error answer.
        For calls whose answer is not read (its body is not checked); see `call` and `exchange`."""
        response, _ = self.exchange(
            method,
            path,
            idempotent=idempotent,
            ok=ok,
            require=None,
            sign=sign,
            verify=verify,
            deadline=deadline,
            **kwargs,
        )
        return response

    def call(
        self, method: str, path: str, *, idempotent: bool, require: tuple[str, ...] = (), **kwargs: Any
    ) -> dict[str, Any]:
        """Send one call whose answer is a success holding a JSON object (with the keys `require`
        names), and return that object, checked (see `exchange`)."""
        _, body = self.exchange(method, path, idempotent=idempotent, ok=(200, 201), require=require, **kwargs)
        if body is None:
            raise AssertionError("exchange() returns the object of every success answer")
        return body

    def exchange(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        ok: tuple[int, ...] = (200, 201),
        require: tuple[str, ...] | None = (),
        sign: Callable[[httpx.Request], None] | None = None,
        verify: Callable[[httpx.Request, httpx.Response], None] | None = None,
        deadline: float | None = None,
        **kwargs: Any,
    ) -> tuple[httpx.Response, dict[str, Any] | None]:
        """Send one call; retry it only when it is idempotent. Raise ApiError on an answer whose
        status is not in `ok`. Return the answer and, for a success, its JSON object.

        A success answer must hold a JSON object with the keys in `require` (None: not read). One
        that does not, or whose body cannot be decoded, is a MalformedAnswer, one line naming the
        API, the call and what is wrong: an idempotent call is sent again (within the deadline), a
        create is not, and `create_once` looks for what it made, as after a lost answer.

        Wall-clock bounds: each attempt (connect, send, the whole answer) ends within the timeout
        (`<api>:timeoutSeconds`), and the call with its retries within `deadline` (by default the
        client's): an answer that trickles in is cut off, not waited for read by read."""
        total = deadline or self.deadline
        call_ends = time.monotonic() + total

        def once() -> tuple[httpx.Response, dict[str, Any] | None]:
            request = self.build(method, path, **kwargs)
            if sign is not None:
                sign(request)
            self._bound(request, call_ends, total)
            try:
                response = self.send(request)
            except httpx.DecodingError:
                raise self.malformed(
                    method, path, "a body that cannot be decoded as its Content-Encoding says"
                ) from None
            if idempotent and response.status_code in RETRY_STATUSES:
                raise _RetryableStatus(response)
            if verify is not None and response.status_code < 500:
                verify(request, response)
            if require is not None and response.is_success and response.status_code in ok:
                return response, self.answer_object(method, path, response, require)
            return response, None

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(_retryable) if idempotent else tenacity.retry_if_exception_type(()),
            wait=_Wait(self.backoff, 8.0),
            # No attempt starts (or sleeps) past the deadline; each attempt ends by it (`_bound`).
            stop=tenacity.stop_before_delay(total) | tenacity.stop_after_attempt(10),
            reraise=True,
        )
        try:
            response, body = retrying(once)
        except _RetryableStatus as exc:
            response, body = exc.response, None
        except httpx.TransportError as exc:
            raise self.failed(method, path, exc) from None
        if response.status_code not in ok:
            raise self.refused(method, path, response)
        return response, body

    def _bound(self, request: httpx.Request, call_ends: float, total: float) -> None:
        """End this attempt by the timeout or by the call's deadline, whichever comes first: each
        wait of the connection at most the time left, the answer's body by `read_within`."""
        now = time.monotonic()
        if call_ends < now + self.timeout:
            ends_at, bound = call_ends, f"within the call's deadline of {total:g} s"
        else:
            ends_at, bound = now + self.timeout, f"within {self.timeout:g} s ({self.timeout_setting})"
        request.extensions["timeout"] = httpx.Timeout(max(ends_at - now, 0.001)).as_dict()
        request.extensions[_UNTIL] = (ends_at, bound)

    def answer_object(
        self, method: str, path: str, response: httpx.Response, require: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        """The JSON object of a success answer, with the keys `require` names; else MalformedAnswer."""
        try:
            body = read_json(response.content)
        except ValueError as exc:
            raise self.malformed(method, path, str(exc), response.status_code) from None
        if not isinstance(body, dict):
            kind = _JSON_KINDS.get(type(body), "a JSON number")
            raise self.malformed(method, path, f"{kind} where a JSON object was expected", response.status_code)
        missing = [key for key in require if body.get(key) in (None, "")]
        if missing:
            raise self.malformed(method, path, f"an object without {', '.join(missing)}", response.status_code)
        return body

    def malformed(self, method: str, path: str, why: str, status: int | None = None) -> MalformedAnswer:
        """One line for a success answer that is not what the API sends; it never quotes the body."""
        answered = f"answered HTTP {status}" if status is not None else "answered"
        return MalformedAnswer(f"{self.name} API: {method} {path} {answered} with {why}")

    def failed(self, method: str, path: str, exc: httpx.TransportError) -> TransportFailure:
        """One line for a call that got no answer; for a host that cannot be reached, its
        `host:port` (never the URL) and the setting that holds it."""
        text = f"{self.name} API: {method} {path} could not be completed: "
        refused = _tls.refusal(exc)
        if refused is not None:
            url_setting = self.url_setting or f"the {self.name} URL"
            return Unreachable(text + _tls.explain(refused, host_port(self.base_url), self.ca_setting, url_setting))
        if isinstance(exc, httpx.TimeoutException):
            return TransportFailure(text + self._late(exc))
        why = unreachable(exc)
        if why is None:
            return TransportFailure(text + type(exc).__name__ + (f": {exc}" if str(exc) else ""))
        proxy = proxy_for(self.base_url)
        if proxy is not None:  # the proxy is what could not be reached
            url, variable = proxy
            return Unreachable(
                text + why.format(host=f"{host_port(url)} (the proxy of {variable})") + f"; check {variable}"
            )
        check = f"; check {self.url_setting}" if self.url_setting else ""
        return Unreachable(text + why.format(host=host_port(self.base_url)) + check)

    def _late(self, exc: httpx.TimeoutException) -> str:
        """What did not happen in time, and the bound it missed."""
        if isinstance(exc, _Overdue):
            return str(exc)
        try:
            until = exc.request.extensions.get(_UNTIL)
        except RuntimeError:  # an exception without its request
            until = None
        bound = until[1] if until else f"within {self.timeout:g} s ({self.timeout_setting})"
        if isinstance(exc, httpx.ConnectTimeout):
            return f"no connection to {host_port(self.base_url)} {bound}"
        if isinstance(exc, httpx.PoolTimeout):
            return f"no free connection to {host_port(self.base_url)} {bound}"
        return f"no complete answer {bound}"

    def refused(self, method: str, path: str, response: httpx.Response) -> ApiError:
        """The error an answer stands for; for callers that accept some error statuses (`ok`)
        to look at them first."""
        code, message, details = self.parse_error(response)
        return ApiError(self.name, method, path, response.status_code, code, message, details)


_clients: dict[tuple[Any, ...], Api] = {}
_clients_lock = threading.Lock()


def shared(key: tuple[Any, ...], make: Callable[[], Api]) -> Api:
    """The process-wide client for this key (API name, URL, credentials)."""
    with _clients_lock:
        api = _clients.get(key)
        if api is None:
            api = make()
            _clients[key] = api
        return api


def sleep(seconds: float) -> None:
    time.sleep(seconds)
