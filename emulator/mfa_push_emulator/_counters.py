"""Per-route request counts, so tests can assert how many calls a client really made, and the
most API calls that were in flight at once, so they can see how parallel a client really is."""

from __future__ import annotations

import threading


class RequestCounter:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_route: dict[str, int] = {}
        self._in_flight = 0
        self._max_in_flight = 0

    def hit(self, route: str) -> None:
        with self._lock:
            self._by_route[route] = self._by_route.get(route, 0) + 1

    def started(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def finished(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def snapshot(self) -> dict[str, object]:
        with self._lock:
            by_route = dict(sorted(self._by_route.items()))
            peak = self._max_in_flight
        return {"total": sum(by_route.values()), "byRoute": by_route, "maxInFlight": peak}

    def clear(self) -> None:
        with self._lock:
            self._by_route.clear()
            self._max_in_flight = self._in_flight
