"""The shared HTTP layer: retries that honour Retry-After, no redirects, TLS rules."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
from pulumi_mfa_push import _transport
from pulumi_mfa_push._errors import ApiError, ProviderError, TransportFailure


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
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    _Handler.script = []
    _Handler.seen = []
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


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


def test_one_client_per_api_and_credentials() -> None:
    made = []

    def make() -> _transport.Api:
        made.append(1)
        return _api("http://127.0.0.1:1")

    a = _transport.shared(("T", "u", "p"), make)
    b = _transport.shared(("T", "u", "p"), make)
    assert a is b and len(made) == 1
