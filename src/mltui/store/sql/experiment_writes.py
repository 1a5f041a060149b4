"""Experiment edits over MLflow's SQL schema, made as MLflow's ``SqlAlchemyStore``
makes them (``mlflow/store/tracking/sqlalchemy_store.py``):

- ``create_experiment`` inserts the row with ``creation_time`` =
  ``last_update_time`` = now, its tags, and, without an artifact location, the
  default one: ``<default artifact root>/<id>``;
- rename, delete and restore set ``last_update_time``; delete marks **every** run
  of the experiment deleted (``deleted_time`` = now, even runs deleted before),
  restore marks every run active again (``deleted_time`` cleared, so runs deleted
  before the experiment come back too), exactly as MLflow does;
- experiment tags are upserted or deleted and touch no timestamp.

The default artifact root: MLflow's client uses ``./mlruns`` of the current
folder of whoever writes, which mltui cannot know. The Default experiment (id 0)
was given ``<root>/0`` by that rule when the database was made, so its parent is
the root used here; without such a Default experiment, MLflow's own rule (the
``mlruns`` folder of the current folder) applies.

Each call is one transaction; every check happens before the first write.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..errors import ConflictError, InvalidValue, ResourceNotFound
from ..registry_rules import ANY
from ..shared import now_ms
from ..tracking_rules import (
    append_to_uri_path,
    check_artifact_location,
    check_experiment_name,
    check_experiment_tag,
    check_experiment_tags,
    resolve_uri_if_local,
)
from .database import Database

ASSESSMENT_SOURCE_RUN = "mlflow.assessment.sourceRunId"


class ExperimentWrites:
    """Creating, renaming, deleting and restoring experiments, and their tags."""

    def __init__(self, db: Database):
        self.db = db

    # -- helpers -------------------------------------------------------------------
    def _eid(self, experiment_id: str) -> int:
        try:
            return int(experiment_id)
        except (TypeError, ValueError):
            raise InvalidValue(
                f"Invalid experiment ID: '{experiment_id}'. Experiment ID must be an integer."
            ) from None

    def _row(self, conn: sa.Connection, eid: int, stages: tuple[str, ...]) -> sa.RowMapping:
        exps = self.db.schema["experiments"]
        row = conn.execute(
            sa.select(exps).where(
                exps.c.experiment_id == eid,
                exps.c.lifecycle_stage.in_(stages),
                *self.db.scope(exps),
            )
        ).mappings().first()
        if row is None:
            raise ResourceNotFound(f"No Experiment with id={eid} exists")
        return row

    def _check_name_free(self, conn: sa.Connection, name: str, own: int | None = None) -> None:
        exps = self.db.schema["experiments"]
        where = [exps.c.name == name, *self.db.scope(exps)]
        if own is not None:
            where.append(exps.c.experiment_id != own)
        if conn.execute(sa.select(exps.c.experiment_id).where(*where)).first() is not None:
            raise InvalidValue(f"Experiment(name={name}) already exists.")

    def _default_root(self, conn: sa.Connection) -> str:
        exps = self.db.schema["experiments"]
        location = conn.execute(
            sa.select(exps.c.artifact_location).where(exps.c.experiment_id == 0)
        ).scalar()
        if isinstance(location, str) and location.endswith("/0") and len(location) > 2:
            return location[:-2]
        return resolve_uri_if_local("./mlruns")

    @staticmethod
    def _check_active(row: sa.RowMapping) -> None:
        if row["lifecycle_stage"] != "active":
            raise InvalidValue(
                f"The experiment {row['experiment_id']} must be in the 'active' state. "
                f"Current state is {row['lifecycle_stage']}."
            )

    # -- experiments ---------------------------------------------------------------
    def create(
        self, name: str, artifact_location: str | None, tags: dict[str, str] | None
    ) -> str:
        """Insert an experiment as MLflow does; its id."""
        check_experiment_name(name)
        location = check_artifact_location(artifact_location)
        tags = check_experiment_tags(tags)
        exps = self.db.schema["experiments"]
        with self.db.write(f"creating experiment {name}") as conn:
            self._check_name_free(conn, name)
            now = now_ms()
            values: dict[str, Any] = {
                "name": name,
                "lifecycle_stage": "active",
                "artifact_location": location,
            }
            if "creation_time" in exps.c:
                values["creation_time"] = now
                values["last_update_time"] = now
            if "workspace" in exps.c:
                values["workspace"] = self.db.workspace
            conn.execute(sa.insert(exps).values(**values))
            # the database numbers it (autoincrement); names are unique per workspace
            eid = conn.execute(
                sa.select(exps.c.experiment_id).where(exps.c.name == name, *self.db.scope(exps))
            ).scalar_one()
            if not location:
                conn.execute(
                    sa.update(exps).where(exps.c.experiment_id == eid).values(
                        artifact_location=append_to_uri_path(self._default_root(conn), str(eid))
                    )
                )
            if tags:
                table = self.db.schema["experiment_tags"]
                conn.execute(sa.insert(table), [
                    {"experiment_id": eid, "key": k, "value": v} for k, v in tags.items()
                ])
        return str(eid)

    def rename(self, experiment_id: str, new_name: str, expected_name: Any = ANY) -> None:
        check_experiment_name(new_name)
        eid = self._eid(experiment_id)
        exps = self.db.schema["experiments"]
        with self.db.write(f"renaming experiment {experiment_id}") as conn:
            row = self._row(conn, eid, ("active", "deleted"))
            if expected_name is not ANY and row["name"] != expected_name:
                raise ConflictError(
                    f"Experiment {experiment_id} is now named {row['name']!r} (renamed since "
                    "shown); nothing was written"
                )
            if row["lifecycle_stage"] != "active":
                raise InvalidValue("Cannot rename a non-active experiment.")
            self._check_name_free(conn, new_name, own=eid)
            values: dict[str, Any] = {"name": new_name}
            if "last_update_time" in exps.c:
                values["last_update_time"] = now_ms()
            conn.execute(sa.update(exps).where(exps.c.experiment_id == eid).values(**values))

    def _set_lifecycle(self, experiment_id: str, stage: str) -> None:
        eid = self._eid(experiment_id)
        exps, runs = self.db.schema["experiments"], self.db.schema["runs"]
        what = "deleting" if stage == "deleted" else "restoring"
        with self.db.write(f"{what} experiment {experiment_id}") as conn:
            self._row(conn, eid, ("active",) if stage == "deleted" else ("deleted",))
            now = now_ms()
            values: dict[str, Any] = {"lifecycle_stage": stage}
            if "last_update_time" in exps.c:
                values["last_update_time"] = now
            conn.execute(sa.update(exps).where(exps.c.experiment_id == eid).values(**values))
            run_values: dict[str, Any] = {"lifecycle_stage": stage}
            if "deleted_time" in runs.c:
                run_values["deleted_time"] = now if stage == "deleted" else None
            if stage == "deleted":
                self._delete_assessments_of_runs(conn, eid)
            conn.execute(
                sa.update(runs).where(runs.c.experiment_id == eid).values(**run_values)
            )

    def _delete_assessments_of_runs(self, conn: sa.Connection, eid: int) -> None:
        """MLflow 3 deletes the assessments whose source is a run being deleted."""
        table = self.db.schema.table("assessments")
        if table is None or "assessment_metadata" not in table.c:
            return
        runs = self.db.schema["runs"]
        ids = conn.execute(
            sa.select(runs.c.run_uuid).where(runs.c.experiment_id == eid)
        ).scalars().all()
        for rid in ids:
            pattern = f'"{ASSESSMENT_SOURCE_RUN}": "{rid}"'
            conn.execute(sa.delete(table).where(
                table.c.assessment_metadata.contains(pattern, autoescape=True)))

    def delete(self, experiment_id: str) -> None:
        """Soft delete, with every run of the experiment (as MLflow)."""
        self._set_lifecycle(experiment_id, "deleted")

    def restore(self, experiment_id: str) -> None:
        self._set_lifecycle(experiment_id, "active")

    # -- tags ------------------------------------------------------------------------
    def set_tag(self, experiment_id: str, key: str, value: str) -> None:
        value = str(value)
        check_experiment_tag(key, value)
        eid = self._eid(experiment_id)
        table = self.db.schema["experiment_tags"]
        with self.db.write(f"setting tag {key} on experiment {experiment_id}") as conn:
            self._check_active(self._row(conn, eid, ("active", "deleted")))
            where = [table.c.experiment_id == eid, table.c.key == key]
            if conn.execute(sa.update(table).where(*where).values(value=value)).rowcount == 0:
                conn.execute(sa.insert(table).values(experiment_id=eid, key=key, value=value))

    def delete_tag(self, experiment_id: str, key: str) -> None:
        eid = self._eid(experiment_id)
        table = self.db.schema["experiment_tags"]
        with self.db.write(f"deleting tag {key} of experiment {experiment_id}") as conn:
            self._check_active(self._row(conn, eid, ("active", "deleted")))
            where = [table.c.experiment_id == eid, table.c.key == key]
            if conn.execute(sa.delete(table).where(*where)).rowcount == 0:
                raise ResourceNotFound(
                    f"No tag with name: {key} in experiment with id {experiment_id}"
                )
