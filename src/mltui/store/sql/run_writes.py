"""Run writes, exactly as ``MlflowClient`` makes them on a SQL store:

- ``delete_run`` / ``restore_run``: ``lifecycle_stage``, and ``deleted_time``
  where the schema has it (MLflow >= 2.x);
- ``update_run(name=...)``: ``runs.name`` and the ``mlflow.runName`` tag (an
  empty name changes nothing, as in MLflow);
- ``set_tag`` / ``delete_tag`` on many runs; setting ``mlflow.runName`` renames
  the run, as MLflow's ``set_tag`` does. Each run must be active (MLflow's message
  otherwise).

All ids in one transaction, checked before the first write: all change or none."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..errors import InvalidValue, ResourceNotFound
from ..shared import now_ms
from ..tracking_rules import RUN_NAME_TAG, check_run_tag, no_run_tag
from .database import Database, chunks


class RunWrites:
    """Run lifecycle writes, renames and tags."""

    def __init__(self, db: Database):
        self.db = db

    def delete(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as ``MlflowClient.delete_run``: lifecycle_stage and deleted_time."""
        self._set_lifecycle(run_ids, "deleted")

    def restore(self, run_ids: Sequence[str]) -> None:
        """Undo a soft delete as ``MlflowClient.restore_run``."""
        self._set_lifecycle(run_ids, "active")

    def _set_lifecycle(self, run_ids: Sequence[str], stage: str) -> None:
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

    # -- names and tags ----------------------------------------------------------------
    def _active_runs(self, conn: sa.Connection, ids: list[str]) -> None:
        """Refuse (before any write) an unknown run or one that is not active."""
        runs = self.db.schema["runs"]
        stages: dict[str, str] = {}
        for chunk in chunks(ids):
            stages.update(conn.execute(
                sa.select(runs.c.run_uuid, runs.c.lifecycle_stage).where(
                    runs.c.run_uuid.in_(chunk))
            ).tuples().all())
        for rid in ids:
            if rid not in stages:
                raise ResourceNotFound(f"Run with id={rid} not found")
            if stages[rid] != "active":
                raise InvalidValue(
                    f"The run {rid} must be in the 'active' state. "
                    f"Current state is {stages[rid]}."
                )

    def _upsert_tag(self, conn: sa.Connection, rid: str, key: str, value: str) -> None:
        tags = self.db.schema["tags"]
        where = [tags.c.run_uuid == rid, tags.c.key == key]
        if conn.execute(sa.update(tags).where(*where).values(value=value)).rowcount == 0:
            conn.execute(sa.insert(tags).values(run_uuid=rid, key=key, value=value))

    def _rename(self, conn: sa.Connection, rid: str, name: str) -> None:
        runs = self.db.schema["runs"]
        conn.execute(sa.update(runs).where(runs.c.run_uuid == rid).values(name=name))
        self._upsert_tag(conn, rid, RUN_NAME_TAG, name)

    def rename(self, run_id: str, new_name: str) -> None:
        """``update_run(run_id, name=new_name)``."""
        with self.db.write("renaming a run") as conn:
            self._active_runs(conn, [run_id])
            if new_name:
                self._rename(conn, run_id, new_name)

    def set_tags(self, run_ids: Sequence[str], key: str, value: str) -> None:
        """``set_tag(run_id, key, value)`` on each run, in one transaction."""
        ids = list(dict.fromkeys(run_ids))
        value = check_run_tag(key, str(value))
        if not ids:
            return
        with self.db.write(f"setting tag {key} on {len(ids)} run(s)") as conn:
            self._active_runs(conn, ids)
            for rid in ids:
                if key == RUN_NAME_TAG:
                    if value:  # MLflow's update_run_info ignores an empty name
                        self._rename(conn, rid, value)
                else:
                    self._upsert_tag(conn, rid, key, value)

    def delete_tags(self, run_ids: Sequence[str], key: str) -> None:
        """``delete_tag(run_id, key)`` on each run that has ``key``; ResourceNotFound
        (MLflow's message) when none has it."""
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        tags = self.db.schema["tags"]
        with self.db.write(f"deleting tag {key} of {len(ids)} run(s)") as conn:
            self._active_runs(conn, ids)
            deleted = 0
            for chunk in chunks(ids):
                deleted += conn.execute(sa.delete(tags).where(
                    tags.c.run_uuid.in_(chunk), tags.c.key == key)).rowcount
            if deleted == 0:
                raise no_run_tag(key, ids)
