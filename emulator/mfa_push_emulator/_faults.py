"""Injected failures and latency, configured through ``/_emulator/faults``.

Randomness comes from one seeded :class:`random.Random`, so a test with a fixed ``seed`` sees the
same sequence of failures on every run.

``pathPattern`` is an RE2 expression (google-re2): matching takes time linear in the path, so no
pattern can backtrack catastrophically (``(a+)+$`` with Python's ``re`` stalls the server).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import re2  # type: ignore[import-untyped,unused-ignore]
from starlette.responses import Response, StreamingResponse

MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HTTP_METHODS = MUTATING_METHODS | {"GET", "HEAD"}
#: How an answer fault spoils a success answer's body (``answer``).
ANSWER_FAULTS = ("empty", "truncated", "shape", "gzip")
ANSWER_SETTINGS = ("answer", "dripBytesPerSecond")
#: The first bytes of a gzip stream, which a spoiled "gzip" answer starts with and then abandons.
GZIP_MAGIC = b"\x1f\x8b\x08\x00"
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
    #: Answer faults: the success answer's body is spoiled in one of these ways (drawn per request).
    answers: tuple[str, ...] = ()
    #: Or: the answer is sent at this many bytes per second.
    drip_bytes_per_second: int = 0
    #: The methods faulted (all when empty).
    methods: tuple[str, ...] = ()

    @classmethod
    def from_wire(cls, body: dict[str, Any]) -> FaultConfig:
        """Validate a ``PUT /_emulator/faults`` body; raises ``ValueError`` with a readable reason."""
        known = {
            "probability",
            "statuses",
            "latencyMs",
            "afterCommit",
            "seed",
            "pathPattern",
            "methods",
            *ANSWER_SETTINGS,
        }
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
        answers, drip = _answer_faults(body)
        methods = body.get("methods", [])
        if not isinstance(methods, list) or any(m not in HTTP_METHODS for m in methods):
            raise ValueError(f"methods must be a list of HTTP methods ({', '.join(sorted(HTTP_METHODS))})")
        return cls(
            float(p),
            tuple(statuses),
            latency,
            after_commit,
            seed,
            pattern,
            regex,
            answers=answers,
            drip_bytes_per_second=drip,
            methods=tuple(methods),
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "probability": self.probability,
            "statuses": list(self.statuses),
            "latencyMs": self.latency_ms,
            "afterCommit": self.after_commit,
            "seed": self.seed,
            "pathPattern": self.path_pattern,
            "answer": list(self.answers) or None,
            "dripBytesPerSecond": self.drip_bytes_per_second or None,
            "methods": list(self.methods),
        }

    def applies_to(self, method: str, path: str) -> bool:
        if self.methods and method.upper() not in self.methods:
            return False
        return self._regex is None or self._regex.search(path) is not None


def _answer_faults(body: dict[str, Any]) -> tuple[tuple[str, ...], int]:
    """``answer`` (one of ANSWER_FAULTS, or a list of them) and ``dripBytesPerSecond``."""
    answer = body.get("answer")
    answers = [answer] if isinstance(answer, str) else answer
    if answers is not None and (
        not isinstance(answers, list) or not answers or any(a not in ANSWER_FAULTS for a in answers)
    ):
        raise ValueError(f"answer must be one of {', '.join(ANSWER_FAULTS)}, or a non-empty list of them")
    drip = body.get("dripBytesPerSecond")
    if drip is not None and (isinstance(drip, bool) or not isinstance(drip, int) or not 1 <= drip <= 10_000_000):
        raise ValueError("dripBytesPerSecond must be an integer between 1 and 10000000")
    if answers and drip:
        raise ValueError("answer and dripBytesPerSecond are two kinds of fault: set one of them")
    return tuple(answers or ()), drip or 0


@dataclass(frozen=True)
class FaultDecision:
    """What to do with one request: wait ``latency_ms``, then maybe answer ``status``, or spoil
    a success answer (``answer``), or send the answer at ``drip_bytes_per_second``."""

    latency_ms: int
    status: int | None
    after_commit: bool
    answer: str | None = None
    drip_bytes_per_second: int = 0


def _spoiled(body: bytes, kind: str) -> bytes:
    if kind == "empty":
        return b""
    if kind == "truncated":
        return body[: len(body) // 2]
    if kind == "shape":  # the object inside a list: valid JSON, not what the API answers
        return b"[" + body + b"]"
    return GZIP_MAGIC + body  # "gzip": announced as gzip, and no gzip stream after its first bytes


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
        if not cfg.applies_to(method, path):  # outside the lock: one slow match never holds up others
            return FaultDecision(0, None, False)
        with self._lock:
            cfg = self._config
            status: int | None = None
            answer: str | None = None
            drip = 0
            if cfg.probability > 0 and self._rng.random() < cfg.probability:
                if cfg.answers:  # counted when applied: only success answers with a body are spoiled
                    answer = self._rng.choice(cfg.answers)
                elif cfg.drip_bytes_per_second:
                    drip = cfg.drip_bytes_per_second
                else:
                    status = self._rng.choice(cfg.statuses)
                    self._injected += 1
            after = cfg.after_commit and method.upper() in MUTATING_METHODS
            return FaultDecision(cfg.latency_ms, status, after, answer, drip)

    def spoil(self, response: Response, decision: FaultDecision) -> Response:
        """The answer fault of ``decision``, when it has one and ``response`` is a success with a
        body (the handler ran: a write is committed): the same status and headers around an empty,
        truncated or wrongly shaped body, or one that claims to be gzip and is not."""
        body = bytes(response.body)
        if decision.answer is None or not 200 <= response.status_code < 300 or not body:
            return response
        spoiled = _spoiled(body, decision.answer)
        out = Response(content=spoiled, status_code=response.status_code)
        headers = [(k, v) for k, v in response.raw_headers if k.lower() not in (b"content-length", b"content-encoding")]
        headers.append((b"content-length", str(len(spoiled)).encode()))
        if decision.answer == "gzip":
            headers.append((b"content-encoding", b"gzip"))
        out.raw_headers = headers
        with self._lock:
            self._injected += 1
        return out

    def drip(self, response: Response, decision: FaultDecision) -> Response:
        """``response`` sent at ``decision.drip_bytes_per_second`` (its headers at once, with the
        full Content-Length), when the decision says so and there is a body to send."""
        rate = decision.drip_bytes_per_second
        body = bytes(response.body)
        if not rate or not body:
            return response
        step = max(1, rate // 10)  # about ten sends a second

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(body), step):
                await asyncio.sleep(step / rate)
                yield body[start : start + step]

        out = StreamingResponse(chunks(), status_code=response.status_code)
        out.raw_headers = list(response.raw_headers)
        with self._lock:
            self._injected += 1
        return out

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {**self._config.to_wire(), "injected": self._injected}
