"""Experiments of an MLflow database: listing with run counts, lookups by id
and by name, each with its tags, in this workspace only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from ..entities import Experiment, ViewType
from ..errors import ResourceNotFound
from .database import Database, chunks


class Experiments:
    """Reads of the ``experiments`` and ``experiment_tags`` tables."""

    def __init__(self, db: Database):
        self.db = db

    def in_view(self, view: ViewType) -> list[Experiment]:
        """The experiments in ``view`` by id, with the number of active runs and
        the newest start time among them (what the default runs view shows)."""
        exps, runs = self.db.schema["experiments"], self.db.schema["runs"]
        stmt = (
            sa.select(exps)
            .where(exps.c.lifecycle_stage.in_(view.stages), *self.db.scope(exps))
            .order_by(exps.c.experiment_id)
        )
        counts = sa.select(
            runs.c.experiment_id, sa.func.count(), sa.func.max(runs.c.start_time)
        ).where(runs.c.lifecycle_stage == "active").group_by(runs.c.experiment_id)
        with self.db.read() as conn:
            rows = conn.execute(stmt).mappings().all()
            stats = {str(eid): (n, last) for eid, n, last in conn.execute(counts)}
            tags = self.tags(conn, [str(r["experiment_id"]) for r in rows])
        result = []
        for row in rows:
            exp = experiment_from_row(row, tags.get(str(row["experiment_id"]), {}))
            exp.run_count, exp.last_run_time = stats.get(exp.experiment_id, (0, None))
            result.append(exp)
        return result

    def get(self, experiment_id: str) -> Experiment:
        """One experiment with its active run count; ResourceNotFound when it does
        not exist, is not a number, or lives in another workspace."""
        exps, runs = self.db.schema["experiments"], self.db.schema["runs"]
        try:
            eid = int(experiment_id)
        except (TypeError, ValueError):
            raise ResourceNotFound(f"No experiment with id {experiment_id!r}") from None
        with self.db.read() as conn:
            row = conn.execute(
                sa.select(exps).where(exps.c.experiment_id == eid, *self.db.scope(exps))
            ).mappings().first()
            if row is None:
                raise ResourceNotFound(f"No experiment with id {experiment_id!r}")
            tags = self.tags(conn, [str(eid)])
            count, last = conn.execute(
                sa.select(sa.func.count(), sa.func.max(runs.c.start_time)).where(
                    runs.c.experiment_id == eid, runs.c.lifecycle_stage == "active"
                )
            ).one()
        exp = experiment_from_row(row, tags.get(str(eid), {}))
        exp.run_count, exp.last_run_time = count, last
        return exp

    def find(self, ref: str) -> Experiment:
        """By name, else by id, without run counts: counting scans every run, and
        opening a runs table needs only the id and the name."""
        exps = self.db.schema["experiments"]
        scope = self.db.scope(exps)
        with self.db.read() as conn:
            row = conn.execute(sa.select(exps).where(exps.c.name == ref, *scope)).mappings().first()
            if row is None and ref.isdigit():
                row = conn.execute(
                    sa.select(exps).where(exps.c.experiment_id == int(ref), *scope)
                ).mappings().first()
            if row is None:
                raise ResourceNotFound(
                    f"No experiment named or numbered '{ref}' (see: mltui experiments)"
                )
            eid = str(row["experiment_id"])
            return experiment_from_row(row, self.tags(conn, [eid]).get(eid, {}))

    def by_name(self, name: str) -> Experiment | None:
        """The experiment called ``name`` in this workspace, with counts, or None."""
        exps = self.db.schema["experiments"]
        with self.db.read() as conn:
            eid = conn.execute(
                sa.select(exps.c.experiment_id).where(exps.c.name == name, *self.db.scope(exps))
            ).scalar()
        return None if eid is None else self.get(str(eid))

    def tags(self, conn: sa.Connection, ids: Sequence[str]) -> dict[str, dict[str, str]]:
        """The tags of experiments ``ids`` by experiment id (empty on schemas
        without ``experiment_tags``)."""
        table = self.db.schema.table("experiment_tags")
        out: dict[str, dict[str, str]] = defaultdict(dict)
        if table is None or not ids:
            return out
        for chunk in chunks([int(i) for i in ids]):
            stmt = sa.select(table.c.experiment_id, table.c.key, table.c.value).where(
                table.c.experiment_id.in_(chunk)
            )
            for eid, key, value in conn.execute(stmt):
                out[str(eid)][key] = value if value is not None else ""
        return out


def experiment_from_row(row: sa.RowMapping, tags: dict[str, str]) -> Experiment:
    """An :class:`Experiment` from an ``experiments`` row; columns missing from
    older schemas default."""
    return Experiment(
        experiment_id=str(row["experiment_id"]),
        name=row["name"],
        artifact_location=row.get("artifact_location"),
        lifecycle_stage=row.get("lifecycle_stage") or "active",
        creation_time=row.get("creation_time"),
        last_update_time=row.get("last_update_time"),
        tags=tags,
    )
