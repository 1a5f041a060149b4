"""One MLflow database, as every part of the SQL backend sees it.

The parts (experiments, runs, registry...) share a single :class:`Database`,
handed to each in its ``__init__``: the read engine, the write engine opened on
the first write only, the reflected :class:`Schema`, the MLflow workspace, and
the transactions with their error mapping. So every name a part uses is
declared here or in the part, and no part reaches into another one's state.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from ..errors import InvalidSearch, StoreError
from .schema import Schema, create_engine, describe_db_error

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
    """

    uri: str
    """The URI as given (may hold a password: show ``safe_uri(uri)``)."""
    engine: sa.Engine
    """The read engine."""
    schema: Schema
    """MLflow's tables in this database, reflected on first use."""
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
        try:
            self.schema = Schema(self.engine, uri)
        except Exception:
            self.engine.dispose()
            raise
        self.workspace = os.environ.get("MLFLOW_WORKSPACE") or "default"

    def close(self) -> None:
        """Dispose of both engines' pools."""
        self.engine.dispose()
        if self._write_engine is not None:
            self._write_engine.dispose()

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        """A connection for one read; database errors become one-line StoreErrors."""
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(describe_db_error(exc, self.uri)) from None

    @contextmanager
    def write(self, what: str) -> Iterator[sa.Connection]:
        """One write transaction, refused in read-only mode (``what`` names it in
        the message); committed on success, rolled back entirely on any error."""
        self._check_writable(what)
        if self._write_engine is None:
            self._write_engine = create_engine(self.uri, writable=True)
        try:
            with self._write_engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"Nothing was written: {describe_db_error(exc, self.uri)}") from None

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
