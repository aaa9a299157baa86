"""SQLite document store: one connection, one lock, ``BEGIN IMMEDIATE`` per transaction.

Every resource is a JSON document addressed by ``(kind, key)``. Writes are serialized by the lock
(within the process) and by ``BEGIN IMMEDIATE`` (across processes sharing a data dir), so
concurrent requests never lose updates. Insertion order (``seq``) gives stable listings.

A key is one id or a tuple of ids (an object under its parent: ``(appId, callbackId)``). Each id is
escaped before the ids are joined, so no id, whatever it holds, can name another object's key or
a key under another parent (:func:`encode_key`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DB_FILENAME = "emulator.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    seq   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind  TEXT NOT NULL,
    key   TEXT NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (kind, key)
);
"""

Doc = dict[str, Any]
#: One id, or the ids of an object and its parents, outermost first.
Key = str | tuple[str, ...]

_SEPARATOR = "/"


def _escape(part: str) -> str:
    # `%` first, so the escapes themselves stay unambiguous; NUL because SQLite's text functions
    # stop at it.
    return part.replace("%", "%25").replace(_SEPARATOR, "%2F").replace("\x00", "%00")


def encode_key(key: Key) -> str:
    """The stored form of ``key``: its ids escaped, then joined by ``/``. Injective, and an
    encoded parent followed by ``/`` prefixes exactly the keys of its own children. Ids without
    ``%``, ``/`` or NUL (every UUID) are stored as they are, so existing data keeps its keys."""
    parts = (key,) if isinstance(key, str) else key
    return _SEPARATOR.join(_escape(part) for part in parts)


class Tx:
    """Operations valid inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, kind: str, key: Key) -> Doc | None:
        row = self._conn.execute(
            "SELECT value FROM docs WHERE kind = ? AND key = ?", (kind, encode_key(key))
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, kind: str, key: Key, value: Doc) -> None:
        """Insert or replace, keeping the original position of an existing document."""
        text = json.dumps(value, separators=(",", ":"))
        self._conn.execute(
            "INSERT INTO docs (kind, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            (kind, encode_key(key), text),
        )

    def delete(self, kind: str, key: Key) -> bool:
        cur = self._conn.execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, encode_key(key)))
        return cur.rowcount > 0

    def list(self, kind: str, under: tuple[str, ...] = ()) -> list[Doc]:
        """Every document of ``kind``, or only those whose key is ``(*under, id)``-shaped below
        ``under`` (the children of that parent, never those of a parent whose id merely starts
        the same way)."""
        prefix = encode_key(under) + _SEPARATOR if under else ""
        rows = self._conn.execute(
            "SELECT value FROM docs WHERE kind = ? AND substr(key, 1, ?) = ? ORDER BY seq",
            (kind, len(prefix), prefix),
        ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

    def items(self, kind: str) -> tuple[tuple[str, Doc], ...]:
        """``(stored key, document)`` of every document of ``kind``, for migrations."""
        rows = self._conn.execute("SELECT key, value FROM docs WHERE kind = ? ORDER BY seq", (kind,)).fetchall()
        return tuple((str(r[0]), dict(json.loads(r[1]))) for r in rows)

    def rekey(self, kind: str, stored: str, key: Key) -> None:
        """Move the document stored under the encoded key ``stored`` to ``key``."""
        self._conn.execute("UPDATE docs SET key = ? WHERE kind = ? AND key = ?", (encode_key(key), kind, stored))

    def wipe(self) -> None:
        self._conn.execute("DELETE FROM docs")


class Store:
    """Owns the connection; hand out transactions with :meth:`transaction`."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DB_FILENAME
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
