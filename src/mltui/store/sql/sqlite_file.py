"""The file behind a sqlite store: is it still the one the pool opened, and did
a writer crash in the middle of a transaction?

mltui reads sqlite through ``mode=ro`` connections. Two things go wrong there
that sqlite leaves to the opener:

* A writer killed mid-transaction (a training job, ``mltui stage``) leaves a hot
  rollback journal (``-journal``) or a write-ahead log needing recovery
  (``-wal``). Only a connection that may write can roll it back; a read-only
  one fails with ``SQLITE_READONLY_ROLLBACK`` / ``_RECOVERY``. A short
  read-write open and one read lets sqlite recover the file as it intends
  (MlflowClient does the same on its next open); what it restores is the data
  as it was before the crashed transaction, not a change of mltui's.
* A file deleted or replaced (``os.replace``, a restored backup) is not noticed
  by pooled connections, which keep reading the old inode. Comparing the
  path's (device, inode) with those of the file the pool opened tells.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError

from ..errors import StoreError

CRASH_ERRORS = frozenset({
    "SQLITE_READONLY_ROLLBACK",  # a hot rollback journal
    "SQLITE_READONLY_RECOVERY",  # a WAL whose index must be rebuilt
    "SQLITE_READONLY_CANTINIT",  # the same, -shm not writable
})
"""sqlite's answers to a read-only connection meeting a crashed writer's files."""

Identity = tuple[int, int]
"""(st_dev, st_ino) of a file."""


class SqliteFile:
    """The database file of one sqlite store, as the read engine opened it."""

    path: Path
    """The file, resolved as the engine opens it."""
    opened: Identity | None
    """(device, inode) of the file the pool's connections opened."""

    def __init__(self, path: Path):
        self.path = path.resolve()
        self.opened = None

    @property
    def journal(self) -> Path:
        return self.path.with_name(self.path.name + "-journal")

    @property
    def wal(self) -> Path:
        return self.path.with_name(self.path.name + "-wal")

    def current(self) -> Identity:
        """(device, inode) of the file now at :attr:`path`; StoreError if it is gone."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            raise StoreError(
                f"The database file {self.path} was deleted (reopen mltui once it is back)"
            ) from None
        except OSError as exc:
            raise StoreError(f"Cannot read {self.path}: {exc.strerror}") from None
        return (st.st_dev, st.st_ino)

    def mark_opened(self) -> None:
        """Note the file at :attr:`path` as the one the engine's connections open."""
        self.opened = self.current()

    def replaced(self) -> Identity | None:
        """The new identity when the file at :attr:`path` is no longer the one
        opened (deleted: StoreError), else None. One ``stat``."""
        now = self.current()
        return now if now != self.opened else None

    def has_sidecar(self) -> bool:
        """Whether a journal or a write-ahead log sits beside the file: only then
        can a crashed writer be in the way (two ``stat`` calls)."""
        return os.path.exists(self.journal) or os.path.exists(self.wal)

    def is_crash_error(self, exc: BaseException) -> bool:
        """Whether ``exc`` (an SQLAlchemy or sqlite3 error) is a read-only
        connection refusing a crashed writer's journal or log."""
        orig = getattr(exc, "orig", None) or exc
        name = getattr(orig, "sqlite_errorname", None)  # Python >= 3.11
        if name is not None:
            return name in CRASH_ERRORS
        text = str(orig).lower()
        return ("readonly" in text or "read-only" in text) and self.has_sidecar()

    def what_crashed(self) -> str:
        """The leftover file, for the message."""
        if os.path.exists(self.journal):
            return f"hot journal {self.journal}"
        return f"write-ahead log {self.wal} to recover"

    def crash_message(self, detail: str = "") -> str:
        """One line saying what is wrong and how to fix it."""
        line = (
            f"{self.path} has an unfinished transaction of a writer that crashed "
            f"({self.what_crashed()}); open it once with write access to recover"
        )
        return f"{line} ({detail})" if detail else line

    def recover(self) -> None:
        """Let sqlite roll back a crashed writer's transaction: one read through
        a short read-write connection. StoreError (one line) when the file or
        its folder is not writable, or sqlite could not recover it."""
        path = self.path
        if not (os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)):
            where = "file" if not os.access(path, os.W_OK) else "folder"
            raise StoreError(self.crash_message(f"the {where} is not writable"))
        try:
            con = sqlite3.connect(f"file:{quote(str(path))}?mode=rw", uri=True, timeout=5)
            try:
                con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            finally:
                con.close()
        except sqlite3.Error as exc:
            text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(self.crash_message(f"recovery failed: {text}")) from None

    def settle(self, dbapi_conn: DBAPIConnection | sqlite3.Connection | None = None) -> None:
        """Before a read on ``dbapi_conn`` (a read-only sqlite3 connection; a
        short one of its own when None): when a journal or log is beside the
        file, read once and, if sqlite refuses because a writer crashed, recover
        the file and read again. Raises StoreError when it cannot be recovered."""
        if not self.has_sidecar():
            return
        if dbapi_conn is None:
            own = sqlite3.connect(f"file:{quote(str(self.path))}?mode=ro", uri=True, timeout=15)
            try:
                self.settle(own)
            finally:
                own.close()
            return
        try:
            _probe(dbapi_conn)
            return
        except (sqlite3.Error, SQLAlchemyError) as exc:
            if not self.is_crash_error(exc):
                raise
        self.recover()
        _probe(dbapi_conn)


def _probe(dbapi_conn: DBAPIConnection | sqlite3.Connection) -> None:
    """One read: sqlite takes a shared lock, meeting any hot journal on the way."""
    cursor = dbapi_conn.cursor()
    try:
        cursor.execute("SELECT 1 FROM sqlite_master LIMIT 1")
        cursor.fetchall()
    finally:
        cursor.close()
