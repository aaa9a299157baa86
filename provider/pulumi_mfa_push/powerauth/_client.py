"""The PowerAuth Cloud Admin API client: HTTP Basic, one pooled client per process, one read
cache per process."""

from __future__ import annotations

from typing import Any

import httpx

from .. import _paths as paths
from .. import _settings, _transport
from .._cache import ReadCache
from .._errors import ApiError
from ._config import CA_BUNDLE, REQUIRED, URL

NAME = "PowerAuth"


_HINTS = {
    401: "check powerauth:username and powerauth:password",
    403: "the admin user (powerauth:username) lacks the rights for this call",
}


def _error_object(response: httpx.Response) -> dict[str, Any] | None:
    body = _transport.error_body(response)
    obj = body.get("responseObject") if body is not None else None
    return obj if isinstance(obj, dict) else None


def parse_error(response: httpx.Response) -> tuple[str, str, str]:
    """`{"status":"ERROR","responseObject":{"code","message","violations"?:[{"fieldName","hint"}]}}`."""
    hint = _HINTS.get(response.status_code, "")
    obj = _error_object(response)
    if obj is None:
        return "", response.reason_phrase, hint
    violations = obj.get("violations") or []
    details = "; ".join(f"{v.get('fieldName')}: {v.get('hint')}" for v in violations if isinstance(v, dict))
    return str(obj.get("code", "")), str(obj.get("message", "")), "; ".join(p for p in (details, hint) if p)


def error_codes(response: httpx.Response) -> list[str]:
    """The codes that say what was wrong: PowerAuth gives one (e.g. ERROR_NOT_FOUND)."""
    obj = _error_object(response)
    return [str(obj["code"])] if obj is not None and obj.get("code") else []


def api() -> _transport.Api:
    url, username, password = (setting.require() for setting in REQUIRED)
    insecure = _settings.flag("powerauth:allowInsecureHttp", "POWERAUTH_ALLOW_INSECURE_HTTP")
    url = _transport.check_url(NAME, url, insecure)
    timeout = _settings.timeout("powerauth:timeoutSeconds", "POWERAUTH_TIMEOUT_SECONDS")
    ca_bundle = _settings.get(*CA_BUNDLE)
    return _transport.shared(
        (NAME, url, username, password, timeout, ca_bundle),
        lambda: _transport.Api(
            NAME,
            url,
            timeout=timeout,
            parse_error=parse_error,
            auth=httpx.BasicAuth(username, password),
            url_setting=URL.key,
            ca_bundle=ca_bundle,
            ca_setting=CA_BUNDLE[0],
        ),
    )


def is_unknown_application(err: ApiError) -> bool:
    # On a read, the only domain error PowerAuth can give is "no such application".
    return err.status in (400, 404) and err.code in ("ERROR_ADMIN", "ERROR_NOT_FOUND")


def _fetch_push(application_id: str) -> dict[str, Any] | None:
    try:
        return api().call("GET", paths.path("admin", "applications", application_id, "push"), idempotent=True)
    except ApiError as err:
        if not is_unknown_application(err):
            raise
        return None


#: Refresh reads that the resources of one application share: its details, its callback list
#: and its push configuration are each fetched once, whatever number of resources read them.
reads: ReadCache[Any] = ReadCache()


def push_config(application_id: str) -> dict[str, Any] | None:
    """The application's push configuration; one GET serves APNs, FCM and HMS on refresh."""
    result: dict[str, Any] | None = reads.get(f"push/{application_id}", lambda: _fetch_push(application_id))
    return result
