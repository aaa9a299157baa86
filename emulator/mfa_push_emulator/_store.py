"""SQLite document store: one connection, one lock, ``BEGIN IMMEDIATE`` per transaction.

Every resource is a JSON document addressed by ``(kind, key)``. Writes are serialized by the lock
(within the process) and by ``BEGIN IMMEDIATE`` (across processes sharing a data dir), so
concurrent requests never lose updates. Insertion order (``seq``) gives stable listings.
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


class Tx:
    """Operations valid inside one transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def get(self, kind: str, key: str) -> Doc | None:
        row = self._conn.execute("SELECT value FROM docs WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, kind: str, key: str, value: Doc) -> None:
        """Insert or replace, keeping the original position of an existing document."""
        text = json.dumps(value, separators=(",", ":"))
        self._conn.execute(
            "INSERT INTO docs (kind, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            (kind, key, text),
        )

    def delete(self, kind: str, key: str) -> bool:
        cur = self._conn.execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, key))
        return cur.rowcount > 0

    def list(self, kind: str, prefix: str = "") -> list[Doc]:
        rows = self._conn.execute(
            "SELECT value FROM docs WHERE kind = ? AND substr(key, 1, ?) = ? ORDER BY seq",
            (kind, len(prefix), prefix),
        ).fetchall()
        return [dict(json.loads(r[0])) for r in rows]

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
