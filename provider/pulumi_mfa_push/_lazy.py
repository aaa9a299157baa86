"""Modules imported on first use.

Two processes import this library on every command: the program, which only declares
resources, and the dynamic-provider host, which answers a no-change preview without a single
API call. Both used to import the HTTP stack (httpx, tenacity, PyJWT) and cryptography at once:
over a third of the library's import time, on the critical path of every preview. `module()`
defers such an import to the first attribute access. The import system's per-module lock makes
that first access safe from the provider host's worker threads, which `importlib.util.LazyLoader`
is not on Python 3.11."""

from __future__ import annotations

import importlib
from typing import Any


class _Deferred:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        return getattr(importlib.import_module(self._name), attr)

    def __repr__(self) -> str:
        return f"<module {self._name!r}, imported on first use>"


def module(name: str) -> Any:
    """`name`, imported when one of its attributes is first read. Declare it for type checkers
    with `if TYPE_CHECKING: import name`, so that uses stay typed."""
    return _Deferred(name)
