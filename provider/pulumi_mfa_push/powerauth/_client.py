"""The PowerAuth Cloud Admin API client: HTTP Basic, one pooled client per process."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from .. import _settings, _transport
from .._errors import ApiError

NAME = "PowerAuth"


def _parse_error(response: httpx.Response) -> tuple[str, str, str]:
    try:
        body = response.json()
    except ValueError:
        return "", response.reason_phrase, ""
    obj = body.get("responseObject") if isinstance(body, dict) else None
    if not isinstance(obj, dict):
        return "", response.reason_phrase, ""
    violations = obj.get("violations") or []
    details = "; ".join(f"{v.get('fieldName')}: {v.get('hint')}" for v in violations if isinstance(v, dict))
    return str(obj.get("code", "")), str(obj.get("message", "")), details


def api() -> _transport.Api:
    url = _settings.require("powerauth:url", "POWERAUTH_URL", "the PowerAuth Cloud base URL")
    username = _settings.require("powerauth:username", "POWERAUTH_USERNAME", "the admin user name")
    password = _settings.require("powerauth:password", "POWERAUTH_PASSWORD", "the admin password")
    insecure = (_settings.get("powerauth:allowInsecureHttp", "POWERAUTH_ALLOW_INSECURE_HTTP") or "") == "true"
    url = _transport.check_url(NAME, url, insecure)
    timeout = _settings.timeout("powerauth:timeoutSeconds", "POWERAUTH_TIMEOUT_SECONDS")
    return _transport.shared(
        (NAME, url, username, password, timeout),
        lambda: _transport.Api(
            NAME, url, timeout=timeout, parse_error=_parse_error, auth=httpx.BasicAuth(username, password)
        ),
    )


def is_unknown_application(err: ApiError) -> bool:
    # On a read, the only domain error PowerAuth can give is "no such application".
    return err.status in (400, 404) and err.code in ("ERROR_ADMIN", "ERROR_NOT_FOUND")


class _PushCache:
    """One GET of an application's push configuration serves APNs, FCM and HMS on refresh."""

    ttl = 5.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._fetching: dict[str, threading.Lock] = {}

    def get(self, application_id: str) -> dict[str, Any] | None:
        with self._lock:
            gate = self._fetching.setdefault(application_id, threading.Lock())
        with gate:
            with self._lock:
                hit = self._entries.get(application_id)
            if hit is not None and time.monotonic() - hit[0] < self.ttl:
                return hit[1]
            try:
                body: dict[str, Any] | None = (
                    api().request("GET", f"/admin/applications/{application_id}/push", idempotent=True).json()
                )
            except ApiError as err:
                if not is_unknown_application(err):
                    raise
                body = None
            with self._lock:
                self._entries[application_id] = (time.monotonic(), body)
            return body

    def forget(self, application_id: str) -> None:
        with self._lock:
            self._entries.pop(application_id, None)


push_cache = _PushCache()
