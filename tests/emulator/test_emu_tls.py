"""`serve --tls`: a local CA and server certificate made once in the data directory, HTTPS on the
same port, `/_emulator/info` with https URLs and the CA file; `--tls-cert/--tls-key` serve your own."""

from __future__ import annotations

import datetime
import ssl
import stat
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from emu_helpers import PA_AUTH, PingIdClient, free_port, start_process, stop_process
from mfa_push_emulator import _tls

VENV_BIN = Path(sys.executable).parent


def _serve(port: int, data: Path, *extra: str) -> list[str]:
    return [str(VENV_BIN / "mfa-push-emulator"), "serve", "--port", str(port), "--data-dir", str(data), *extra]


def _start(cmd: list[str], url: str, ca_file: Path, log: Path) -> subprocess.Popen[bytes]:
    """Until the emulator answers over TLS verified with `ca_file` (which it may still be making)."""
    return start_process(cmd, url, log, verify=lambda: _trusting(ca_file))


def _trusting(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def test_tls_makes_a_local_ca_once_and_serves_https(tmp_path: Path) -> None:
    port, data, log = free_port(), tmp_path / "data", tmp_path / "server.log"
    ca_file = data / "tls" / "ca.pem"
    base = f"https://127.0.0.1:{port}"
    proc = _start(_serve(port, data, "--tls"), base, ca_file, log)
    try:
        files = {name: (data / "tls" / name).read_bytes() for name in ("ca.pem", "server.pem", "server-key.pem")}
        for key in ("ca-key.pem", "server-key.pem"):
            assert stat.S_IMODE((data / "tls" / key).stat().st_mode) == 0o600

        client = httpx.Client(verify=_trusting(ca_file), timeout=10)
        info = client.get(f"{base}/_emulator/info").json()
        assert info["tls"] == {"caFile": str(ca_file.resolve())}
        assert info["powerauth"]["baseUrl"] == f"{base}/powerauth"
        assert info["pingone"]["apiUrl"] == f"{base}/pingone/v1"
        assert info["pingone"]["authUrl"] == f"{base}/pingone-auth"
        assert info["pingid"]["baseUrl"] == f"{base}/pingid/v1"
        # The certificate names localhost, 127.0.0.1 and ::1, and is verified for each name used.
        local = client.get(f"https://localhost:{port}/_emulator/info").json()
        assert local["powerauth"]["baseUrl"] == f"https://localhost:{port}/powerauth"
        cert = x509.load_pem_x509_certificate(files["server.pem"])
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert [str(n.value) for n in names] == ["localhost", "127.0.0.1", "::1"]
        # The APIs work as over http (PingID signs over the host name, not the scheme).
        created = client.post(f"{base}/powerauth/admin/applications", json={"id": "TLS_APP"}, auth=PA_AUTH)
        assert created.status_code == 200
        assert created.json()["serviceBaseUrl"].startswith(f"{base}/")
        pid = PingIdClient(base)
        pid.http = httpx.Client(verify=_trusting(ca_file), timeout=10)
        answer = pid.request("GET", pid.url())
        assert answer.status_code == 200 and pid.response_signature_ok(answer)
        # Unverified clients are refused by their own TLS, and plain http gets no answer.
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            httpx.get(f"{base}/_emulator/health", verify=ssl.create_default_context())
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/_emulator/health", timeout=2)
    finally:
        stop_process(proc)  # quick although `client` still holds an idle TLS connection

    # A restart reuses the CA and the certificate: clients keep trusting the same file.
    proc = _start(_serve(port, data, "--tls"), base, ca_file, log)
    try:
        for name, content in files.items():
            assert (data / "tls" / name).read_bytes() == content, name
    finally:
        stop_process(proc)
    assert f"listening on {base} (data: {data}, CA: {ca_file.resolve()})" in log.read_text()


def test_a_server_certificate_near_its_end_is_issued_again_from_the_same_ca(tmp_path: Path) -> None:
    first = _tls.ensure_local_tls(tmp_path)
    assert first.ca is not None
    ca = first.ca.read_bytes()
    ca_cert = x509.load_pem_x509_certificate(ca)
    from cryptography.hazmat.primitives import serialization

    ca_key = serialization.load_pem_private_key((tmp_path / "tls" / "ca-key.pem").read_bytes(), password=None)
    assert isinstance(ca_key, _tls.ec.EllipticCurvePrivateKey)
    soon = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    old, old_key = _tls.issue(ca_cert, ca_key, not_after=soon)
    first.cert.write_bytes(_tls.cert_pem(old))
    first.key.write_bytes(_tls.key_pem(old_key))

    again = _tls.ensure_local_tls(tmp_path)
    assert again.ca is not None and again.ca.read_bytes() == ca
    renewed = x509.load_pem_x509_certificate(again.cert.read_bytes())
    assert renewed.not_valid_after_utc > soon + datetime.timedelta(days=300)
    renewed.verify_directly_issued_by(ca_cert)


def test_own_certificate_and_key(tmp_path: Path) -> None:
    ca, ca_key = _tls.new_ca("test CA")
    cert, key = _tls.issue(ca, ca_key, ["127.0.0.1"])
    (tmp_path / "ca.pem").write_bytes(_tls.cert_pem(ca))
    (tmp_path / "cert.pem").write_bytes(_tls.cert_pem(cert))
    (tmp_path / "key.pem").write_bytes(_tls.key_pem(key))
    port, log = free_port(), tmp_path / "server.log"
    base = f"https://127.0.0.1:{port}"
    cmd = _serve(
        port, tmp_path / "data", "--tls-cert", str(tmp_path / "cert.pem"), "--tls-key", str(tmp_path / "key.pem")
    )
    proc = _start(cmd, base, tmp_path / "ca.pem", log)
    try:
        info = httpx.get(f"{base}/_emulator/info", verify=_trusting(tmp_path / "ca.pem")).json()
        assert info["tls"] == {"caFile": None}  # the CA is yours: the emulator does not know it
        assert info["powerauth"]["baseUrl"] == f"{base}/powerauth"
        assert not (tmp_path / "data" / "tls").exists()
    finally:
        stop_process(proc)


TOGETHER = "--tls-cert and --tls-key go together: give the certificate and its private key"
MISSING = "cannot serve HTTPS with {dir}/missing.pem and {dir}/key.pem: No such file or directory"
NOT_A_CERT = "cannot serve HTTPS with {dir}/key.pem and {dir}/key.pem: "


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--tls-cert", "{dir}/cert.pem"], TOGETHER),
        (["--tls-cert", "{dir}/missing.pem", "--tls-key", "{dir}/key.pem"], MISSING),
        (["--tls-cert", "{dir}/key.pem", "--tls-key", "{dir}/key.pem"], NOT_A_CERT),
    ],
)
def test_unusable_tls_options_are_one_clear_line(tmp_path: Path, args: list[str], expected: str) -> None:
    ca, ca_key = _tls.new_ca("test CA")
    cert, key = _tls.issue(ca, ca_key, ["127.0.0.1"])
    (tmp_path / "cert.pem").write_bytes(_tls.cert_pem(cert))
    (tmp_path / "key.pem").write_bytes(_tls.key_pem(key))
    given = [a.format(dir=tmp_path) for a in args]
    r = subprocess.run(_serve(free_port(), tmp_path / "data", *given), capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.startswith(expected.format(dir=tmp_path)) and r.stderr.count("\n") == 1, r.stderr
