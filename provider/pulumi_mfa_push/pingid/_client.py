"""The PingID SDK API client: every request signed with PINGID-HMAC, every answer's
signature verified, one pooled client per process, one read cache per process."""

from __future__ import annotations

import base64
import binascii
import hashlib
import warnings
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from .. import _paths as paths
from .. import _settings, _transport
from .._cache import ReadCache
from .._errors import ApiError, ProviderError
from ._config import ACCOUNT_ID, API_KEY, CA_BUNDLE, TOKEN

NAME = "PingID SDK"
DEFAULT_URL = "https://sdk.pingid.com/pingid/v1"
SIGNATURE_HEADER = "X-PINGID-Signature"

# The HMAC key is the vendor's API key: its length is not ours to choose, so PyJWT's advice
# to use 32 bytes or more would only be noise on the engine's output.
warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)


_HINTS = {
    401: "check pingid:accountId, pingid:apiKey and pingid:token",
    403: "the credentials lack the rights for this call: check that pingid:accountId, pingid:apiKey "
    "and pingid:token belong to the PingID SDK account that holds these applications",
}


def parse_error(response: httpx.Response) -> tuple[str, str, str]:
    """`{"id","code","message","target"?,"details"?:[{"code","message"?,"target"?}]}`."""
    hint = _HINTS.get(response.status_code, "")
    body = _transport.error_body(response)
    if body is None:
        return "", response.reason_phrase, hint
    parts = []
    if body.get("target"):
        parts.append(f"target: {body['target']}")
    for item in body.get("details") or []:
        if isinstance(item, dict):
            text = item.get("message") or item.get("code")
            if text:
                parts.append(f"{item['target']}: {text}" if item.get("target") else str(text))
    if hint:
        parts.append(hint)
    return str(body.get("code", "")), str(body.get("message", "")), "; ".join(parts)


def error_codes(response: httpx.Response) -> list[str]:
    """The top-level and `details[].code` codes of an error answer (e.g. UNIQUE_VALUE_REQUIRED)."""
    body = _transport.error_body(response)
    if body is None:
        return []
    codes = [str(body["code"])] if body.get("code") else []
    codes += [str(i["code"]) for i in body.get("details") or [] if isinstance(i, dict) and i.get("code")]
    return codes


# -- PINGID-HMAC -------------------------------------------------------------------------


def body_hash(body: bytes) -> str:
    """Hex SHA-256 of the body, or "" when there is none."""
    return hashlib.sha256(body).hexdigest() if body else ""


def canonical(method: str, host: str, path: str, query: str, hashed_body: str) -> str:
    """`METHOD:host:path:` + (`query:` only when there is one) + `bodyHash:` (trailing colon)."""
    return f"{method.upper()}:{host}:{path}:" + (f"{query}:" if query else "") + f"{hashed_body}:"


def _parts(request: httpx.Request) -> tuple[str, str, str, str]:
    # httpx's host has no port, and the path includes the base path (/pingid/v1/...).
    return request.method, request.url.host, request.url.path, request.url.query.decode("ascii")


def sign(text: str, account_id: str, token: str, key: bytes) -> str:
    """The compact JWS (HS256) over `{"data": hex(sha256(canonical))}`."""
    data = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return jwt.encode(
        {"data": data},
        key,
        algorithm="HS256",
        headers={"alg": "HS256", "typ": "JWT", "account_id": account_id, "token": token, "jwt_version": "v4"},
    )


def signature_matches(jws: str, text: str, key: bytes) -> bool:
    try:
        payload: Any = jwt.decode(jws, key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return False
    expected = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return isinstance(payload, dict) and payload.get("data") == expected


@dataclass(frozen=True)
class Signer:
    account_id: str
    token: str
    key: bytes

    def sign(self, request: httpx.Request) -> None:
        method, host, path, query = _parts(request)
        text = canonical(method, host, path, query, body_hash(request.content))
        request.headers["Authorization"] = f"PINGID-HMAC={sign(text, self.account_id, self.token, self.key)}"

    def verify(self, request: httpx.Request, response: httpx.Response) -> None:
        """Refuse an answer whose signature does not cover exactly this request and body."""
        if response.status_code == 401:
            # Our own signature was refused; the answer is reported as the failure it is and
            # nothing in it is acted upon.
            return
        method, host, path, query = _parts(request)
        hashes = [body_hash(response.content)]
        if not response.content:
            hashes.append(hashlib.sha256(b"").hexdigest())  # "" or the hash of nothing: both seen
        jws = response.headers.get(SIGNATURE_HEADER, "")
        if not jws or not any(
            signature_matches(jws, canonical(method, host, path, query, h), self.key) for h in hashes
        ):
            raise ProviderError(
                f"{NAME} API: {method} {path}: response signature invalid: the PingID SDK answer could not be verified"
            )


class Client:
    """Calls under `/accounts/{accountId}`, signed and verified."""

    def __init__(self, transport: _transport.Api, signer: Signer) -> None:
        self.transport = transport
        self.signer = signer
        self.account_id = signer.account_id

    def _path(self, path: str) -> str:
        return paths.path("accounts", self.account_id) + path

    def request(
        self, method: str, path: str, *, idempotent: bool, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> httpx.Response:
        """`_transport.Api.request` for a path under the account (an answer that is not read)."""
        response, _ = self.exchange(method, path, idempotent=idempotent, ok=ok, require=None, **kwargs)
        return response

    def call(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> dict[str, Any]:
        """`_transport.Api.call` for a path under the account: the answer's JSON object, checked."""
        _, body = self.exchange(method, path, idempotent=idempotent, **kwargs)
        if body is None:
            raise AssertionError("exchange() returns the object of every success answer")
        return body

    def exchange(
        self, method: str, path: str, *, idempotent: bool, ok: tuple[int, ...] = (200, 201), **kwargs: Any
    ) -> tuple[httpx.Response, dict[str, Any] | None]:
        """`_transport.Api.exchange` for a path under the account: signed, its answer verified."""
        return self.transport.exchange(
            method,
            self._path(path),
            idempotent=idempotent,
            ok=ok,
            sign=self.signer.sign,
            verify=self.signer.verify,
            **kwargs,
        )

    def refused(self, method: str, path: str, response: httpx.Response) -> ApiError:
        return self.transport.refused(method, self._path(path), response)


def _api_key(raw: str) -> bytes:
    try:
        key = base64.b64decode(raw.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if not key:
        raise ProviderError(
            "setting pingid:apiKey is not Base64 text: copy the PingID SDK API key exactly as the "
            "PingID admin console shows it"
        )
    return key


def api() -> Client:
    url = _settings.get("pingid:url", "PINGID_URL", DEFAULT_URL) or DEFAULT_URL
    insecure = _settings.flag("pingid:allowInsecureHttp", "PINGID_ALLOW_INSECURE_HTTP")
    url = _transport.check_url(NAME, url, insecure, "pingid:allowInsecureHttp")
    account = ACCOUNT_ID.require().strip()
    key = _api_key(API_KEY.require())
    token = TOKEN.require()
    timeout = _settings.timeout("pingid:timeoutSeconds", "PINGID_TIMEOUT_SECONDS")
    ca_bundle = _settings.get(*CA_BUNDLE)
    transport = _transport.shared(
        (NAME, url, timeout, ca_bundle),
        lambda: _transport.Api(
            NAME,
            url,
            timeout=timeout,
            parse_error=parse_error,
            url_setting="pingid:url",
            ca_bundle=ca_bundle,
            ca_setting=CA_BUNDLE[0],
        ),
    )
    return Client(transport, Signer(account, token, key))


#: Refresh reads shared by the resources: one list of the account's applications serves them all.
reads: ReadCache[list[dict[str, Any]]] = ReadCache()
