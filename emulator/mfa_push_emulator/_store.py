"""SQLite document store: one connection, one lock, ``BEGIN IMMEDIATE`` per transaction.

Every resource is a JSON document addressed by ``(kind, key)``. Writes are serialized by the lock
(within the process) and by ``BEGIN IMMEDIATE`` (across processes sharing a data dir), so
concurrent requests never lose updates. Insertion order (``seq``) gives stable listings.

A key is one id or a tuple of ids (an object under its parent: ``(appId, callbackId)``). Each id is
escaped before the ids are joined, so no id, whatever it holds, can name another object's key or
a key under another parent (:func:`encode_key`).

On disk: the data dir is 0700 and the database files 0600 (SQLite gives the ``-wal`` and ``-shm``
files the database file's mode). ``secure_delete`` zeroes what a transaction deletes or replaces,
and a transaction that deleted or replaced a document truncates the WAL after it commits, so a
deleted secret is in neither file afterwards (what remains is in emulator/README.md).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

DB_FILENAME = "emulator.sqlite3"
#: What the emulator itself keeps in a data dir: a dir holding nothing else is tightened to 0700.
_OWN_ENTRIES = frozenset(
    {DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm", f"{DB_FILENAME}-journal", "tls", "emulator.log"}
)

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
        #: Whether this transaction deleted or replaced a document (its old bytes must leave the WAL).
        self.erased = False

    def get(self, kind: str, key: Key) -> Doc | None:
        row = self._conn.execute(
            "SELECT value FROM docs WHERE kind = ? AND key = ?", (kind, encode_key(key))
        ).fetchone()
        return None if row is None else dict(json.loads(row[0]))

    def put(self, kind: str, key: Key, value: Doc) -> None:
        """Insert or replace, keeping the original position of an existing document."""
        text = json.dumps(value, separators=(",", ":"))
        if not self.erased and self.get(kind, key) is not None:
            self.erased = True
        self._conn.execute(
            "INSERT INTO docs (kind, key, value) VALUES (?, ?, ?) "
            "ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
            (kind, encode_key(key), text),
        )

    def delete(self, kind: str, key: Key) -> bool:
        cur = self._conn.execute("DELETE FROM docs WHERE kind = ? AND key = ?", (kind, encode_key(key)))
        self.erased = self.erased or cur.rowcount > 0
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
        self.erased = True


def _private_dir(path: Path) -> None:
    """Make ``path`` (0700 when created); tighten an existing one to 0700 when it holds only what
    the emulator keeps there, never a folder of the user's such as ``--data-dir ~``."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if all(entry.name in _OWN_ENTRIES for entry in path.iterdir()):
        os.chmod(path, 0o700)


def _private_files(db: Path) -> None:
    """The database file exists with mode 0600 before SQLite opens it (SQLite then makes its
    ``-wal``/``-shm`` files with the same mode); files of earlier versions are tightened."""
    os.close(os.open(db, os.O_RDWR | os.O_CREAT, 0o600))
    for path in (db, db.with_name(f"{db.name}-wal"), db.with_name(f"{db.name}-shm")):
        if path.exists():
            os.chmod(path, 0o600)


class Store:
    """Owns the connection; hand out transactions with :meth:`transaction`."""

    def __init__(self, data_dir: Path) -> None:
        _private_dir(data_dir)
        self.path = data_dir / DB_FILENAME
        _private_files(self.path)
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute("PRAGMA secure_delete=ON")
        self._conn.executescript(_SCHEMA)
        self._truncate_wal()  # what an earlier run left in the WAL (say it was killed) goes now

    def _truncate_wal(self) -> None:
        """Copy the WAL into the database and cut it to 0 bytes: the frames that held deleted or
        replaced documents are gone (busy, and so skipped, only while another process reads)."""
        self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            tx = Tx(self._conn)
            try:
                yield tx
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            if tx.erased:
                self._truncate_wal()

    def close(self) -> None:
        with self._lock:
            self._conn.close()
