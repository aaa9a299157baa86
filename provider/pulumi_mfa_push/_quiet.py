"""Show provider errors as one line instead of a Python traceback.

The dynamic-provider host (`python -m pulumi.dynamic`) reports any exception with
`traceback.format_exc()`, looked up at call time in its module globals. For our own
`ProviderError`s we hand it a `traceback` stand-in that formats just the message; every
other exception keeps its full traceback, since that is a bug worth seeing (without the user
info of any URL in it)."""

from __future__ import annotations

import sys
import traceback as _traceback
import types
from typing import Any

from ._errors import ProviderError, without_userinfo


class _Traceback(types.ModuleType):
    def __init__(self) -> None:
        super().__init__("traceback")

    def __getattr__(self, name: str) -> Any:
        return getattr(_traceback, name)

    def format_exc(self, *args: Any, **kwargs: Any) -> str:
        exc = sys.exc_info()[1]
        if isinstance(exc, ProviderError):
            return str(exc)
        return without_userinfo(_traceback.format_exc(*args, **kwargs))


def in_provider_host() -> bool:
    """Whether this process is the engine's dynamic-provider host (`python -m pulumi.dynamic`)."""
    host = sys.modules.get("__main__")
    spec = getattr(host, "__spec__", None) if host is not None else None
    return spec is not None and spec.name == "pulumi.dynamic.__main__"


def install() -> None:
    if not in_provider_host():
        return
    host = sys.modules["__main__"]
    if not isinstance(getattr(host, "traceback", None), _Traceback):
        host.traceback = _Traceback()  # type: ignore[attr-defined]
