"""Errors that reach the user as one readable line, never a traceback."""

from __future__ import annotations

import re
from typing import Any

#: Where a URL's authority (`user:password@host:port`) ends.
_AUTHORITY_END = re.compile(r"[/?#\s]")


def without_userinfo(text: str) -> str:
    """`text` with the user info of every URL in it left out (`https://host/...`): an API's error
    or an exception may repeat a URL, and its user info may be a password. Linear in the text."""
    out: list[str] = []
    start = 0
    while (scheme_end := text.find("://", start)) != -1:
        begin = scheme_end + 3
        end_match = _AUTHORITY_END.search(text, begin)
        end = end_match.start() if end_match else len(text)
        at = text.rfind("@", begin, end)  # the last one: a password may hold a raw @
        out.append(text[start:begin])
        start = at + 1 if at != -1 else begin
    out.append(text[start:])
    return "".join(out)


class ProviderError(Exception):
    """A failure the user can act on; its text is all the CLI shows (never a URL's user info)."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*(without_userinfo(a) if isinstance(a, str) else a for a in args))


class ApiError(ProviderError):
    """An API answered with an error: one line with the API's code and message."""

    def __init__(
        self,
        api: str,
        method: str,
        path: str,
        status: int,
        code: str = "",
        message: str = "",
        details: str = "",
    ) -> None:
        self.api = api
        self.method = method
        self.path = path
        self.status = status
        self.code = code
        self.message = message = without_userinfo(message)
        self.details = details = without_userinfo(details)
        text = f"{api} API: {method} {path} failed with HTTP {status}"
        if code:
            text += f" {code}"
        if message:
            text += f": {message}"
        if details:
            text += f" ({details})"
        super().__init__(text)


class TransportFailure(ProviderError):
    """The API could not be reached (after retries)."""


class Unreachable(TransportFailure):
    """No connection could be made (refused, or a host name that does not resolve): nothing was
    sent, and trying again within seconds would not help."""


class MalformedAnswer(ProviderError):
    """A success answer whose body is not what the API sends (empty, cut short, not JSON, of
    another shape, undecodable): the call may well have happened, but its answer is as good as lost."""


def answer_may_be_lost(err: Exception) -> bool:
    """A non-idempotent call failed in a way that says nothing about whether it happened:
    the server may have acted before the answer was lost or spoiled, or refused for a passing reason."""
    if isinstance(err, Unreachable):
        return False
    if isinstance(err, TransportFailure | MalformedAnswer):
        return True
    return isinstance(err, ApiError) and (err.status >= 500 or err.status == 429)
