"""The verified TLS store of each API, and TLS refusals told in one line.

The store is the system's (OpenSSL's default paths, which `SSL_CERT_FILE` / `SSL_CERT_DIR`
replace), plus the CA certificates of `<api>:caBundle`: a PEM file, or the PEM text itself. A
relative file path is read from the project directory: the nearest directory holding Pulumi.yaml
upwards from the working directory (the working directory itself outside a Pulumi project). One
SSL context is built per process per distinct bundle: loading a store costs milliseconds.

A certificate the store refuses is not a passing failure: nothing was sent, and trying again
gives the same answer, so it is reported at once, naming the host and the setting that fixes it.
"""

from __future__ import annotations

import functools
import ssl
from pathlib import Path

from ._errors import ProviderError

PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----"


@functools.cache
def _context(pem: str | None) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if pem is not None:
        context.load_verify_locations(cadata=pem)
    return context


#: The project a tool runs providers for outside Pulumi (`mfa-push recover --cwd DIR`).
_project: Path | None = None


def use_project_dir(path: Path) -> None:
    """Read relative `caBundle` paths from `path`: for tools that run providers on a project's
    stack config from another working directory."""
    global _project
    _project = path.resolve()


def project_dir(start: Path | None = None) -> Path:
    """Where a relative `caBundle` path is read from: the project a tool named
    (`use_project_dir`), else the nearest directory with Pulumi.yaml (or Pulumi.yml) from
    `start` (the working directory) upwards, else `start` itself."""
    if start is None and _project is not None:
        return _project
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "Pulumi.yaml").is_file() or (directory / "Pulumi.yml").is_file():
            return directory
    return here


def _shown(value: str) -> str:
    """A value fit for a message: a path is shown, anything else (possibly PEM text) is not."""
    one_line = "\n" not in value and len(value) <= 300
    return repr(value) if one_line else "(a value of several lines)"


def _read(value: str, setting: str) -> str:
    """The PEM text of `setting`'s value: the value itself, or the file it names."""
    if PEM_CERTIFICATE in value:
        return value
    if "-----BEGIN" in value or "\n" in value:
        raise ProviderError(
            f"setting {setting} is text without a PEM certificate ({PEM_CERTIFICATE}): give the CA "
            "certificate's PEM text or the path of its PEM file"
        )
    path = Path(value).expanduser()
    path = path if path.is_absolute() else project_dir() / path
    try:
        text = path.read_text(encoding="ascii", errors="replace")
    except OSError as exc:
        raise ProviderError(
            f"setting {setting} names no readable PEM file: {path} ({exc.strerror or type(exc).__name__}); "
            "a relative path is read from the project directory (where Pulumi.yaml is)"
        ) from None
    if PEM_CERTIFICATE not in text:
        raise ProviderError(f"setting {setting}: {path} holds no PEM certificate ({PEM_CERTIFICATE})")
    return text


def context(ca_bundle: str | None = None, setting: str = "caBundle") -> ssl.SSLContext:
    """The verifying context for an API: the system store plus `ca_bundle` (the value of
    `setting`: PEM text or a PEM file path), built once per process per distinct bundle."""
    if ca_bundle is None or not ca_bundle.strip():
        return _context(None)
    pem = _read(ca_bundle.strip(), setting).strip()
    try:
        return _context(pem)
    except (ssl.SSLError, ValueError) as exc:
        where = "its PEM text" if PEM_CERTIFICATE in ca_bundle else f"the file {_shown(ca_bundle.strip())}"
        reason = getattr(exc, "reason", None) or type(exc).__name__
        raise ProviderError(f"setting {setting}: {where} has a certificate that cannot be loaded ({reason})") from None


def refusal(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind a connection error, if that is what it is."""
    cause: BaseException | None = exc
    for _ in range(8):  # httpx.ConnectError <- httpcore.ConnectError <- ssl.SSLCertVerificationError
        if cause is None:
            return None
        if isinstance(cause, ssl.SSLCertVerificationError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


# OpenSSL's X509_V_ERR_* codes, by what they mean to the user.
_UNTRUSTED = {2, 18, 19, 20, 21}  # issuer unknown, self-signed, self-signed in chain, no local issuer
_EXPIRED = 10
_NOT_YET_VALID = 9
_NAME_MISMATCH = {62, 63, 64}  # host name, e-mail, IP address


def explain(refused: ssl.SSLCertVerificationError, host: str, ca_setting: str, url_setting: str) -> str:
    """Why the certificate of `host` (`host:port`) was refused and which setting fixes it."""
    code = refused.verify_code
    if code in _UNTRUSTED:
        return (
            f"the TLS certificate of {host} is signed by a CA this machine does not trust; "
            f"set {ca_setting} to that CA's PEM file (or PEM text)"
        )
    if code in _NAME_MISMATCH:
        return (
            f"the TLS certificate of {host} is not valid for that host name; "
            f"check {url_setting} (use a host name the certificate names)"
        )
    if code == _EXPIRED:
        return (
            f"the TLS certificate of {host} (or of its CA) has expired; renew it on the server, "
            f"or if your CA's certificate expired, update {ca_setting}"
        )
    if code == _NOT_YET_VALID:
        return f"the TLS certificate of {host} is not valid yet; check this machine's clock, or {ca_setting}"
    reason = refused.verify_message or refused.reason or "verification failed"
    return f"the TLS certificate of {host} was refused ({reason}); check {ca_setting}"
