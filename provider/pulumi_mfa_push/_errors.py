"""Errors that reach the user as one readable line, never a traceback."""

from __future__ import annotations


class ProviderError(Exception):
    """A failure the user can act on; its text is all the CLI shows."""


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
        self.message = message
        self.details = details
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
