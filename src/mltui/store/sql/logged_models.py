"""MLflow 3's logged models of an experiment (absent from older schemas)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from ..entities import LoggedModel, Metric
from ..errors import ResourceNotFound
from .database import Database, chunks

_LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}
"""LoggedModelStatus enum values as MLflow stores them (protos)."""


class LoggedModels:
    """Reads of ``logged_models`` with their tags, params and metrics."""

    def __init__(self, db: Database):
        self.db = db

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        """The live logged models of one experiment, newest first (as
        ``search_logged_models``: deleted ones left out); none when the schema
        predates logged models or the experiment is in another workspace."""
        table = self.db.schema.table("logged_models")
        if table is None:
            return []
        stmt = (
            sa.select(table)
            .where(table.c.experiment_id.in_(self.db.visible_experiment_ids([experiment_id])))
            .order_by(table.c.creation_timestamp_ms.desc())
        )
        if "lifecycle_stage" in table.c:
            stmt = stmt.where(sa.or_(table.c.lifecycle_stage.is_(None),
                                     table.c.lifecycle_stage != "deleted"))
        return self._read(stmt)

    def logged_model(self, model_id: str) -> LoggedModel:
        """One live logged model by id (``MlflowClient.get_logged_model``). Raises
        ResourceNotFound, also on schemas without logged models."""
        table = self.db.schema.table("logged_models")
        found: list[LoggedModel] = []
        if table is not None:
            stmt = sa.select(table).where(table.c.model_id == model_id)
            if "lifecycle_stage" in table.c:
                stmt = stmt.where(sa.or_(table.c.lifecycle_stage.is_(None),
                                         table.c.lifecycle_stage != "deleted"))
            models = self._read(stmt)
            # another workspace's model is invisible, as its experiment is
            visible = set(self.db.visible_experiment_ids([m.experiment_id for m in models]))
            found = [m for m in models if int(m.experiment_id) in visible]
        if not found:
            raise ResourceNotFound(f"Logged model with ID '{model_id}' not found")
        return found[0]

    def _read(self, stmt: sa.Select) -> list[LoggedModel]:
        with self.db.read() as conn:
            rows = conn.execute(stmt).mappings().all()
            ids = [r["model_id"] for r in rows]
            tags = self._children(conn, "logged_model_tags", ids, "tag_key", "tag_value")
            params = self._children(conn, "logged_model_params", ids, "param_key",
                                    "param_value")
            metrics = self._metrics(conn, ids)
        return [
            LoggedModel(
                model_id=r["model_id"],
                experiment_id=str(r["experiment_id"]),
                name=r["name"],
                artifact_location=r["artifact_location"],
                creation_time=r["creation_timestamp_ms"],
                last_updated_time=r["last_updated_timestamp_ms"],
                status=_LOGGED_MODEL_STATUS.get(r["status"], str(r["status"])),
                model_type=r.get("model_type") or "",
                source_run_id=r.get("source_run_id") or "",
                tags=tags.get(r["model_id"], {}),
                params=params.get(r["model_id"], {}),
                metrics=metrics.get(r["model_id"], []),
            )
            for r in rows
        ]

    def _children(
        self, conn: sa.Connection, name: str, ids: list[str], key_col: str, value_col: str
    ) -> dict[str, dict[str, str]]:
        table = self.db.schema.table(name)
        out: dict[str, dict[str, str]] = defaultdict(dict)
        if table is None:
            return out
        for chunk in chunks(ids):
            stmt = sa.select(table.c.model_id, table.c[key_col], table.c[value_col]).where(
                table.c.model_id.in_(chunk)
            )
            for mid, key, value in conn.execute(stmt):
                out[mid][key] = value
        return out

    def _metrics(self, conn: sa.Connection, ids: list[str]) -> dict[str, list[Metric]]:
        """Every metric row of each model, as MLflow's SQL store returns them (a
        model's metric may have a row per step, run and dataset)."""
        table = self.db.schema.table("logged_model_metrics")
        out: dict[str, list[Metric]] = defaultdict(list)
        if table is None:
            return out
        for chunk in chunks(ids):
            stmt = (
                sa.select(table.c.model_id, table.c.metric_name, table.c.metric_value,
                          table.c.metric_timestamp_ms, table.c.metric_step)
                .where(table.c.model_id.in_(chunk))
                .order_by(table.c.metric_name, table.c.metric_step,
                          table.c.metric_timestamp_ms)
            )
            for mid, key, value, ts, step in conn.execute(stmt):
                out[mid].append(Metric(key, float("nan") if value is None else float(value),
                                       ts or 0, step or 0))
        return out
