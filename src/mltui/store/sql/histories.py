"""Metric histories, downsampled in the database.

A chart is at most a few hundred columns wide; a history may hold millions
of points. Above ``max_points`` the step range is cut into buckets and each
bucket keeps its lowest and highest value, so spikes survive and only a few
hundred rows cross the connection.

Each bucket is two ``ORDER BY ... LIMIT 1`` lookups on MLflow's
``(run_uuid, key, step)`` index. One grouped pass over the whole history
looks cheaper but is not: the database sorts every point (window functions,
5.8 s for a million points on sqlite) or walks the key's points of every run
(1.1 s), where the range lookups read each point of this run once (0.6 s).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import UnaryExpression

from ..entities import Metric
from ..shared import MAX_FLOAT
from .database import Database, chunks
from .run_rows import decode_metric_value

PARALLEL_STEPS = 50_000
"""Steps in a downsampled range from which its two passes run side by side."""


class MetricHistories:
    """Reads of the ``metrics`` table (every logged point)."""

    def __init__(self, db: Database):
        self.db = db

    def metric_history(
        self, run_id: str, key: str, min_step: int | None, max_step: int | None,
        max_points: int | None,
    ) -> list[Metric]:
        """The points of one metric by step then timestamp, at most about
        ``max_points`` of them, downsampled in the database (see
        :meth:`BaseStore.get_metric_history`)."""
        metrics = self.db.schema["metrics"]
        # each query below names one step range only: given two, sqlite ranges its
        # index over the first and filters by the second (100x slower on a zoom)
        base = [metrics.c.run_uuid == run_id, metrics.c.key == key]
        where = list(base)
        if min_step is not None:
            where.append(metrics.c.step >= min_step)
        if max_step is not None:
            where.append(metrics.c.step <= max_step)
        cols = [metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.is_nan]
        with self.db.read() as conn:
            if max_points is not None:
                # the ends, without counting every point: MIN and MAX alone are seeks
                lo = conn.execute(sa.select(sa.func.min(metrics.c.step)).where(*where)
                                  ).scalar()
                hi = conn.execute(sa.select(sa.func.max(metrics.c.step)).where(*where)
                                  ).scalar()
                if lo is None or hi is None:
                    return []
                # a range of one step, ordered by step first: with "step = ?" or
                # "ORDER BY timestamp", sqlite (no statistics) takes the primary key
                # (key, timestamp, ...) and walks the key's points of every run
                first = conn.execute(sa.select(*cols).where(
                    *base, metrics.c.step >= lo, metrics.c.step <= lo).order_by(
                    metrics.c.step, metrics.c.timestamp).limit(1)).first()
                last = conn.execute(sa.select(*cols).where(
                    *base, metrics.c.step >= hi, metrics.c.step <= hi).order_by(
                    metrics.c.step.desc(), metrics.c.timestamp.desc()).limit(1)).first()
                if hi - lo + 1 > max_points and first is not None and last is not None:
                    picked = self._downsampled(conn, base, lo, hi, max(1, max_points // 2))
                    picked.update({tuple(first), tuple(last)})
                    rows = sorted(picked, key=lambda r: (r[0], r[1]))
                    if len(rows) <= max_points + 2 or not self._sparse(conn, where, max_points):
                        return [_metric(key, *r) for r in rows]
            # by step alone (the index's order); timestamps of one step sorted here
            found = conn.execute(sa.select(*cols).where(*where).order_by(metrics.c.step)
                                 ).all()
        return [_metric(key, *r) for r in sorted(found, key=lambda r: (r[0], r[1]))]

    def _sparse(self, conn: sa.Connection, where: list, max_points: int) -> bool:
        """Whether the range holds at most ``max_points`` points (then all are read)."""
        metrics = self.db.schema["metrics"]
        inner = sa.select(metrics.c.step).where(*where).limit(max_points + 1).subquery()
        n = conn.execute(sa.select(sa.func.count()).select_from(inner)).scalar()
        return (n or 0) <= max_points

    def _downsampled(
        self, conn: sa.Connection, base: list, lo: int, hi: int, buckets: int
    ) -> set[tuple]:
        """Per bucket of steps the lowest and highest value. NaN (stored as 0 with
        is_nan) ranks last, so it never hides a real extreme; ties go to the first
        step, then the first timestamp, as the Python downsampling breaks them.

        The lowest and highest are two passes over the range; on a long range the
        second runs at the same time on another connection (the driver releases the
        GIL while the database reads, so two cores read one history)."""
        bounds = _bucket_bounds(lo, hi, buckets)
        if hi - lo + 1 < PARALLEL_STEPS:
            return self._extremes(conn, base, bounds, "low") | \
                self._extremes(conn, base, bounds, "high")

        def highs() -> set[tuple]:
            with self.db.read() as other:
                return self._extremes(other, base, bounds, "high")

        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(highs)
            picked = self._extremes(conn, base, bounds, "low")
            return picked | future.result()

    def _extremes(
        self, conn: sa.Connection, base: list, bounds: list[tuple[int, int]], which: str
    ) -> set[tuple]:
        """The lowest (``which="low"``) or highest point of each bucket."""
        metrics = self.db.schema["metrics"]
        cols = [metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.is_nan]
        inside = [*base, metrics.c.step >= sa.bindparam("start"),
                  metrics.c.step <= sa.bindparam("end")]
        value = metrics.c.value.asc() if which == "low" else metrics.c.value.desc()
        # built once, run per bucket: building a statement costs more than running it
        ordered = _Raw(conn, sa.select(*cols).where(*inside).order_by(
            metrics.c.is_nan.asc(), value, metrics.c.step, metrics.c.timestamp).limit(1))
        bare: _Raw | None = None
        if self.db.schema.dialect == "sqlite":
            # sqlite's min()/max() with bare columns gives the row holding the
            # extreme, the first in index order (step, then insertion) on a tie, in
            # one pass without a sorter: 35% less than ORDER BY ... LIMIT 1
            extreme = sa.func.min if which == "low" else sa.func.max
            bare = _Raw(conn, sa.select(
                metrics.c.step, metrics.c.timestamp, extreme(metrics.c.value),
                metrics.c.is_nan).where(*inside, metrics.c.is_nan == sa.false()))
        picked: set[tuple] = set()
        for start, end in bounds:
            row = bare.first(start=start, end=end) if bare is not None else None
            if row is None or row[2] is None:  # only NaN in the bucket, or nothing
                row = ordered.first(start=start, end=end)
            if row is not None:
                picked.add(tuple(row))
        return picked

    def ranges(
        self, run_ids: Sequence[str], keys: Sequence[str]
    ) -> dict[tuple[str, str], tuple[float, float]]:
        """The finite extremes of each (run, key), grouped in the database: one
        query per few hundred runs and keys (see :meth:`BaseStore.metric_ranges`)."""
        metrics = self.db.schema["metrics"]
        key_column: sa.ColumnElement = metrics.c.key
        if self.db.schema.dialect == "sqlite":
            # "+key": without statistics sqlite would take the primary key (key, ...)
            # and read every point of these keys in every run (1.8 s for 20 runs
            # of a 100k-run store, against 4 ms through the run_uuid index)
            key_column = UnaryExpression(key_column, operator=operators.custom_op("+"))
        found: dict[tuple[str, str], tuple[float, float]] = {}
        with self.db.read() as conn:
            for some_runs in chunks(list(run_ids)):
                for some_keys in chunks(list(keys)):
                    stmt = (
                        sa.select(metrics.c.run_uuid, metrics.c.key,
                                  sa.func.min(metrics.c.value), sa.func.max(metrics.c.value))
                        .where(metrics.c.run_uuid.in_(some_runs), key_column.in_(some_keys),
                               metrics.c.is_nan == sa.false(),
                               metrics.c.value < MAX_FLOAT, metrics.c.value > -MAX_FLOAT)
                        .group_by(metrics.c.run_uuid, metrics.c.key)
                    )
                    for run_id, name, low, high in conn.execute(stmt):
                        if low is not None:
                            found[(str(run_id), str(name))] = (float(low), float(high))
        return found


class _Raw:
    """One statement compiled once and run on the driver's cursor: a bucket's
    lookup takes 50 µs in the database, and SQLAlchemy's own work per execution
    cost more than that (2.1 s for 20 runs of 100,000 points, 0.6 s without)."""

    def __init__(self, conn: sa.Connection, stmt: sa.Select):
        compiled = stmt.compile(dialect=conn.dialect)
        self.sql = str(compiled)
        self.defaults = dict(compiled.params)
        self.order = compiled.positiontup if compiled.positional else None
        self.cursor = conn.connection.cursor()

    def first(self, **values: Any) -> tuple | None:
        params = {**self.defaults, **values}
        args = tuple(params[name] for name in self.order) if self.order is not None \
            else params
        self.cursor.execute(self.sql, args)
        return self.cursor.fetchone()


def _bucket_bounds(lo: int, hi: int, buckets: int) -> list[tuple[int, int]]:
    """The first and last step of each bucket: the steps s with
    ``(s - lo) * buckets // span == i`` (empty buckets left out)."""
    span = hi - lo + 1
    out = []
    for i in range(buckets):
        start = lo + -(-i * span // buckets)
        end = lo + -(-(i + 1) * span // buckets) - 1
        if end >= start:
            out.append((start, end))
    return out


def _metric(key: str, step: Any, timestamp: Any, value: Any, is_nan: Any) -> Metric:
    return Metric(key, decode_metric_value(value, is_nan), timestamp or 0, step or 0)
