"""Error envelopes of the three vendor APIs, and which API a path belongs to.

Every failure the emulator produces (validation, auth, unknown URL, injected fault, crash) goes
through here, so a client always sees its own API's envelope and never FastAPI's defaults.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse, Response


class Api(enum.Enum):
    POWERAUTH = "powerauth"
    PINGONE = "pingone"
    PINGONE_AUTH = "pingone-auth"
    PINGID = "pingid"


_PREFIXES: tuple[tuple[str, Api], ...] = (
    ("/powerauth", Api.POWERAUTH),
    ("/pingone/v1", Api.PINGONE),
    ("/pingone-auth", Api.PINGONE_AUTH),
    ("/pingid/v1", Api.PINGID),
)


def api_for_path(path: str) -> Api | None:
    """The vendor API a request path is addressed to, or ``None`` (control plane, docs)."""
    for prefix, api in _PREFIXES:
        if path == prefix or path.startswith(prefix + "/"):
            return api
    return None


class ApiError(Exception):
    """Raised by handlers; rendered verbatim as the response."""

    def __init__(self, status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None):
        super().__init__(f"{status}")
        self.status = status
        self.body = dict(body)
        self.headers = dict(headers or {})

    def response(self) -> Response:
        return JSONResponse(self.body, status_code=self.status, headers=self.headers)


# --- PowerAuth ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Violation:
    """One field-level validation failure; ``value`` is echoed only when the field was present."""

    field: str
    hint: str
    missing: bool = False
    value: Any = None

    def powerauth(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fieldName": self.field}
        if not self.missing and self.value is not None:
            out["invalidValue"] = self.value if isinstance(self.value, str | int | float | bool) else str(self.value)
        out["hint"] = self.hint
        return out


def powerauth_error(status: int, code: str, message: str, violations: Sequence[Violation] | None = None) -> ApiError:
    obj: dict[str, Any] = {"code": code, "message": message}
    if violations:
        obj["violations"] = [v.powerauth() for v in violations]
    return ApiError(status, {"status": "ERROR", "responseObject": obj})


def powerauth_request_error(violations: Sequence[Violation], message: str | None = None) -> ApiError:
    return powerauth_error(400, "ERROR_REQUEST", message or "Invalid method parameter value", violations)


def powerauth_admin_error(message: str) -> ApiError:
    return powerauth_error(400, "ERROR_ADMIN", message)


def powerauth_unauthorized() -> ApiError:
    return powerauth_error(401, "HTTP_401", "Unauthorized")


# --- PingOne -----------------------------------------------------------------------------------


def pingone_error(status: int, code: str, message: str, details: Sequence[Mapping[str, Any]] | None = None) -> ApiError:
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "code": code, "message": message}
    if details:
        body["details"] = [dict(d) for d in details]
    return ApiError(status, body)


def pingone_invalid(code: str, target: str, message: str) -> ApiError:
    return pingone_error(
        400,
        "INVALID_DATA",
        "The request could not be completed. One or more validation errors were in the request.",
        [{"code": code, "target": target, "message": message}],
    )


def pingone_unauthorized(message: str = "The access token is invalid or has expired.") -> ApiError:
    return pingone_error(
        401,
        "ACCESS_FAILED",
        "The request could not be completed. You do not have access to this resource.",
        [{"code": "INVALID_TOKEN", "message": message}],
    )


def pingone_not_found(message: str = "The requested resource was not found.") -> ApiError:
    return pingone_error(404, "NOT_FOUND", message)


# --- PingID ------------------------------------------------------------------------------------


def pingid_error(
    status: int,
    code: str,
    message: str,
    target: str | None = None,
    details: Sequence[Mapping[str, Any]] | None = None,
) -> ApiError:
    body: dict[str, Any] = {"id": str(uuid.uuid4()), "code": code, "message": message}
    if target is not None:
        body["target"] = target
    if details:
        body["details"] = [dict(d) for d in details]
    return ApiError(status, body)


def pingid_unauthorized() -> ApiError:
    return pingid_error(401, "UNAUTHORIZED_REQ", "The request is not authorized.")


# --- generic status -> envelope (unknown URLs, injected faults, crashes) -----------------------

_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    409: "Conflict",
    413: "Content Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _powerauth_generic(status: int, method: str) -> ApiError:
    if status == 401:
        return powerauth_unauthorized()
    if status == 404:
        return powerauth_error(404, "ERROR_NOT_FOUND", "Requested resource was not found")
    if status == 405:
        return powerauth_error(405, "ERROR_REQUEST", f"Request method '{method}' is not supported")
    if status == 500:
        return powerauth_error(500, "ERROR_GENERIC", "Unknown error occurred while processing request")
    if status in (502, 503, 504):
        return powerauth_error(status, "ERROR_INTERNAL_API", "Unable to call upstream service")
    return powerauth_error(status, f"HTTP_{status}", _REASONS.get(status, "Error"))


def _pingone_generic(status: int, method: str) -> ApiError:
    if status == 401:
        return pingone_unauthorized()
    if status == 403:
        return pingone_error(403, "ACCESS_FAILED", "You do not have permissions to make this request.")
    if status == 404:
        return pingone_not_found()
    if status == 405:
        return pingone_error(405, "METHOD_NOT_ALLOWED", f"The {method} method is not allowed on this resource.")
    if status == 429:
        return pingone_error(429, "REQUEST_LIMITED", "The request was rate limited. Retry later.")
    if status >= 500:
        return pingone_error(status, "UNEXPECTED_ERROR", "An unexpected error occurred.")
    return pingone_error(status, "INVALID_REQUEST", _REASONS.get(status, "The request could not be completed."))


def _pingid_generic(status: int, method: str) -> ApiError:
    if status == 401:
        return pingid_unauthorized()
    if status == 404:
        return pingid_error(404, "NOT_FOUND", "The requested resource was not found.")
    if status == 405:
        return pingid_error(405, "METHOD_NOT_ALLOWED", f"Request method '{method}' is not supported.")
    if status == 429:
        return pingid_error(429, "REQUEST_LIMITED", "Too many requests. Retry later.")
    if status >= 500:
        return pingid_error(status, "UNEXPECTED_ERROR", "An unexpected error occurred.")
    return pingid_error(status, "INVALID_REQUEST", _REASONS.get(status, "The request could not be completed."))


def generic_error(api: Api, status: int, method: str = "GET") -> ApiError:
    """The envelope ``api`` would use for a bare HTTP status; 429 always carries ``Retry-After``."""
    if api is Api.POWERAUTH:
        err = _powerauth_generic(status, method)
    elif api is Api.PINGID:
        err = _pingid_generic(status, method)
    else:
        err = _pingone_generic(status, method)
    if status == 429:
        err.headers["Retry-After"] = "1"
    return err


def refusal(api: Api | None, status: int, message: str, method: str = "GET") -> ApiError:
    """A refusal said in ``message``, in the addressed API's envelope for ``status`` (the control
    plane and docs: ``{"error": message}``)."""
    if api is None:
        return ApiError(status, {"error": message})
    err = generic_error(api, status, method)
    inner = err.body["responseObject"] if api is Api.POWERAUTH else err.body
    inner["message"] = message
    return err
