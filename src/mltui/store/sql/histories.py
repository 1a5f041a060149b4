"""Metric histories, downsampled in the database.

A chart is at most a few hundred columns wide; a history may hold millions
of points. Above ``max_points`` the step range is cut into buckets and each
bucket keeps its lowest and highest value (window functions), so spikes
survive and only a few hundred rows cross the connection.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..entities import Metric
from .database import Database
from .run_rows import decode_metric_value


class MetricHistories:
    """Reads of the ``metrics`` table (every logged point)."""

    def __init__(self, db: Database):
        self.db = db

    def history(
        self, run_id: str, key: str, min_step: int | None, max_step: int | None,
        max_points: int | None,
    ) -> list[Metric]:
        """The points of one metric by step then timestamp, at most about
        ``max_points`` of them (see :meth:`BaseStore.get_metric_history`)."""
        metrics = self.db.schema["metrics"]
        where = [metrics.c.run_uuid == run_id, metrics.c.key == key]
        if min_step is not None:
            where.append(metrics.c.step >= min_step)
        if max_step is not None:
            where.append(metrics.c.step <= max_step)
        cols = [metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.is_nan]
        with self.db.read() as conn:
            if max_points is not None:
                n, lo, hi = conn.execute(
                    sa.select(
                        sa.func.count(), sa.func.min(metrics.c.step), sa.func.max(metrics.c.step)
                    ).where(*where)
                ).one()
                if n > max_points and hi > lo:
                    picked = self._downsampled(conn, where, lo, hi, max(1, max_points // 2))
                    return [_metric(key, *r) for r in picked]
            rows = conn.execute(
                sa.select(*cols).where(*where).order_by(metrics.c.step, metrics.c.timestamp)
            ).all()
        return [_metric(key, *r) for r in rows]

    def _downsampled(
        self, conn: sa.Connection, where: list, lo: int, hi: int, buckets: int
    ) -> list[tuple]:
        """Per bucket of steps the lowest and highest value (NaN ranks last, so it
        never hides a real extreme), plus the first and last points of the range."""
        metrics = self.db.schema["metrics"]
        bucket = ((metrics.c.step - lo) * buckets) // (hi - lo + 1)
        rank_base = [metrics.c.is_nan.asc()]
        ranked = (
            sa.select(
                metrics.c.step,
                metrics.c.timestamp,
                metrics.c.value,
                metrics.c.is_nan,
                sa.func.row_number()
                .over(partition_by=bucket, order_by=[*rank_base, metrics.c.value.asc(),
                                                     metrics.c.step.asc()])
                .label("rmin"),
                sa.func.row_number()
                .over(partition_by=bucket, order_by=[*rank_base, metrics.c.value.desc(),
                                                     metrics.c.step.asc()])
                .label("rmax"),
            )
            .where(*where)
            .subquery()
        )
        cols = [ranked.c.step, ranked.c.timestamp, ranked.c.value, ranked.c.is_nan]
        picked = conn.execute(
            sa.select(*cols).where(sa.or_(ranked.c.rmin == 1, ranked.c.rmax == 1))
        ).all()
        metrics_cols = [metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.is_nan]
        first = conn.execute(
            sa.select(*metrics_cols).where(*where).order_by(metrics.c.step, metrics.c.timestamp)
            .limit(1)
        ).first()
        last = conn.execute(
            sa.select(*metrics_cols)
            .where(*where)
            .order_by(metrics.c.step.desc(), metrics.c.timestamp.desc())
            .limit(1)
        ).first()
        unique = {tuple(r) for r in picked}
        unique.update(tuple(r) for r in (first, last) if r is not None)
        return sorted(unique, key=lambda r: (r[0], r[1]))


def _metric(key: str, step: Any, timestamp: Any, value: Any, is_nan: Any) -> Metric:
    return Metric(key, decode_metric_value(value, is_nan), timestamp or 0, step or 0)
