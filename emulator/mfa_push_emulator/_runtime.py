"""Process-wide state shared by the routers: store, settings, faults and counters."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from starlette.requests import Request

from mfa_push_emulator._counters import RequestCounter
from mfa_push_emulator._faults import FaultInjector
from mfa_push_emulator._seed import seed
from mfa_push_emulator._settings import Settings
from mfa_push_emulator._store import Store


@dataclass
class Runtime:
    store: Store
    startup_settings: Settings
    settings: Settings
    faults: FaultInjector = field(default_factory=FaultInjector)
    counters: RequestCounter = field(default_factory=RequestCounter)
    _settings_lock: threading.Lock = field(default_factory=threading.Lock)

    def update_settings(self, settings: Settings) -> None:
        with self._settings_lock:
            self.settings = settings

    def reset(self) -> None:
        """Back to the seed: data, settings, faults and counters."""
        with self.store.transaction() as tx:
            tx.wipe()
            seed(tx)
        self.update_settings(self.startup_settings)
        self.faults.clear(reset_count=True)
        self.counters.clear()


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def base_url(request: Request) -> str:
    """``http://HOST:PORT`` as the client addressed us (Host header), without trailing slash."""
    return str(request.base_url).rstrip("/")
