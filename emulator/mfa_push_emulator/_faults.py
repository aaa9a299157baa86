"""Injected failures and latency, configured through ``/_emulator/faults``.

Randomness comes from one seeded :class:`random.Random`, so a test with a fixed ``seed`` sees the
same sequence of failures on every run.

``pathPattern`` is an RE2 expression (google-re2): matching takes time linear in the path, so no
pattern can backtrack catastrophically (``(a+)+$`` with Python's ``re`` stalls the server).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any, Protocol

import re2  # type: ignore[import-untyped,unused-ignore]

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_PATTERN_LENGTH = 1000


class PathRegex(Protocol):
    def search(self, text: str) -> object | None: ...


def compile_path_pattern(pattern: str) -> PathRegex:
    """An RE2 regex (linear-time: no backreferences or lookarounds); ``ValueError`` says why not."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise ValueError(f"pathPattern is longer than {MAX_PATTERN_LENGTH} characters")
    options = re2.Options()
    options.log_errors = False  # the error is the answer, not a line in the server's log
    try:
        regex: PathRegex = re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else ""
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(
            f"pathPattern is not a valid RE2 regular expression (no backreferences or lookarounds): {reason}"
        ) from exc
    return regex


@dataclass(frozen=True)
class FaultConfig:
    probability: float = 0.0
    statuses: tuple[int, ...] = (500,)
    latency_ms: int = 0
    after_commit: bool = False
    seed: int | None = None
    path_pattern: str | None = None
    _regex: PathRegex | None = field(default=None, compare=False, repr=False)

    @classmethod
    def from_wire(cls, body: dict[str, Any]) -> FaultConfig:
        """Validate a ``PUT /_emulator/faults`` body; raises ``ValueError`` with a readable reason."""
        known = {"probability", "statuses", "latencyMs", "afterCommit", "seed", "pathPattern"}
        unknown = set(body) - known
        if unknown:
            raise ValueError(f"unknown fault settings: {', '.join(sorted(unknown))}")
        p = body.get("probability", 0.0)
        if isinstance(p, bool) or not isinstance(p, int | float) or not 0.0 <= p <= 1.0:
            raise ValueError("probability must be a number between 0 and 1")
        statuses = body.get("statuses", [500])
        if (
            not isinstance(statuses, list)
            or not statuses
            or any(isinstance(s, bool) or not isinstance(s, int) or not 400 <= s <= 599 for s in statuses)
        ):
            raise ValueError("statuses must be a non-empty list of HTTP error statuses (400-599)")
        latency = body.get("latencyMs", 0)
        if isinstance(latency, bool) or not isinstance(latency, int) or not 0 <= latency <= 600_000:
            raise ValueError("latencyMs must be an integer between 0 and 600000")
        after_commit = body.get("afterCommit", False)
        if not isinstance(after_commit, bool):
            raise ValueError("afterCommit must be a boolean")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer")
        pattern = body.get("pathPattern")
        regex: PathRegex | None = None
        if pattern is not None:
            if not isinstance(pattern, str):
                raise ValueError("pathPattern must be a string")
            regex = compile_path_pattern(pattern)
        return cls(float(p), tuple(statuses), latency, after_commit, seed, pattern, regex)

    def to_wire(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "statuses": list(self.statuses),
            "latencyMs": self.latency_ms,
            "afterCommit": self.after_commit,
            "seed": self.seed,
            "pathPattern": self.path_pattern,
        }

    def applies_to(self, path: str) -> bool:
        return self._regex is None or self._regex.search(path) is not None


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request: wait ``latency_ms``, then maybe answer ``status``."""

    latency_ms: int
    status: int | None
    after_commit: bool


class FaultInjector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config = FaultConfig()
        self._rng = random.Random()
        self._injected = 0

    @property
    def config(self) -> FaultConfig:
        return self._config

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self._config = config
            self._rng = random.Random(config.seed)

    def clear(self, *, reset_count: bool = False) -> None:
        self.configure(FaultConfig())
        if reset_count:
            with self._lock:
                self._injected = 0

    def decide(self, method: str, path: str) -> FaultDecision:
        cfg = self._config
        if not cfg.applies_to(path):  # outside the lock: one slow match never holds up others
            return FaultDecision(0, None, False)
        with self._lock:
            cfg = self._config
            status: int | None = None
            if cfg.probability > 0 and self._rng.random() < cfg.probability:
                status = self._rng.choice(cfg.statuses)
                self._injected += 1
            after = cfg.after_commit and method.upper() in MUTATING_METHODS
            return FaultDecision(cfg.latency_ms, status, after)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {**self._config.to_wire(), "injected": self._injected}
