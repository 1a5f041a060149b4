"""Writes to an MLflow database, made exactly as MLflow's SQL store makes them.

Every write is one transaction on a separate read-write engine, opened on the
first write only, so a browsing session never holds a writable handle.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from .errors import ResourceNotFound, StoreError
from .sql_schema import create_engine, describe_db_error


def now_ms() -> int:
    return int(time.time() * 1000)


class SqlWritesMixin:
    """Run lifecycle writes (delete / restore)."""

    @contextmanager
    def _write(self, what: str):
        self.check_writable(what)
        if self._write_engine is None:
            self._write_engine = create_engine(self.uri, writable=True)
        try:
            with self._write_engine.begin() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(f"Nothing was written: {describe_db_error(exc, self.uri)}") from None

    def _set_run_lifecycle(self, run_ids: Sequence[str], stage: str) -> None:
        runs = self.schema["runs"]
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        what = "deleting runs" if stage == "deleted" else "restoring runs"
        values: dict = {"lifecycle_stage": stage}
        if "deleted_time" in runs.c:
            values["deleted_time"] = now_ms() if stage == "deleted" else None
        with self._write(what) as conn:
            found = {
                rid
                for (rid,) in conn.execute(
                    sa.select(runs.c.run_uuid).where(runs.c.run_uuid.in_(ids))
                )
            }
            missing = [rid for rid in ids if rid not in found]
            if missing:
                raise ResourceNotFound(f"Run with id={missing[0]} not found; nothing was changed")
            conn.execute(sa.update(runs).where(runs.c.run_uuid.in_(ids)).values(**values))

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as ``MlflowClient.delete_run``: lifecycle_stage and deleted_time."""
        self._set_run_lifecycle(run_ids, "deleted")

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        self._set_run_lifecycle(run_ids, "active")
