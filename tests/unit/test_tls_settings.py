"""TLS and proxies in the shared HTTP layer: `<api>:caBundle` (file or PEM text) adds a CA to the
verified store, SSL_CERT_FILE still applies, refused certificates are one line naming the host
and the setting (never retried), and HTTPS_PROXY / HTTP_PROXY / NO_PROXY go through a real proxy."""

from __future__ import annotations

import datetime
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from _proxy import Proxy
from mfa_push_emulator import _tls as certs
from pulumi_mfa_push import _settings, _tls, _transport
from pulumi_mfa_push._errors import ProviderError, TransportFailure, answer_may_be_lost
from pulumi_mfa_push.pingid import _client as pid_client
from pulumi_mfa_push.pingone import _client as p1_client
from pulumi_mfa_push.powerauth import _client as pa_client


@pytest.fixture(autouse=True)
def _no_project_dir_from_earlier_tests(monkeypatch: pytest.MonkeyPatch) -> None:
    # `mfa-push recover` (run in-process by the e2e suite) names the project directory for the
    # process; each test here starts without one.
    monkeypatch.setattr(_tls, "_project", None)


PROXY_ENV = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "NO_PROXY", "https_proxy", "http_proxy", "all_proxy", "no_proxy")


class _Handler(http.server.BaseHTTPRequestHandler):
    def _answer(self) -> None:
        self.server.requests += 1  # type: ignore[attr-defined]
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    """Counts TCP connections (a retry storm would show as many) and requests that got through."""

    daemon_threads = True

    def __init__(self, context: ssl.SSLContext | None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context
        self.accepted = 0
        self.requests = 0

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        self.accepted += 1
        if self.context is None:
            return sock, addr
        return self.context.wrap_socket(sock, server_side=True), addr

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # refused handshakes are the point of these tests


@dataclass
class Site:
    server: _Server
    ca_file: Path

    @property
    def url(self) -> str:
        scheme = "https" if self.server.context else "http"
        return f"{scheme}://127.0.0.1:{self.server.server_address[1]}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, Path]:
    cert, key = certs.new_ca("test CA")
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    path.write_bytes(certs.cert_pem(cert))
    return cert, key, path


def _serve(
    tmp: Path, ca: tuple[Any, Any, Path], names: list[str] | None = None, **validity: datetime.datetime
) -> Iterator[Site]:
    cert, key = certs.issue(ca[0], ca[1], names or ["127.0.0.1"], **validity)
    (tmp / "server.pem").write_bytes(certs.cert_pem(cert))
    (tmp / "server-key.pem").write_bytes(certs.key_pem(key))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp / "server.pem", tmp / "server-key.pem")
    server = _Server(context)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Site(server, ca[2])
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(tmp_path: Path, ca: tuple[Any, Any, Path]) -> Iterator[Site]:
    yield from _serve(tmp_path, ca)


@pytest.fixture
def plain() -> Iterator[Site]:
    server = _Server(None)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield Site(server, Path())
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _no_proxy_from_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)


def _api(url: str, ca_bundle: str | None = None) -> _transport.Api:
    return _transport.Api(
        "Test",
        url,
        timeout=5,
        parse_error=lambda r: ("", "", ""),
        backoff=0.01,
        deadline=5,
        url_setting="test:url",
        ca_bundle=ca_bundle,
        ca_setting="test:caBundle",
    )


# -- caBundle ---------------------------------------------------------------------------------


def test_ca_bundle_as_a_file_or_as_pem_text(site: Site) -> None:
    assert _api(site.url, str(site.ca_file)).request("GET", "/x", idempotent=True).json() == {"ok": True}
    assert _api(site.url, site.ca_file.read_text()).request("GET", "/x", idempotent=True).status_code == 200
    assert site.server.requests == 2


def test_a_relative_ca_bundle_is_read_from_the_project_directory(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    (project / "certs").mkdir(parents=True)
    (project / "stacks").mkdir()
    (project / "Pulumi.yaml").write_text("name: p\nruntime: python\nmain: stacks/\n")
    (project / "certs" / "ca.pem").write_bytes(site.ca_file.read_bytes())
    monkeypatch.chdir(project / "stacks")  # where Pulumi runs a program with `main: stacks/`
    assert _tls.project_dir() == project.resolve()
    assert _api(site.url, "certs/ca.pem").request("GET", "/x", idempotent=True).status_code == 200


def test_a_tool_outside_pulumi_names_the_project_directory(
    site: Site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`mfa-push recover --cwd DIR` runs providers from another working directory."""
    (tmp_path / "project" / "certs").mkdir(parents=True)
    (tmp_path / "project" / "certs" / "ca.pem").write_bytes(site.ca_file.read_bytes())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(_tls, "_project", None)
    _tls.use_project_dir(tmp_path / "project")
    assert _api(site.url, "certs/ca.pem").request("GET", "/x", idempotent=True).status_code == 200


def test_one_context_per_distinct_bundle(site: Site) -> None:
    pem = site.ca_file.read_text()
    assert _tls.context(str(site.ca_file), "a:caBundle") is _tls.context(pem, "b:caBundle")
    assert _tls.context(None) is _tls.context("")
    assert _tls.context(pem) is not _tls.context(None)


def test_ssl_cert_file_still_applies(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    """OpenSSL's default paths, which ssl.create_default_context() loads, honour SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(site.ca_file))
    _tls._context.cache_clear()
    try:
        assert _api(site.url).request("GET", "/x", idempotent=True).status_code == 200
    finally:
        monkeypatch.delenv("SSL_CERT_FILE")
        _tls._context.cache_clear()


KEY_PEM = "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1ieXRlcw==\n-----END PRIVATE KEY-----\n"
BAD_CERT_PEM = "-----BEGIN CERTIFICATE-----\nc2VjcmV0LWNlcnQtYnl0ZXM=\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("missing.pem", "setting test:caBundle names no readable PEM file: {dir}/missing.pem (No such file"),
        ("notpem.txt", "setting test:caBundle: {dir}/notpem.txt holds no PEM certificate (-----BEGIN CERT"),
        (KEY_PEM, "setting test:caBundle is text without a PEM certificate"),
        (BAD_CERT_PEM, "setting test:caBundle: its PEM text has a certificate that cannot be loaded"),
    ],
)
def test_a_bad_ca_bundle_is_one_line_without_its_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, message: str
) -> None:
    (tmp_path / "notpem.txt").write_text("not a certificate\n")
    (tmp_path / "Pulumi.yaml").write_text("name: p\n")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ProviderError) as err:
        _api("https://127.0.0.1:9", value)
    text = str(err.value)
    assert text.startswith(message.format(dir=tmp_path.resolve())), text
    assert "\n" not in text and "c2VjcmV0" not in text


ENV = "a3c2f1e0-5b4d-4e6f-8a7b-9c0d1e2f3a4b"


def _powerauth(url: str) -> httpx.Response:
    _settings.update({"powerauth:url": url, "powerauth:username": "u", "powerauth:password": "p"})
    return pa_client.api().request("GET", "/admin/applications", idempotent=True)


def _pingone(url: str) -> httpx.Response:
    _settings.update(
        {"pingone:authUrl": url, "pingone:apiUrl": url, "pingone:environmentId": ENV, "pingone:clientId": "c"}
    )
    _settings.update({"pingone:clientSecret": "s"})
    return p1_client.tokens()._auth.request("POST", f"/{ENV}/as/token", idempotent=True)


def _pingid(url: str) -> httpx.Response:
    _settings.update({"pingid:url": url, "pingid:accountId": "a", "pingid:apiKey": "a2V5", "pingid:token": "t"})
    return pid_client.api().transport.request("GET", "/accounts/a/applications", idempotent=True)


@pytest.mark.parametrize(
    ("call", "env", "message"),
    [
        (_powerauth, "POWERAUTH_CA_BUNDLE", "PowerAuth API: GET /admin/applications could not be completed: the TLS "
         "certificate of {host} is signed by a CA this machine does not trust; set powerauth:caBundle to"),
        (_pingone, "PINGONE_CA_BUNDLE", f"PingOne auth API: POST /{ENV}/as/token could not be completed: the TLS "
         "certificate of {host} is signed by a CA this machine does not trust; set pingone:caBundle to"),
        (_pingid, "PINGID_CA_BUNDLE", "PingID SDK API: GET /accounts/a/applications could not be completed: the TLS "
         "certificate of {host} is signed by a CA this machine does not trust; set pingid:caBundle to"),
    ],
    ids=["powerauth", "pingone", "pingid"],
)  # fmt: skip
def test_each_api_has_its_ca_bundle_setting(
    site: Site, monkeypatch: pytest.MonkeyPatch, call: Callable[[str], httpx.Response], env: str, message: str
) -> None:
    monkeypatch.setattr(_settings, "_config", {})
    monkeypatch.setattr(_settings, "_stack", None)
    monkeypatch.setattr(_transport, "_clients", {})
    monkeypatch.setattr(p1_client, "_tokens", {})
    with pytest.raises(TransportFailure) as err:
        call(site.url)
    assert str(err.value).startswith(message.format(host=site.host)), err.value
    monkeypatch.setenv(env, str(site.ca_file))  # the environment fallback
    assert call(site.url).status_code == 200
    monkeypatch.delenv(env)
    _settings.update({f"{env.split('_')[0].lower()}:caBundle": site.ca_file.read_text()})  # stack config
    assert call(site.url).status_code == 200


# -- refused certificates: one line, no retry, nothing sent ------------------------------------------


def _refused(site: Site, ca_bundle: str | None, method: str = "GET") -> TransportFailure:
    started = time.monotonic()
    with pytest.raises(TransportFailure) as err:
        _api(site.url, ca_bundle).request(method, "/applications", idempotent=method == "GET")
    assert time.monotonic() - started < 2, "a refused certificate must not be retried"
    assert site.server.accepted == 1 and site.server.requests == 0
    assert not answer_may_be_lost(err.value)  # nothing was sent: no reconciliation either
    return err.value


def test_unknown_ca(site: Site) -> None:
    err = _refused(site, None)
    assert str(err) == (
        f"Test API: GET /applications could not be completed: the TLS certificate of {site.host} is signed by a "
        "CA this machine does not trust; set test:caBundle to that CA's PEM file (or PEM text)"
    )


def test_unknown_ca_on_a_write(site: Site) -> None:
    assert "set test:caBundle" in str(_refused(site, None, "POST"))


def test_wrong_host_name(tmp_path: Path, ca: tuple[Any, Any, Path]) -> None:
    for site in _serve(tmp_path, ca, ["api.example.com"]):
        assert str(_refused(site, str(site.ca_file))) == (
            f"Test API: GET /applications could not be completed: the TLS certificate of {site.host} is not "
            "valid for that host name; check test:url (use a host name the certificate names)"
        )


def test_expired_certificate(tmp_path: Path, ca: tuple[Any, Any, Path]) -> None:
    now = datetime.datetime.now(datetime.UTC)
    past = {"not_before": now - datetime.timedelta(days=30), "not_after": now - datetime.timedelta(days=1)}
    for site in _serve(tmp_path, ca, **past):
        assert str(_refused(site, str(site.ca_file))) == (
            f"Test API: GET /applications could not be completed: the TLS certificate of {site.host} (or of its "
            "CA) has expired; renew it on the server, or if your CA's certificate expired, update test:caBundle"
        )


def test_messages_show_host_and_port_never_the_url(site: Site) -> None:
    url = site.url.replace("https://", "https://user:pw-in-url@") + "/base?key=v"
    with pytest.raises(TransportFailure) as err:
        _api(url).request("GET", "/x", idempotent=True)
    assert site.host in str(err.value) and "pw-in-url" not in str(err.value) and "key=v" not in str(err.value)


# -- proxies --------------------------------------------------------------------------------


@pytest.fixture
def proxy() -> Iterator[Proxy]:
    running = Proxy()
    yield running
    running.stop()


def test_https_proxy_tunnels_and_no_proxy_bypasses(site: Site, proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx does not exempt loopback hosts by itself: only NO_PROXY does.
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    assert _api(site.url, str(site.ca_file)).request("GET", "/x", idempotent=True).status_code == 200
    assert proxy.connects[site.host] == 1 and site.server.requests == 1

    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1,::1")
    assert _api(site.url, str(site.ca_file)).request("GET", "/x", idempotent=True).status_code == 200
    assert proxy.connects[site.host] == 1 and site.server.requests == 2


def test_a_refused_certificate_through_the_proxy_is_the_same_line(
    site: Site, proxy: Proxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with pytest.raises(TransportFailure, match=f"the TLS certificate of {site.host} is signed by a CA"):
        _api(site.url).request("GET", "/x", idempotent=True)
    assert proxy.connects[site.host] == 1


def test_http_proxy_forwards_plain_http(plain: Site, proxy: Proxy, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    api = _api(plain.url)
    for _ in range(2):
        assert api.request("GET", "/x", idempotent=True).status_code == 200
    assert proxy.forwards[plain.host] == 2 and plain.server.requests == 2
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert _api(plain.url).request("GET", "/x", idempotent=True).status_code == 200
    assert proxy.forwards[plain.host] == 2 and plain.server.requests == 3


def test_an_unreachable_proxy_is_named_not_the_api_host(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("HTTPS_PROXY", f"http://user:proxy-pw@127.0.0.1:{port}")
    with pytest.raises(TransportFailure) as err:
        _api(site.url, str(site.ca_file)).request("GET", "/x", idempotent=True)
    assert str(err.value) == (
        f"Test API: GET /x could not be completed: connection refused by 127.0.0.1:{port} "
        "(the proxy of HTTPS_PROXY); check HTTPS_PROXY"
    )
    assert site.server.accepted == 0
