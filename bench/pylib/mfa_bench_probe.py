"""Measuring probes shared by the direct floor runner and the provider-process trace.

Nothing here changes behaviour: wrappers time `pulumi_mfa_push._transport.Api.send` (the HTTP
round trip, including httpx's own work and any nested token request) and count TCP connects made
by httpcore, so "our overhead" = provider-method time minus time inside Api.send."""

from __future__ import annotations

import threading
import time
from typing import Any

_tls = threading.local()
_lock = threading.Lock()
CONNECTS = {"n": 0}
SENDS = {"n": 0}


def reset_thread() -> None:
    _tls.http = 0.0
    _tls.calls = 0
    _tls.depth = 0


def thread_http() -> tuple[float, int]:
    return getattr(_tls, "http", 0.0), getattr(_tls, "calls", 0)


def patch_transport(module: Any) -> None:
    """Wrap Api.send of pulumi_mfa_push._transport (idempotent)."""
    api = module.Api
    if getattr(api.send, "_bench", False):
        return
    original = api.send

    def send(self: Any, request: Any) -> Any:
        depth = getattr(_tls, "depth", 0)
        _tls.depth = depth + 1
        _tls.calls = getattr(_tls, "calls", 0) + 1
        with _lock:
            SENDS["n"] += 1
        started = time.perf_counter()
        try:
            return original(self, request)
        finally:
            _tls.depth = depth
            if depth == 0:  # a nested send (the PingOne token request) is inside the outer one
                _tls.http = getattr(_tls, "http", 0.0) + (time.perf_counter() - started)

    send._bench = True  # type: ignore[attr-defined]
    api.send = send


def patch_httpcore(module: Any) -> None:
    """Count TCP connections opened (httpcore._backends.sync.SyncBackend.connect_tcp)."""
    backend = module.SyncBackend
    if getattr(backend.connect_tcp, "_bench", False):
        return
    original = backend.connect_tcp

    def connect_tcp(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            CONNECTS["n"] += 1
        return original(self, *args, **kwargs)

    connect_tcp._bench = True  # type: ignore[attr-defined]
    backend.connect_tcp = connect_tcp
