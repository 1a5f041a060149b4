"""MLflow 3's logged models of an experiment (absent from older schemas)."""

from __future__ import annotations

from collections import defaultdict

import sqlalchemy as sa

from ..entities import LoggedModel
from .database import Database, chunks

_LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}
"""LoggedModelStatus enum values as MLflow stores them (protos)."""


class LoggedModels:
    """Reads of ``logged_models`` with their tags and params."""

    def __init__(self, db: Database):
        self.db = db

    def list_for(self, experiment_id: str) -> list[LoggedModel]:
        """The logged models of one experiment, newest first; none when the
        schema predates logged models or the experiment is in another workspace."""
        table = self.db.schema.table("logged_models")
        if table is None:
            return []
        stmt = (
            sa.select(table)
            .where(table.c.experiment_id.in_(self.db.visible_experiment_ids([experiment_id])))
            .order_by(table.c.creation_timestamp_ms.desc())
        )
        with self.db.read() as conn:
            rows = conn.execute(stmt).mappings().all()
            ids = [r["model_id"] for r in rows]
            tags = self._children(conn, "logged_model_tags", ids, "tag_key", "tag_value")
            params = self._children(conn, "logged_model_params", ids, "param_key",
                                    "param_value")
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
