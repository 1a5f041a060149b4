"""Deleting and restoring runs, exactly as ``MlflowClient.delete_run`` and
``restore_run`` do on a SQL store: ``lifecycle_stage``, and ``deleted_time``
where the schema has it (MLflow >= 2.x). All ids in one transaction, or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import ResourceNotFound
from ..shared import now_ms
from .database import Database


class RunWrites:
    """Run lifecycle writes."""

    def __init__(self, db: Database):
        self.db = db

    def set_lifecycle(self, run_ids: Sequence[str], stage: str) -> None:
        """Move ``run_ids`` to ``stage`` (``deleted`` or ``active``); if any id is
        unknown, ResourceNotFound and nothing changes."""
        runs = self.db.schema["runs"]
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        what = "deleting runs" if stage == "deleted" else "restoring runs"
        values: dict[str, Any] = {"lifecycle_stage": stage}
        if "deleted_time" in runs.c:
            values["deleted_time"] = now_ms() if stage == "deleted" else None
        with self.db.write(what) as conn:
            found = set(conn.execute(
                sa.select(runs.c.run_uuid).where(runs.c.run_uuid.in_(ids))
            ).scalars())
            missing = [rid for rid in ids if rid not in found]
            if missing:
                raise ResourceNotFound(f"Run with id={missing[0]} not found; nothing was changed")
            conn.execute(sa.update(runs).where(runs.c.run_uuid.in_(ids)).values(**values))
