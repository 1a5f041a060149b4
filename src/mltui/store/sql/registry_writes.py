"""Model registry writes over MLflow's SQL schema, made as MLflow's SQL store
makes them (``mlflow/store/model_registry/sqlalchemy_store.py``):

- a stage transition sets ``current_stage`` and ``last_updated_time`` on the
  version and ``last_updated_time`` on the registered model; with
  ``archive_existing`` the other versions in that stage move to Archived with
  the same timestamp;
- a version description updates the version's ``last_updated_time`` only; a
  model description the model's only;
- aliases and tags are upserted or deleted and touch no timestamp;
- a new model gets creation and last-updated time "now"; a new version is the
  highest number ever used plus one (deleted versions count), status READY,
  stage None, and stamps its model's ``last_updated_time``;
- a rename changes the name everywhere (versions, tags, aliases: MLflow's
  ``ON UPDATE CASCADE``, done explicitly here for sqlite, which MLflow runs with
  foreign keys on and mltui without) and stamps the model and every version;
- deleting a model deletes its rows everywhere; deleting a version keeps its row
  (stage ``Deleted_Internal``, source, run and description redacted, tags kept),
  removes the aliases pointing at it and stamps the model.

Each write is one transaction. Writes that take an ``expected_*`` argument
refuse with :class:`ConflictError` when the row changed since it was shown.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..entities import PROMPT_TAG, ModelVersion, RegisteredModel
from ..errors import ResourceNotFound
from ..registry_rules import (
    ANY,
    DELETED_STAGE,
    REDACTED_VERSION,
    ModelSource,
    already_exists,
    check_alias,
    check_alias_target,
    check_alias_unchanged,
    check_expected,
    check_model_name,
    check_new_name,
    check_new_tags,
    check_tag,
    check_transition,
    check_version,
    logged_model_not_found,
    model_not_found,
    prompt_not_model,
    version_not_found,
)
from ..shared import now_ms
from .database import Database
from .registry import RegistryReader


class RegistryWrites:
    """Writes to the registry tables; ``reader`` gives back what a write made."""

    def __init__(self, db: Database, reader: RegistryReader):
        self.db = db
        self.reader = reader

    def _version_where(self, table: sa.Table, name: str, version: int) -> list:
        return [
            table.c.name == name,
            table.c.version == version,
            table.c.current_stage != DELETED_STAGE,
            *self.db.scope(table),
        ]

    def _version_row(self, conn: sa.Connection, name: str, version: int) -> sa.Row:
        versions = self.db.schema["model_versions"]
        row = conn.execute(
            sa.select(versions.c.current_stage, versions.c.last_updated_time).where(
                *self._version_where(versions, name, version)
            )
        ).first()
        if row is None:
            raise version_not_found(name, version)
        return row

    def transition_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing: bool = False,
        expected_last_updated: Any = ANY,
    ) -> ModelVersion:
        """Move a version to ``stage`` (optionally archiving the others in it) and
        touch the model's ``last_updated_time``; returns the version as now stored."""
        stage, version = check_transition(stage, version, archive_existing)
        versions = self.db.schema["model_versions"]
        models = self.db.schema["registered_models"]
        with self.db.write(f"moving {name} v{version} to {stage}") as conn:
            row = self._version_row(conn, name, version)
            check_expected(row.last_updated_time, expected_last_updated, f"{name} v{version}")
            now = now_ms()
            if archive_existing:
                conn.execute(
                    sa.update(versions)
                    .where(
                        versions.c.name == name,
                        versions.c.version != version,
                        versions.c.current_stage == stage,
                        *self.db.scope(versions),
                    )
                    .values(current_stage="Archived", last_updated_time=now)
                )
            conn.execute(
                sa.update(versions)
                .where(*self._version_where(versions, name, version))
                .values(current_stage=stage, last_updated_time=now)
            )
            conn.execute(
                sa.update(models)
                .where(models.c.name == name, *self.db.scope(models))
                .values(last_updated_time=now)
            )
        return self.reader.version(name, version)

    def set_alias(
        self, name: str, alias: str, version: int, expected_previous: Any = ANY
    ) -> None:
        """Point ``alias`` at ``version``; ``expected_previous`` is the version the alias
        pointed to when the dialog opened (None: it did not exist)."""
        check_alias(alias)
        version = check_version(version)
        aliases = self.db.schema["registered_model_aliases"]
        with self.db.write(f"setting alias @{alias}") as conn:
            self._version_row(conn, name, version)
            scope = [aliases.c.name == name, aliases.c.alias == alias,
                     *self.db.scope(aliases)]
            current = conn.execute(sa.select(aliases.c.version).where(*scope)).scalar()
            check_alias_target(alias, current, expected_previous)
            if current is None:
                values = {"name": name, "alias": alias, "version": version}
                if "workspace" in aliases.c:
                    values["workspace"] = self.db.workspace
                conn.execute(sa.insert(aliases).values(**values))
            elif current != version:
                conn.execute(sa.update(aliases).where(*scope).values(version=version))

    def delete_alias(self, name: str, alias: str, expected_version: Any = ANY) -> None:
        """Remove ``alias``; ``expected_version`` is where it pointed when shown."""
        check_alias(alias, for_set=False)
        aliases = self.db.schema["registered_model_aliases"]
        with self.db.write(f"deleting alias @{alias}") as conn:
            self._model_exists(conn, name)
            scope = [aliases.c.name == name, aliases.c.alias == alias,
                     *self.db.scope(aliases)]
            if expected_version is not ANY:
                current = conn.execute(sa.select(aliases.c.version).where(*scope)).scalar()
                check_alias_unchanged(alias, current, expected_version)
            conn.execute(sa.delete(aliases).where(*scope))

    def _model_exists(self, conn: sa.Connection, name: str) -> None:
        models = self.db.schema["registered_models"]
        found = conn.execute(
            sa.select(models.c.name).where(models.c.name == name, *self.db.scope(models))
        ).first()
        if found is None:
            raise model_not_found(name)

    def _upsert_tag(
        self, conn: sa.Connection, table: sa.Table, keys: dict[str, Any], value: str
    ) -> None:
        where = [table.c[k] == v for k, v in keys.items()] + self.db.scope(table)
        updated = conn.execute(sa.update(table).where(*where).values(value=value))
        if updated.rowcount == 0:
            values = dict(keys, value=value)
            if "workspace" in table.c:
                values["workspace"] = self.db.workspace
            conn.execute(sa.insert(table).values(**values))

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        """Upsert a model tag; MLflow touches no timestamp for tags."""
        check_tag(key, value)
        table = self.db.schema["registered_model_tags"]
        with self.db.write(f"setting tag {key} on {name}") as conn:
            self._model_exists(conn, name)
            self._upsert_tag(conn, table, {"name": name, "key": key}, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        """Delete a model tag; ResourceNotFound for an unknown model."""
        check_tag(key, "")
        table = self.db.schema["registered_model_tags"]
        with self.db.write(f"deleting tag {key} of {name}") as conn:
            self._model_exists(conn, name)
            conn.execute(sa.delete(table).where(
                table.c.name == name, table.c.key == key, *self.db.scope(table)))

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Upsert a version tag; ResourceNotFound for a missing or deleted version."""
        check_tag(key, value)
        version = check_version(version)
        table = self.db.schema["model_version_tags"]
        with self.db.write(f"setting tag {key} on {name} v{version}") as conn:
            self._version_row(conn, name, version)
            self._upsert_tag(conn, table, {"name": name, "version": version, "key": key}, value)

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        """Delete a version tag; ResourceNotFound for a missing or deleted version."""
        check_tag(key, "")
        version = check_version(version)
        table = self.db.schema["model_version_tags"]
        with self.db.write(f"deleting tag {key} of {name} v{version}") as conn:
            self._version_row(conn, name, version)
            conn.execute(sa.delete(table).where(
                table.c.name == name, table.c.version == version, table.c.key == key,
                *self.db.scope(table)))

    def update_model_description(
        self, name: str, description: str, expected_last_updated: Any = ANY
    ) -> None:
        """Set the model's description and its ``last_updated_time``."""
        models = self.db.schema["registered_models"]
        where = [models.c.name == name, *self.db.scope(models)]
        with self.db.write(f"editing the description of {name}") as conn:
            row = conn.execute(sa.select(models.c.last_updated_time).where(*where)).first()
            if row is None:
                raise model_not_found(name)
            check_expected(row.last_updated_time, expected_last_updated, name)
            conn.execute(sa.update(models).where(*where).values(
                description=description, last_updated_time=now_ms()))

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated: Any = ANY
    ) -> None:
        """Set the version's description and its ``last_updated_time`` (not the model's)."""
        version = check_version(version)
        versions = self.db.schema["model_versions"]
        with self.db.write(f"editing the description of {name} v{version}") as conn:
            row = self._version_row(conn, name, version)
            check_expected(row.last_updated_time, expected_last_updated, f"{name} v{version}")
            conn.execute(
                sa.update(versions)
                .where(*self._version_where(versions, name, version))
                .values(description=description, last_updated_time=now_ms())
            )

    # -- registry entries created, renamed and deleted ---------------------------------
    def _insert(self, conn: sa.Connection, table: sa.Table, **values: Any) -> None:
        if "workspace" in table.c:
            values["workspace"] = self.db.workspace
        conn.execute(sa.insert(table).values(**values))

    def _model_tags(self, conn: sa.Connection, name: str) -> dict[str, str] | None:
        """The tags of model ``name``, None when there is no such model."""
        models = self.db.schema["registered_models"]
        tags = self.db.schema["registered_model_tags"]
        found = conn.execute(
            sa.select(models.c.name).where(models.c.name == name, *self.db.scope(models))
        ).first()
        if found is None:
            return None
        rows = conn.execute(
            sa.select(tags.c.key, tags.c.value).where(tags.c.name == name, *self.db.scope(tags))
        )
        return {key: value for key, value in rows}

    def _editable_model(self, conn: sa.Connection, name: str) -> None:
        """MlflowClient's ``_raise_if_prompt``: the model exists and is no prompt."""
        tags = self._model_tags(conn, name)
        if tags is None:
            raise model_not_found(name)
        if PROMPT_TAG in tags:
            raise prompt_not_model(name)

    def create_registered_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        """A new model, stamped now, with ``tags`` and ``description`` ("" is none)."""
        new_tags = check_new_tags(tags)
        check_model_name(name)
        models = self.db.schema["registered_models"]
        table = self.db.schema["registered_model_tags"]
        with self.db.write(f"creating model {name}") as conn:
            existing = self._model_tags(conn, name)
            if existing is not None:
                raise already_exists(name, existing)
            now = now_ms()
            self._insert(conn, models, name=name, creation_time=now, last_updated_time=now,
                         description=description or None)
            for key, value in new_tags.items():
                self._insert(conn, table, name=name, key=key, value=value)
        return self.reader.model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """Rename a model: its versions, tags and aliases follow; the model and every
        version (deleted ones too) get ``last_updated_time`` now."""
        with self.db.write(f"renaming model {name}") as conn:
            self._editable_model(conn, name)
            check_new_name(new_name)
            if new_name != name and self._model_tags(conn, new_name) is not None:
                raise already_exists(new_name)
            now = now_ms()
            # the parent first: where the database cascades the update (PostgreSQL,
            # MySQL) the children already follow; sqlite, foreign keys off, needs each
            for table_name in ("registered_models", "model_versions", "model_version_tags",
                               "registered_model_tags", "registered_model_aliases"):
                table = self.db.schema[table_name]
                conn.execute(sa.update(table).where(
                    table.c.name == name, *self.db.scope(table)).values(name=new_name))
            for table_name in ("registered_models", "model_versions"):
                table = self.db.schema[table_name]
                conn.execute(sa.update(table).where(
                    table.c.name == new_name, *self.db.scope(table)
                ).values(last_updated_time=now))
        return self.reader.model(new_name)

    def delete_registered_model(self, name: str) -> None:
        """Delete the model and every row of it: versions, tags, aliases."""
        with self.db.write(f"deleting model {name}") as conn:
            self._editable_model(conn, name)
            for table_name in ("model_version_tags", "registered_model_aliases",
                               "model_versions", "registered_model_tags",
                               "registered_models"):
                table = self.db.schema[table_name]
                conn.execute(sa.delete(table).where(table.c.name == name,
                                                    *self.db.scope(table)))

    def _logged_model(self, conn: sa.Connection, model_id: str) -> sa.Row:
        table = self.db.schema.table("logged_models")
        if table is None:
            raise logged_model_not_found(model_id)
        where = [table.c.model_id == model_id]
        visible = self.db.visible_experiments()
        if visible is not None:
            where.append(table.c.experiment_id.in_(visible))
        row = conn.execute(
            sa.select(table.c.artifact_location, table.c.source_run_id).where(*where)
        ).first()
        if row is None:
            raise logged_model_not_found(model_id)
        return row

    def _storage_location(
        self, conn: sa.Connection, source: str, run_id: str | None
    ) -> tuple[str, str | None]:
        """(storage_location, run_id) of a new version, as MLflow's SQL store resolves a
        ``models:/`` source; any other source is stored as given."""
        if not ModelSource.applies(source):
            return source, run_id
        parsed = ModelSource(source)
        if parsed.model_id is not None:
            try:
                logged = self._logged_model(conn, parsed.model_id)
            except ResourceNotFound as exc:
                raise parsed.unresolvable(str(exc)) from None
            return logged.artifact_location, run_id or logged.source_run_id
        assert parsed.name is not None and parsed.version is not None
        versions = self.db.schema["model_versions"]
        row = conn.execute(
            sa.select(versions).where(*self._version_where(versions, parsed.name,
                                                           parsed.version))
        ).mappings().first()
        if row is None:
            raise parsed.unresolvable(str(version_not_found(parsed.name, parsed.version)))
        return row.get("storage_location") or row["source"], run_id

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        description: str = "", tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """Version max+1 (deleted ones count) of ``name`` from ``source``; MLflow's SQL
        store keeps no ``model_id``, it only takes the logged model's run from it."""
        new_tags = check_new_tags(tags)
        check_model_name(name)
        versions = self.db.schema["model_versions"]
        models = self.db.schema["registered_models"]
        table = self.db.schema["model_version_tags"]
        with self.db.write(f"creating a version of {name}") as conn:
            storage_location, run_id = self._storage_location(conn, source, run_id)
            if not run_id and model_id:
                run_id = self._logged_model(conn, model_id).source_run_id
            if self._model_tags(conn, name) is None:
                raise model_not_found(name)
            now = now_ms()
            conn.execute(sa.update(models).where(
                models.c.name == name, *self.db.scope(models)).values(last_updated_time=now))
            highest = conn.execute(
                sa.select(sa.func.max(versions.c.version)).where(
                    versions.c.name == name, *self.db.scope(versions))
            ).scalar()
            version = (highest or 0) + 1
            values: dict[str, Any] = {
                "name": name, "version": version, "creation_time": now,
                "last_updated_time": now, "description": description or None,
                "user_id": None, "current_stage": "None", "source": source,
                "run_id": run_id or None, "run_link": None, "status": "READY",
                "status_message": None,
            }
            if "storage_location" in versions.c:
                values["storage_location"] = storage_location
            self._insert(conn, versions, **values)
            for key, value in new_tags.items():
                self._insert(conn, table, name=name, version=version, key=key, value=value)
        return self.reader.version(name, version)

    def delete_model_version(self, name: str, version: int) -> None:
        """Mark the version deleted as MLflow does (row kept, redacted, tags kept),
        remove the aliases pointing at it and stamp the model."""
        versions = self.db.schema["model_versions"]
        models = self.db.schema["registered_models"]
        aliases = self.db.schema["registered_model_aliases"]
        with self.db.write(f"deleting {name} v{version}") as conn:
            self._editable_model(conn, name)
            version = check_version(version)
            self._version_row(conn, name, version)
            now = now_ms()
            conn.execute(sa.update(models).where(
                models.c.name == name, *self.db.scope(models)).values(last_updated_time=now))
            conn.execute(sa.delete(aliases).where(
                aliases.c.name == name, aliases.c.version == version, *self.db.scope(aliases)))
            conn.execute(
                sa.update(versions)
                .where(*self._version_where(versions, name, version))
                .values(current_stage=DELETED_STAGE, last_updated_time=now, **REDACTED_VERSION)
            )
