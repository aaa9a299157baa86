"""Per-route request counts, so tests can assert how many calls a client really made."""

from __future__ import annotations

import threading


class RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_route: dict[str, int] = {}

    def hit(self, route: str) -> None:
        with self._lock:
            self._by_route[route] = self._by_route.get(route, 0) + 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            by_route = dict(sorted(self._by_route.items()))
        return {"total": sum(by_route.values()), "byRoute": by_route}

    def clear(self) -> None:
        with self._lock:
            self._by_route.clear()
