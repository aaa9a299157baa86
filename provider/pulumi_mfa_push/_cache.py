"""A short-lived, per-process cache for refresh reads that several resources share
(one application's push configuration, callback list or details): one GET serves them all."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ReadCache(Generic[T]):
    def __init__(self, ttl: float = 5.0) -> None:
        self.ttl = ttl
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, T]] = {}
        self._gates: dict[str, threading.Lock] = {}

    def get(self, key: str, fetch: Callable[[], T]) -> T:
        with self._lock:
            gate = self._gates.setdefault(key, threading.Lock())
        # Concurrent readers of one key wait for a single fetch instead of each making one.
        with gate:
            with self._lock:
                hit = self._entries.get(key)
            if hit is not None and time.monotonic() - hit[0] < self.ttl:
                return hit[1]
            value = fetch()
            with self._lock:
                self._entries[key] = (time.monotonic(), value)
            return value

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)
