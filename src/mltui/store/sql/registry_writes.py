"""Model registry writes over MLflow's SQL schema, made as MLflow's SQL store
makes them (``mlflow/store/model_registry/sqlalchemy_store.py``):

- a stage transition sets ``current_stage`` and ``last_updated_time`` on the
  version and ``last_updated_time`` on the registered model; with
  ``archive_existing`` the other versions in that stage move to Archived with
  the same timestamp;
- a version description updates the version's ``last_updated_time`` only; a
  model description the model's only;
- aliases and tags are upserted or deleted and touch no timestamp.

Each write is one transaction. Writes that take an ``expected_*`` argument
refuse with :class:`ConflictError` when the row changed since it was shown.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..entities import ModelVersion
from ..errors import ConflictError, ResourceNotFound
from ..registry_rules import (
    ANY,
    check_alias,
    check_expected,
    check_tag,
    check_transition,
    check_version,
)
from ..shared import now_ms
from .database import Database
from .registry import DELETED_STAGE, RegistryReader


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
            raise ResourceNotFound(f"Model Version (name={name}, version={version}) not found")
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
            if expected_previous is not ANY and current != expected_previous:
                raise ConflictError(
                    f"Alias @{alias} now points to "
                    f"{'nothing' if current is None else f'v{current}'} (changed since shown); "
                    "nothing was written"
                )
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
                if current != expected_version:
                    raise ConflictError(
                        f"Alias @{alias} changed since it was shown; nothing was written"
                    )
            conn.execute(sa.delete(aliases).where(*scope))

    def _model_exists(self, conn: sa.Connection, name: str) -> None:
        models = self.db.schema["registered_models"]
        found = conn.execute(
            sa.select(models.c.name).where(models.c.name == name, *self.db.scope(models))
        ).first()
        if found is None:
            raise ResourceNotFound(f"Registered Model with name={name} not found")

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
                raise ResourceNotFound(f"Registered Model with name={name} not found")
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
