"""MLflow 3 traces in the database: searched, counted, read with their spans.

A schema older than MLflow's trace tables (``trace_info``, 2.14) has no traces:
:attr:`TraceReads.available` is False and every read raises one StoreError that
says so (the store's capability is off, so the UI never asks). Searches are
filtered and sorted in the database (:mod:`.trace_search`); a page reads one more
id than asked to know whether another page follows.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from ..base import encode_page_token
from ..errors import ResourceNotFound, StoreError
from ..search.trace_filters import parse_trace_filter
from ..search.trace_order import parse_trace_order_by
from ..trace_artifacts import artifact_spans
from ..trace_decode import order_spans
from ..trace_entities import TRACKING_STORE, Span, TraceInfo, TracePage, TraceQuery
from .database import Database
from .trace_rows import TraceRows, span_from_row
from .trace_search import TraceFilter, order_clauses


def _regexp(pattern: str | None, value: str | None) -> bool:
    """sqlite's REGEXP for RLIKE, as MLflow registers it (a bad pattern matches nothing)."""
    if pattern is None or value is None:
        return False
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return False


class TraceReads:
    """Trace searches and reads over one :class:`Database`."""

    def __init__(self, db: Database):
        self.db = db

    @property
    def available(self) -> bool:
        """Whether this schema has MLflow's trace tables."""
        return "trace_info" in self.db.schema.table_names

    def _require(self) -> sa.Table:
        table = self.db.schema.table("trace_info")
        if table is None:
            raise StoreError("This MLflow database has no traces (its schema predates "
                             "MLflow 2.14)")
        return table

    def _where(self, query: TraceQuery) -> list[sa.ColumnElement[bool]]:
        """The conditions of a search; the filter is parsed (and rejected) first."""
        clauses = parse_trace_filter(query.filter)
        ti = self._require()
        ids = self.db.visible_experiment_ids(query.experiment_ids)
        return [ti.c.experiment_id.in_(ids),
                *TraceFilter(self.db.schema, ids).conditions(clauses)]

    def _connect(self, conn: sa.Connection) -> None:
        if self.db.schema.dialect == "sqlite":
            dbapi = conn.connection.dbapi_connection
            if dbapi is not None:
                dbapi.create_function("regexp", 2, _regexp, deterministic=True)

    def page(self, query: TraceQuery, max_results: int, offset: int,
             count_total: bool) -> TracePage:
        """``max_results`` traces of ``query`` from ``offset``, filtered and sorted in
        the database (MLflow's SQL store rules)."""
        where = self._where(query)
        order = parse_trace_order_by(query.order_by)
        schema = self.db.schema
        ti = schema["trace_info"]
        ordering, joins = order_clauses(schema, order)
        source: sa.FromClause = ti
        for sub, on in joins:
            source = source.outerjoin(sub, on)
        stmt = (sa.select(ti).select_from(source).where(*where).order_by(*ordering)
                .offset(offset).limit(max_results + 1))
        rows_builder = TraceRows(schema)
        with self.db.read() as conn:
            self._connect(conn)
            rows = conn.execute(stmt).mappings().all()
            more = len(rows) > max_results
            rows = rows[:max_results]
            total = None
            if count_total:
                total = conn.execute(
                    sa.select(sa.func.count()).select_from(ti).where(*where)).scalar()
            infos = rows_builder.infos(conn, rows)
        token = encode_page_token(offset + max_results) if more else None
        return TracePage(infos, next_page_token=token, total=total, offset=offset)

    def count(self, query: TraceQuery) -> int:
        where = self._where(query)
        ti = self.db.schema["trace_info"]
        with self.db.read() as conn:
            self._connect(conn)
            return conn.execute(sa.select(sa.func.count()).select_from(ti).where(*where)) \
                .scalar() or 0

    def any(self, experiment_ids: tuple[str, ...]) -> bool:
        """Whether these experiments hold a trace (False on schemas without traces)."""
        if not self.available:
            return False
        ti = self._require()
        ids = self.db.visible_experiment_ids(experiment_ids)
        with self.db.read() as conn:
            return conn.execute(
                sa.select(sa.literal(1)).where(ti.c.experiment_id.in_(ids)).limit(1)
            ).first() is not None

    def info(self, trace_id: str) -> TraceInfo:
        ti = self._require()
        stmt = sa.select(ti).where(ti.c.request_id == trace_id)
        visible = self.db.visible_experiments()
        if visible is not None:
            stmt = stmt.where(ti.c.experiment_id.in_(visible))
        with self.db.read() as conn:
            rows = conn.execute(stmt).mappings().all()
            if not rows:
                raise ResourceNotFound(f"No trace with id {trace_id!r}")
            return TraceRows(self.db.schema).infos(conn, rows)[0]

    def spans(self, info: TraceInfo) -> list[Span]:
        """The trace's spans: rows of ``spans`` when its ``mlflow.trace.spansLocation``
        tag says TRACKING_STORE, else its ``traces.json`` artifact."""
        if info.spans_location != TRACKING_STORE:
            return artifact_spans(info)
        table = self.db.schema.table("spans")
        if table is None:
            raise StoreError(f"Trace {info.trace_id} says its spans are in the spans "
                             "table, which this database does not have")
        columns = [table.c[c] for c in ("span_id", "parent_span_id", "name", "type", "status",
                                        "start_time_unix_nano", "end_time_unix_nano", "content")
                   if c in table.c]
        with self.db.read() as conn:
            rows = conn.execute(sa.select(*columns).where(table.c.trace_id == info.trace_id)) \
                .mappings().all()
        if rows and all(r.get("content") == "" for r in rows):
            # archival cleared the payloads after this info was read: ask again
            fresh = self.info(info.trace_id)
            if fresh.spans_location != TRACKING_STORE:
                return artifact_spans(fresh)
        return order_spans(span_from_row(r, info.trace_id) for r in rows if r.get("content") != "")
