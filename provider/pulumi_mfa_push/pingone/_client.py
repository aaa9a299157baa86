"""The PingOne Platform API client: OAuth2 client credentials of a worker app, one access token
per process, one pooled client per process, one read cache per process."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

import httpx

from .. import _paths as paths
from .. import _settings, _transport
from .._cache import ReadCache
from .._errors import ApiError, ProviderError
from ._config import CA_BUNDLE, CLIENT_ID, CLIENT_SECRET, ENVIRONMENT_ID

NAME = "PingOne"

#: regionCode -> top-level domain, as the PingOne Terraform provider names the regions.
REGIONS = {"NA": "com", "EU": "eu", "AP": "asia", "AU": "com.au", "CA": "ca", "SG": "sg"}

#: A token is replaced this long before it expires, so a call never leaves with a token that
#: dies in flight. Short-lived tokens (the emulator can issue 1 s ones) use a quarter of their life.
REFRESH_MARGIN = 60.0


_HINT_401 = "check pingone:clientId, pingone:clientSecret and pingone:environmentId (the worker app's)"
_HINT_403 = (
    "the worker app lacks a role that may manage this environment's applications "
    "(for example Client Application Developer)"
)


def _details(items: Any) -> str:
    out = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        target, message = item.get("target"), item.get("message") or item.get("code")
        if message:
            out.append(f"{target}: {message}" if target else str(message))
    return "; ".join(out)


def parse_error(response: httpx.Response) -> tuple[str, str, str]:
    """`{"id","code","message","details":[{"code","target","message"}]}`, or the OAuth
    `{"error","error_description"}` of the token endpoint."""
    body = _transport.error_body(response)
    if body is None:
        return "", response.reason_phrase, _hint(response.status_code)
    if "error" in body and "code" not in body:
        code, message, details = str(body.get("error", "")), str(body.get("error_description", "")), ""
    else:
        code, message, details = str(body.get("code", "")), str(body.get("message", "")), _details(body.get("details"))
    hint = _hint(response.status_code)
    return code, message, "; ".join(part for part in (details, hint) if part)


def _hint(status: int) -> str:
    return _HINT_401 if status == 401 else _HINT_403 if status == 403 else ""


def error_codes(response: httpx.Response) -> list[str]:
    """The codes that say what was wrong: `details[].code` of an error answer (e.g. UNIQUENESS_VIOLATION)."""
    body = _transport.error_body(response)
    items = body.get("details") if body is not None else None
    return [str(i.get("code")) for i in items or [] if isinstance(i, dict) and i.get("code")]


def _access_failed(response: httpx.Response) -> bool:
    """A 401 that a fresh token may cure: PingOne's ACCESS_FAILED, or a bare 401 from a gateway."""
    if response.status_code != 401:
        return False
    body = _transport.error_body(response)
    return body is None or body.get("code") in (None, "ACCESS_FAILED")


@dataclass(frozen=True)
class Endpoints:
    api_url: str
    auth_url: str
    environment_id: str
    #: The settings that give each URL, named when its host cannot be reached.
    api_setting: str = field(default="pingone:apiUrl", compare=False)
    auth_setting: str = field(default="pingone:authUrl", compare=False)


def _url(key: str, env: str, default: str) -> tuple[str, str]:
    """The URL of `key` and the setting to check when its host cannot be reached: `key`, or the
    region code the default comes from."""
    given = _settings.get(key, env)
    if given is not None:
        return given, key
    return default, f"pingone:regionCode (or set {key})"


def endpoints() -> Endpoints:
    region = (_settings.get("pingone:regionCode", "PINGONE_REGION_CODE", "NA") or "NA").upper()
    if region not in REGIONS:
        raise ProviderError(f"setting pingone:regionCode must be one of {', '.join(REGIONS)}, not {region[:20]!r}")
    tld = REGIONS[region]
    insecure = _settings.flag("pingone:allowInsecureHttp", "PINGONE_ALLOW_INSECURE_HTTP")
    api_url, api_setting = _url("pingone:apiUrl", "PINGONE_API_URL", f"https://api.pingone.{tld}/v1")
    auth_url, auth_setting = _url("pingone:authUrl", "PINGONE_AUTH_URL", f"https://auth.pingone.{tld}")
    env = ENVIRONMENT_ID.require().strip().lower()
    return Endpoints(
        _transport.check_url(NAME, api_url, insecure),
        _transport.check_url(NAME, auth_url, insecure),
        env,
        api_setting,
        auth_setting,
    )


class TokenSource:
    """The worker app's access token, shared by every call of the process.

    Fetching happens under the lock, so concurrent calls that all find the token stale
    (or all get a 401 for the same token) cause one token request, not one each."""

    def __init__(self, auth: _transport.Api, environment_id: str) -> None:
        self._auth = auth
        self._path = paths.path(environment_id, "as", "token")
        self._lock = threading.Lock()
        self._token: str | None = None
        self._refresh_at = 0.0
        self.fetches = 0

    def current(self) -> str:
        with self._lock:
            if self._token is not None and time.monotonic() < self._refresh_at:
                return self._token
            return self._fetch()

    def refresh(self, stale: str) -> str:
        """A new token after `stale` was refused, unless another call already replaced it."""
        with self._lock:
            if self._token is not None and self._token != stale and time.monotonic() < self._refresh_at:
                return self._token
            return self._fetch()

    def _fetch(self) -> str:
        started = time.monotonic()
        try:
            body = self._auth.call(
                "POST",
                self._path,
                data={"grant_type": "client_credentials"},
                idempotent=True,
                require=("access_token",),
            )
        except ApiError as err:
            if err.status in (400, 401, 403):
                raise ProviderError(
                    f"PingOne refused the worker app's client credentials (HTTP {err.status}"
                    f"{' ' + err.code if err.code else ''}{': ' + err.message if err.message else ''}): "
                    "check pingone:clientId, pingone:clientSecret, pingone:environmentId (the worker app's "
                    "environment) and pingone:regionCode"
                ) from None
            raise
        token = body.get("access_token")
        if not isinstance(token, str):
            raise self._auth.malformed("POST", self._path, "an access_token that is not a string", 200)
        lifetime = body.get("expires_in", 3600)
        if isinstance(lifetime, bool) or not isinstance(lifetime, int | float) or lifetime <= 0:
            lifetime = 3600
        self._token = token
        self._refresh_at = started + lifetime - min(REFRESH_MARGIN, lifetime / 4)
        self.fetches += 1
        return token


class BearerAuth(httpx.Auth):
    """Adds the shared token; on a 401 ACCESS_FAILED gets a new one and sends the call once more.
    Only a 401's body is read here, within its attempt's time; others are read by the transport."""

    def __init__(self, tokens: TokenSource) -> None:
        self.tokens = tokens

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self.tokens.current()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401:
            _transport.read_within(response)
        if _access_failed(response):
            request.headers["Authorization"] = f"Bearer {self.tokens.refresh(token)}"
            yield request


_tokens: dict[tuple[str, str, str, str, str | None], TokenSource] = {}
_tokens_lock = threading.Lock()


def tokens(ends: Endpoints | None = None) -> TokenSource:
    """The process's token source for the configured worker app."""
    ends = ends or endpoints()
    client_id = CLIENT_ID.require()
    secret = CLIENT_SECRET.require()
    timeout = _settings.timeout("pingone:timeoutSeconds", "PINGONE_TIMEOUT_SECONDS")
    ca_bundle = _settings.get(*CA_BUNDLE)
    key = (ends.auth_url, ends.environment_id, client_id, secret, ca_bundle)
    with _tokens_lock:
        source = _tokens.get(key)
        if source is None:
            auth = _transport.Api(
                f"{NAME} auth",
                ends.auth_url,
                timeout=timeout,
                parse_error=parse_error,
                auth=httpx.BasicAuth(client_id, secret),
                deadline=60.0,
                url_setting=ends.auth_setting,
                ca_bundle=ca_bundle,
                ca_setting=CA_BUNDLE[0],
            )
            source = TokenSource(auth, ends.environment_id)
            _tokens[key] = source
        return source


def api() -> _transport.Api:
    ends = endpoints()
    source = tokens(ends)
    timeout = _settings.timeout("pingone:timeoutSeconds", "PINGONE_TIMEOUT_SECONDS")
    ca_bundle = _settings.get(*CA_BUNDLE)
    return _transport.shared(
        (NAME, ends.api_url, id(source), timeout, ca_bundle),
        lambda: _transport.Api(
            NAME,
            ends.api_url,
            timeout=timeout,
            parse_error=parse_error,
            auth=BearerAuth(source),
            url_setting=ends.api_setting,
            ca_bundle=ca_bundle,
            ca_setting=CA_BUNDLE[0],
        ),
    )


def credentials_path(environment_id: str, application_id: str) -> str:
    return paths.path("environments", environment_id, "applications", application_id, "pushCredentials")


#: Refresh reads shared by the resources: one list of an application's push credentials serves
#: them all (`<environment id>/<application id>` -> the list, or None when the application is gone).
reads: ReadCache[list[dict[str, Any]] | None] = ReadCache()
