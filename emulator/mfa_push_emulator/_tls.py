"""HTTPS for ``serve --tls``: a local CA and a server certificate for ``localhost``, ``127.0.0.1``
and ``::1``, made once in the data directory and reused by later runs.

``DATA_DIR/tls/`` holds ``ca.pem`` (give it to clients: ``<api>:caBundle``), ``ca-key.pem``,
``server.pem`` and ``server-key.pem`` (keys readable by the owner only). The server certificate is
issued again from the same CA when it is missing, near its end, or not for these names, so a
client that trusts ``ca.pem`` keeps working."""

from __future__ import annotations

import datetime
import ipaddress
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TLS_DIR = "tls"
CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
CERT_FILE = "server.pem"
KEY_FILE = "server-key.pem"

#: The names the server certificate is made for: what a client on this machine calls the emulator.
LOCAL_NAMES = ("localhost", "127.0.0.1", "::1")

CA_DAYS = 3650
SERVER_DAYS = 825
#: A server certificate with less left than this is issued again at start.
RENEW_BEFORE = datetime.timedelta(days=30)


@dataclass(frozen=True)
class TlsFiles:
    """What uvicorn serves, and the CA clients trust (None for a certificate the user brought)."""

    cert: Path
    key: Path
    ca: Path | None = None

    def info(self) -> dict[str, str | None]:
        """The `tls` block of `/_emulator/info`."""
        return {"caFile": str(self.ca) if self.ca else None}


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def new_ca(
    common_name: str = "mfa-push-emulator local CA", days: int = CA_DAYS
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A self-signed CA that may sign server certificates only (path length 0)."""
    key = _key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _san(names: Sequence[str]) -> x509.SubjectAlternativeName:
    entries: list[x509.GeneralName] = []
    for name in names:
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            entries.append(x509.DNSName(name))
    return x509.SubjectAlternativeName(entries)


def issue(
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    names: Sequence[str] = LOCAL_NAMES,
    *,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A server certificate for `names` (host names or IP addresses) signed by the CA."""
    key = _key()
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - datetime.timedelta(minutes=5))
        .not_valid_after(not_after or now + datetime.timedelta(days=SERVER_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_san(names), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, private: bool) -> None:
    """Atomically, so a reader never sees half a file; keys readable by the owner only."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load_ca(directory: Path) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None:
    try:
        cert = x509.load_pem_x509_certificate((directory / CA_FILE).read_bytes())
        key = serialization.load_pem_private_key((directory / CA_KEY_FILE).read_bytes(), password=None)
    except (OSError, ValueError):
        return None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or cert.not_valid_after_utc - _now() < RENEW_BEFORE:
        return None
    return cert, key


def _server_ok(directory: Path, ca: x509.Certificate) -> bool:
    """The stored server certificate is this CA's, for the local names, and not near its end."""
    try:
        cert = x509.load_pem_x509_certificate((directory / CERT_FILE).read_bytes())
        key = serialization.load_pem_private_key((directory / KEY_FILE).read_bytes(), password=None)
        cert.verify_directly_issued_by(ca)
        names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, TypeError, x509.ExtensionNotFound, InvalidSignature):
        return False
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not _same_key(key.public_key(), cert.public_key()):
        return False
    return names == _san(LOCAL_NAMES) and cert.not_valid_after_utc - _now() > RENEW_BEFORE


def _same_key(ours: ec.EllipticCurvePublicKey, theirs: object) -> bool:
    return isinstance(theirs, ec.EllipticCurvePublicKey) and ours.public_numbers() == theirs.public_numbers()


def ensure_local_tls(data_dir: Path) -> TlsFiles:
    """The CA and the server certificate in `data_dir/tls`, made when missing and reused after."""
    directory = data_dir.resolve() / TLS_DIR  # absolute: /_emulator/info hands it to clients
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    loaded = _load_ca(directory)
    if loaded is None:
        ca, ca_key = new_ca()
        _write(directory / CA_KEY_FILE, key_pem(ca_key), private=True)
        _write(directory / CA_FILE, cert_pem(ca), private=False)
    else:
        ca, ca_key = loaded
    if not _server_ok(directory, ca):
        cert, key = issue(ca, ca_key)
        _write(directory / KEY_FILE, key_pem(key), private=True)
        _write(directory / CERT_FILE, cert_pem(cert), private=False)
    return TlsFiles(cert=directory / CERT_FILE, key=directory / KEY_FILE, ca=directory / CA_FILE)
