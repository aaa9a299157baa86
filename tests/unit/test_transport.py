"""The shared HTTP layer: retries that honour Retry-After, no redirects, TLS rules."""

from __future__ import annotations

import errno
import http.server
import time
from collections.abc import Iterator

import httpx
import pytest
from _harness import free_port, local_http_server
from pulumi_mfa_push import _transport
from pulumi_mfa_push._errors import ApiError, ProviderError, TransportFailure, Unreachable, answer_may_be_lost


class _Handler(http.server.BaseHTTPRequestHandler):
    script: list[tuple[int, dict[str, str]]] = []
    seen: list[tuple[str, str | None]] = []

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append((self.path, self.headers.get("Authorization")))
        status, headers = self.script.pop(0) if self.script else (200, {})
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        body = b'{"ok": true}'
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_DELETE = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.script = []
    _Handler.seen = []
    with local_http_server(_Handler) as url:
        yield url


def _api(url: str, **kw: object) -> _transport.Api:
    return _transport.Api(
        "Test",
        url,
        timeout=5,
        parse_error=lambda r: ("E", "bad", ""),
        auth=httpx.BasicAuth("u", "secret-pw"),
        backoff=0.01,
        **kw,
    )  # type: ignore[arg-type]


def test_idempotent_call_retries_and_honours_retry_after(server: str) -> None:
    _Handler.script = [(503, {}), (429, {"Retry-After": "1"}), (200, {})]
    start = time.monotonic()
    resp = _api(server).request("GET", "/x", idempotent=True)
    assert resp.status_code == 200
    assert len(_Handler.seen) == 3
    assert time.monotonic() - start >= 1.0  # waited as the server asked


def test_non_idempotent_call_is_not_retried(server: str) -> None:
    _Handler.script = [(503, {})]
    with pytest.raises(ApiError) as err:
        _api(server).request("GET", "/x", idempotent=False)
    assert err.value.status == 503 and len(_Handler.seen) == 1


def test_redirects_are_not_followed_so_credentials_stay(server: str) -> None:
    _Handler.script = [(302, {"Location": "http://127.0.0.2:9/steal"})]
    with pytest.raises(ApiError) as err:
        _api(server).request("GET", "/x", idempotent=True)
    assert err.value.status == 302
    assert len(_Handler.seen) == 1


def test_deadline_bounds_retries(server: str) -> None:
    _Handler.script = [(500, {})] * 50
    api = _api(server, deadline=0.5)
    with pytest.raises(ApiError):
        api.request("GET", "/x", idempotent=True)
    assert len(_Handler.seen) < 50


def test_unreachable_host_is_one_line() -> None:
    api = _transport.Api(
        "Test", "http://127.0.0.1:9", timeout=1, parse_error=lambda r: ("", "", ""), backoff=0.01, deadline=0.3
    )
    with pytest.raises(TransportFailure) as err:
        api.request("GET", "/x", idempotent=True)
    assert "\n" not in str(err.value) and "could not be completed" in str(err.value)


def _counted(api: _transport.Api) -> list[str]:
    """The connection attempts `api` makes, each by its host."""
    attempts: list[str] = []
    send = api.send

    def counting(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.host)
        return send(request)

    api.send = counting  # type: ignore[method-assign]
    return attempts


@pytest.mark.parametrize(
    ("url", "said"),
    [
        # User info in a URL may be a password: messages show host:port only.
        ("http://admin:pw-in-url@127.0.0.1:{port}/base?k=v", "connection refused by 127.0.0.1:{port}"),
        ("http://[::1]:{port}/base", "connection refused by [::1]:{port}"),
        ("https://nowhere.invalid/base", "unknown host nowhere.invalid:443 (its name does not resolve)"),
    ],
)
def test_unreachable_host_is_said_at_once_with_its_host_and_setting(url: str, said: str) -> None:
    port = free_port()
    api = _transport.Api(
        "Test", url.format(port=port), timeout=5, parse_error=lambda r: ("", "", ""), url_setting="test:url"
    )
    attempts = _counted(api)
    with pytest.raises(Unreachable) as err:
        api.request("GET", "/x", idempotent=True)
    assert str(err.value) == f"Test API: GET /x could not be completed: {said.format(port=port)}; check test:url"
    assert len(attempts) == 1  # it will not heal within seconds: not retried
    assert not answer_may_be_lost(err.value)  # nothing was sent: a create is not looked for


def test_other_connect_errors_are_still_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    api = _api("http://127.0.0.1:1", deadline=0.3)
    attempts: list[int] = []

    def unreachable_network(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        try:
            raise OSError(errno.ENETUNREACH, "Network is unreachable")
        except OSError as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    monkeypatch.setattr(api, "send", unreachable_network)
    with pytest.raises(TransportFailure) as err:
        api.request("GET", "/x", idempotent=True)
    assert not isinstance(err.value, Unreachable) and answer_may_be_lost(err.value)
    assert len(attempts) > 1
    assert str(err.value) == "Test API: GET /x could not be completed: ConnectError: [Errno 101] Network is unreachable"


@pytest.mark.parametrize(
    ("url", "insecure", "ok"),
    [
        ("https://api.pingone.eu/v1", False, True),
        ("http://127.0.0.1:8787/powerauth", True, True),
        ("http://localhost:8787/powerauth", True, True),
        ("http://127.0.0.1:8787/powerauth", False, False),
        ("http://api.example.com/powerauth", True, False),
        ("ftp://x", True, False),
        ("not a url", True, False),
    ],
)
def test_plain_http_only_for_loopback_when_allowed(url: str, insecure: bool, ok: bool) -> None:
    if ok:
        assert _transport.check_url("Test", url, insecure)
    else:
        with pytest.raises(ProviderError):
            _transport.check_url("Test", url, insecure)


def test_url_mistakes_never_show_user_info() -> None:
    for url, insecure in (("http://admin:pw-in-url@example.com/x", True), ("http://u:pw-in-url@[::1]:9/x", False)):
        with pytest.raises(ProviderError) as err:
            _transport.check_url("Test", url, insecure)
        assert "pw-in-url" not in str(err.value) and "://" in str(err.value)
    with pytest.raises(ProviderError) as err:
        _transport.check_url("Test", "pw-in-url", True)  # a secret pasted into the wrong key
    assert "pw-in-url" not in str(err.value)


def test_one_client_per_api_and_credentials() -> None:
    made = []

    def make() -> _transport.Api:
        made.append(1)
        return _api("http://127.0.0.1:1")

    a = _transport.shared(("T", "u", "p"), make)
    b = _transport.shared(("T", "u", "p"), make)
    assert a is b and len(made) == 1


class _Drip(http.server.BaseHTTPRequestHandler):
    """Answers at once with its headers, then one byte of its body every 50 ms (5 s in all)."""

    seen: list[str] = []

    def _drip(self) -> None:
        self.seen.append(self.command)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body = b'{"ok": true, "padding": "' + b"x" * 80 + b'"}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            for i in range(len(body)):
                self.wfile.write(body[i : i + 1])
                self.wfile.flush()
                time.sleep(0.05)
        except OSError:
            pass  # the client gave up

    do_GET = do_POST = _drip

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def drip() -> Iterator[str]:
    _Drip.seen = []
    with local_http_server(_Drip) as url:
        yield url


def test_an_answer_that_trickles_in_ends_the_attempt_at_its_timeout(drip: str) -> None:
    # Each read gets a byte well within the 0.5 s timeout: only a bound on the whole attempt ends it.
    api = _transport.Api("Test", drip, timeout=0.5, parse_error=lambda r: ("", "", ""), backoff=0.01)
    started = time.monotonic()
    with pytest.raises(TransportFailure) as err:
        api.call("POST", "/things", json={}, idempotent=False)
    assert time.monotonic() - started < 4  # generous: the answer alone would take 5 s
    assert str(err.value) == (
        "Test API: POST /things could not be completed: no complete answer within 0.5 s (test:timeoutSeconds)"
    )
    assert _Drip.seen == ["POST"] and answer_may_be_lost(err.value)


def test_retries_of_an_answer_that_trickles_in_end_at_the_calls_deadline(drip: str) -> None:
    api = _transport.Api("Test", drip, timeout=0.5, parse_error=lambda r: ("", "", ""), backoff=0.01, deadline=1.3)
    started = time.monotonic()
    with pytest.raises(TransportFailure) as err:
        api.call("GET", "/things", idempotent=True)
    assert time.monotonic() - started < 4  # generous; 10 attempts of 0.5 s would take 5 s
    assert str(err.value) == (
        "Test API: GET /things could not be completed: no complete answer within the call's deadline of 1.3 s"
    )
    assert len(_Drip.seen) == 3


def test_a_timeout_names_what_was_late_and_the_setting() -> None:
    api = _transport.Api("Test", "http://127.0.0.1:1", timeout=3, parse_error=lambda r: ("", "", ""))
    request = api.build("GET", "/x")
    late = api.failed("GET", "/x", httpx.ConnectTimeout("timed out", request=request))
    assert (
        str(late)
        == "Test API: GET /x could not be completed: no connection to 127.0.0.1:1 within 3 s (test:timeoutSeconds)"
    )
    late = api.failed("GET", "/x", httpx.ReadTimeout("timed out", request=request))
    assert str(late) == "Test API: GET /x could not be completed: no complete answer within 3 s (test:timeoutSeconds)"
