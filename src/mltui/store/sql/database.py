"""One MLflow database, as every part of the SQL backend sees it.

The parts (experiments, runs, registry...) share a single :class:`Database`,
handed to each in its ``__init__``: the read engine, the write engine opened on
the first write only, the reflected :class:`Schema`, the MLflow workspace, and
the transactions with their error mapping. So every name a part uses is
declared here or in the part, and no part reaches into another one's state.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..errors import InvalidSearch, StoreError
from .schema import Schema, create_engine, describe_db_error, sqlite_path
from .sqlite_file import SqliteFile

CHUNK = 500
"""Ids per ``IN (...)``: sqlite allows 999 bound parameters at most."""

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of at most ``size``, for ``IN`` lists of any length."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


class Database:
    """The connection to one MLflow database, shared by the parts of the store.

    Reads go through the read-only engine (sqlite opens it ``mode=ro``); writes
    through a read-write engine created on the first write, so a browsing
    session never holds a writable handle on a file a training job writes.
    Each :meth:`read` and :meth:`write` is one short transaction.

    On sqlite, each read and write first checks the file (one ``stat``): a file
    deleted raises a one-line StoreError, a file replaced is reopened (pools
    emptied, schema reflected again) so the next read shows the new data. A
    journal or log left by a writer that crashed mid-transaction is rolled back
    through a short read-write open, as sqlite intends, even with
    ``--read-only`` (it restores the committed data, it writes nothing of
    mltui's); when the file cannot be written, the message says so.
    """

    uri: str
    """The URI as given (may hold a password: show ``safe_uri(uri)``)."""
    engine: sa.Engine
    """The read engine (the same object for the store's life, also after a
    replaced sqlite file is reopened)."""
    workspace: str
    """The MLflow workspace (``MLFLOW_WORKSPACE``, else ``default``): rows of
    other workspaces are invisible, as in MLflow's workspace-aware stores."""

    def __init__(self, uri: str, check_writable: Callable[[str], None]):
        """Open ``uri`` for reading and reflect its schema. ``check_writable`` is
        the store's guard, asked before each write: the store's ``read_only``
        may change after opening (the app sets it)."""
        self.uri = uri
        self._check_writable = check_writable
        self.engine = create_engine(uri, writable=False)
        self._write_engine: sa.Engine | None = None
        self._reopen_lock = threading.Lock()
        self._file: SqliteFile | None = None
        try:
            if self.engine.dialect.name == "sqlite":
                path = sqlite_path(uri)
                if path is not None:
                    self._file = SqliteFile(path)
                    self._file.mark_opened()
            self._schema = self._open_schema()
        except Exception:
            self.engine.dispose()
            raise
        self.workspace = os.environ.get("MLFLOW_WORKSPACE") or "default"

    @property
    def schema(self) -> Schema:
        """MLflow's tables in this database, reflected on first use (again
        after a replaced sqlite file is reopened)."""
        self._check_file()
        return self._schema

    def close(self) -> None:
        """Dispose of both engines' pools."""
        self.engine.dispose()
        if self._write_engine is not None:
            self._write_engine.dispose()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for one read; database errors become one-line StoreErrors."""
        self._check_file()
        try:
            with self.engine.connect() as conn:
                if self._file is not None:
                    self._file.settle(conn.connection.dbapi_connection)
                yield conn
        except (SQLAlchemyError, sqlite3.Error) as exc:
            raise StoreError(self._describe(exc)) from None

    @contextmanager
    def write(self, what: str) -> Iterator[sa.Connection]:
        """One write transaction, refused in read-only mode (``what`` names it in
        the message); committed on success, rolled back entirely on any error."""
        self._check_writable(what)
        self._check_file()
        if self._write_engine is None:
            self._write_engine = create_engine(self.uri, writable=True)
        try:
            with self._write_engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"Nothing was written: {describe_db_error(exc, self.uri)}") from None

    # the sqlite file -----------------------------------------------------------
    def _open_schema(self) -> Schema:
        """Recover a crashed writer's journal if one is in the way, then reflect."""
        if self._file is not None:
            try:
                # its own connection: the engine's first connect already reads
                self._file.settle()
            except (SQLAlchemyError, sqlite3.Error) as exc:
                raise StoreError(self._describe(exc)) from None
        return Schema(self.engine, self.uri)

    def _check_file(self) -> None:
        """On sqlite: StoreError if the file was deleted; reopen if it was
        replaced since the pool opened it (one ``stat`` when nothing changed)."""
        if self._file is None or self._file.replaced() is None:
            return
        with self._reopen_lock:
            now = self._file.replaced()
            if now is None:  # another thread reopened it meanwhile
                return
            # connections in use finish on the old file; new ones open the new
            self.engine.dispose()
            if self._write_engine is not None:
                self._write_engine.dispose()
                self._write_engine = None
            schema = self._open_schema()  # NotAnMlflowStore: asked again next time
            self._schema = schema
            self._file.opened = now

    def _describe(self, exc: BaseException) -> str:
        """One line for a read error: a crashed writer's journal is named (and
        recovered for the next read, when it can be) rather than called
        read-only."""
        if self._file is not None and self._file.is_crash_error(exc):
            try:
                self._file.recover()
            except StoreError as err:
                return str(err)
            return (f"A writer crashed during this read of {self._file.path}; "
                    "its transaction is rolled back now: try again")
        return describe_db_error(exc, self.uri)

    # workspaces ----------------------------------------------------------------
    def scope(self, table: sa.Table) -> list[sa.ColumnElement[bool]]:
        """The condition keeping ``table``'s rows of this workspace; none on
        schemas older than workspaces (MLflow < 3.10), where everything is seen."""
        if "workspace" in table.c:
            return [table.c.workspace == self.workspace]
        return []

    def visible_experiments(self) -> sa.Select | None:
        """A subquery of the experiment ids of this workspace, or None when the
        schema has no workspaces (then every experiment id is visible)."""
        exps = self.schema["experiments"]
        scope = self.scope(exps)
        return sa.select(exps.c.experiment_id).where(*scope) if scope else None

    def visible_experiment_ids(self, experiment_ids: Sequence[str]) -> list[int]:
        """``experiment_ids`` as the integers MLflow stores, keeping those of this
        workspace: as MLflow's workspace-aware store, runs of an experiment in
        another workspace are invisible even when asked for by id.

        Raises :class:`InvalidSearch` for an id that is not a number."""
        ids = []
        for eid in experiment_ids:
            try:
                ids.append(int(eid))
            except (TypeError, ValueError):
                raise InvalidSearch(f"Invalid experiment id {eid!r}") from None
        exps = self.schema["experiments"]
        scope = self.scope(exps)
        if scope and ids:
            visible: set[int] = set()
            with self.read() as conn:
                for chunk in chunks(ids):
                    visible.update(conn.execute(
                        sa.select(exps.c.experiment_id).where(
                            exps.c.experiment_id.in_(chunk), *scope)
                    ).scalars())
            ids = [i for i in ids if i in visible]
        return ids
