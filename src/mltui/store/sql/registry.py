"""Model registry reads over MLflow's SQL schema, in this workspace only.

A list of models is built in a fixed number of queries whatever its length
(tags, aliases, per-stage counts and latest versions grouped in the database),
so the models screen opens as fast on 2,000 models as on 20.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..entities import PROMPT_TAG, ModelVersion, RegisteredModel
from ..errors import ResourceNotFound
from ..registry_rules import (
    DELETED_STAGE,
    alias_not_found,
    model_not_found,
    version_not_found,
    version_number,
)
from .database import Database

_FEW = 200
"""Up to this many models, child rows are fetched by name; above, all are read."""


class RegistryReader:
    """Reads of the registry tables (``registered_models``, ``model_versions``,
    their tags and aliases)."""

    def __init__(self, db: Database):
        self.db = db

    def has_registry(self) -> bool:
        """Whether the schema has the registry tables (MLflow >= 1.x does)."""
        schema = self.db.schema
        return schema.has("registered_models") and schema.has("model_versions")

    def search_models(self, name_like: str | None, include_prompts: bool) -> list[RegisteredModel]:
        """Registered models by name; ``name_like`` is an ILIKE pattern (``%`` / ``_``);
        prompts (models tagged as such) only with ``include_prompts``."""
        if not self.has_registry():
            return []
        models = self.db.schema["registered_models"]
        where = self.db.scope(models)
        if name_like:
            where.append(models.c.name.ilike(name_like))
        tags_table = self.db.schema.table("registered_model_tags")
        if not include_prompts and tags_table is not None:
            prompt = sa.select(tags_table.c.name).where(
                tags_table.c.key == PROMPT_TAG,
                sa.func.lower(tags_table.c.value) == "true",
                *self.db.scope(tags_table),
            )
            where.append(models.c.name.not_in(prompt))
        stmt = sa.select(models).where(*where).order_by(models.c.name)
        with self.db.read() as conn:
            rows = conn.execute(stmt).mappings().all()
            return self._build_models(conn, rows)

    def _name_filters(self, table: sa.Table, names: list[str]) -> list[list]:
        """WHERE clauses covering ``names``: IN-lists for a few models, nothing (read
        all, filter after) for many, where one scan beats hundreds of lookups."""
        if len(names) > _FEW:
            return [[]]
        return [[table.c.name.in_(names[i : i + _FEW])] for i in range(0, len(names), _FEW)]

    def _build_models(
        self, conn: sa.Connection, rows: Sequence[sa.RowMapping]
    ) -> list[RegisteredModel]:
        """Models from their rows, with tags, aliases, per-stage version counts and
        the newest version of each stage (MLflow's ``latest_versions``)."""
        names = [r["name"] for r in rows]
        result = {
            r["name"]: RegisteredModel(
                name=r["name"],
                creation_time=r.get("creation_time"),
                last_updated_time=r.get("last_updated_time"),
                description=r.get("description") or "",
                version_count=0,
            )
            for r in rows
        }
        if not names:
            return []
        tags_table = self.db.schema.table("registered_model_tags")
        if tags_table is not None:
            for extra in self._name_filters(tags_table, names):
                stmt = sa.select(tags_table.c.name, tags_table.c.key, tags_table.c.value).where(
                    *self.db.scope(tags_table), *extra
                )
                for name, key, value in conn.execute(stmt):
                    if name in result:
                        result[name].tags[key] = value or ""
        aliases = self.db.schema.table("registered_model_aliases")
        if aliases is not None:
            for extra in self._name_filters(aliases, names):
                stmt = sa.select(aliases.c.name, aliases.c.alias, aliases.c.version).where(
                    *self.db.scope(aliases), *extra
                )
                for name, alias, version in conn.execute(stmt):
                    if name in result:
                        result[name].aliases[alias] = int(version)
        versions = self.db.schema["model_versions"]
        for extra in self._name_filters(versions, names):
            self._attach_latest_versions(conn, result, extra)
        for model in result.values():
            model.latest_versions.sort(key=lambda v: v.version)
        return [result[n] for n in names]

    def _attach_latest_versions(
        self, conn: sa.Connection, result: dict[str, RegisteredModel], extra: list
    ) -> None:
        """Version counts per stage and the newest version of each stage, with its
        tags, for the models of ``result`` that ``extra`` selects."""
        versions = self.db.schema["model_versions"]
        version_tags = self.db.schema.table("model_version_tags")
        # per model and stage: how many versions, and the newest one
        grouped = (
            sa.select(
                versions.c.name,
                versions.c.current_stage,
                sa.func.count().label("n"),
                sa.func.max(versions.c.version).label("v"),
            )
            .where(versions.c.current_stage != DELETED_STAGE, *self.db.scope(versions), *extra)
            .group_by(versions.c.name, versions.c.current_stage)
            .subquery()
        )
        for name, stage, n, _v in conn.execute(sa.select(grouped)):
            model = result.get(name)
            if model is not None:
                stage = stage or "None"
                model.version_count += n
                model.stage_counts[stage] = model.stage_counts.get(stage, 0) + n
        on = sa.and_(versions.c.name == grouped.c.name, versions.c.version == grouped.c.v)
        latest: dict[tuple[str, int], ModelVersion] = {}
        for row in conn.execute(
            sa.select(versions).select_from(versions.join(grouped, on))
            .where(*self.db.scope(versions))
        ).mappings():
            if row["name"] in result:
                mv = version_from_row(row)
                latest[(mv.name, mv.version)] = mv
        if version_tags is not None and latest:
            # MLflow's latest_versions carry their tags, as any other version
            tag_on = sa.and_(version_tags.c.name == grouped.c.name,
                             version_tags.c.version == grouped.c.v)
            stmt = (
                sa.select(version_tags.c.name, version_tags.c.version, version_tags.c.key,
                          version_tags.c.value)
                .select_from(version_tags.join(grouped, tag_on))
                .where(*self.db.scope(version_tags))
            )
            for name, version, key, value in conn.execute(stmt):
                tagged = latest.get((name, int(version)))
                if tagged is not None:
                    tagged.tags[key] = value or ""
        for mv in latest.values():
            model = result[mv.name]
            mv.aliases = sorted(a for a, v in model.aliases.items() if v == mv.version)
            model.latest_versions.append(mv)

    def model(self, name: str) -> RegisteredModel:
        """One registered model with its latest versions; ResourceNotFound if absent."""
        if not self.has_registry():
            raise model_not_found(name)
        models = self.db.schema["registered_models"]
        with self.db.read() as conn:
            rows = (
                conn.execute(
                    sa.select(models).where(models.c.name == name, *self.db.scope(models))
                )
                .mappings()
                .all()
            )
            if not rows:
                raise model_not_found(name)
            return self._build_models(conn, rows)[0]

    def versions(self, name: str, stages: Sequence[str] | None) -> list[ModelVersion]:
        """Every version of a model (in ``stages`` if given), newest first, with
        tags and aliases."""
        if not self.has_registry():
            return []
        versions = self.db.schema["model_versions"]
        where = [
            versions.c.name == name,
            versions.c.current_stage != DELETED_STAGE,
            *self.db.scope(versions),
        ]
        if stages:
            where.append(sa.func.lower(versions.c.current_stage).in_([s.lower() for s in stages]))
        with self.db.read() as conn:
            rows = conn.execute(
                sa.select(versions).where(*where).order_by(versions.c.version.desc())
            ).mappings().all()
            return self._with_version_children(conn, name, [version_from_row(r)
                                                             for r in rows])

    def _with_version_children(
        self, conn: sa.Connection, name: str, found: list[ModelVersion]
    ) -> list[ModelVersion]:
        """``found`` (versions of model ``name``) with their tags and sorted aliases."""
        by_version = {mv.version: mv for mv in found}
        tags = self.db.schema.table("model_version_tags")
        if tags is not None and by_version:
            stmt = sa.select(tags.c.version, tags.c.key, tags.c.value).where(
                tags.c.name == name, *self.db.scope(tags)
            )
            for version, key, value in conn.execute(stmt):
                mv = by_version.get(int(version))
                if mv is not None:
                    mv.tags[key] = value or ""
        aliases = self.db.schema.table("registered_model_aliases")
        if aliases is not None and by_version:
            pointers = sa.select(aliases.c.alias, aliases.c.version).where(
                aliases.c.name == name, *self.db.scope(aliases)
            )
            for alias, version in conn.execute(pointers):
                mv = by_version.get(int(version))
                if mv is not None:
                    mv.aliases.append(alias)
            for mv in found:
                mv.aliases.sort()
        return found

    def version(self, name: str, version: int) -> ModelVersion:
        """One version with its tags and aliases; ResourceNotFound if absent or deleted."""
        versions = self.db.schema["model_versions"] if self.has_registry() else None
        if versions is None:
            raise version_not_found(name, version)
        number = version_number(name, version)
        with self.db.read() as conn:
            row = (
                conn.execute(
                    sa.select(versions).where(
                        versions.c.name == name,
                        versions.c.version == number,
                        versions.c.current_stage != DELETED_STAGE,
                        *self.db.scope(versions),
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise version_not_found(name, version)
            return self._with_version_children(conn, name, [version_from_row(row)])[0]

    def version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version ``alias`` points at; ``latest`` is MLflow's reserved alias for
        the highest version that is not deleted."""
        if alias.lower() == "latest":
            versions = self.versions(name, None)
            if not versions:
                raise ResourceNotFound(f"Latest version not found for model {name}.")
            return max(versions, key=lambda mv: mv.version)
        aliases = self.db.schema.table("registered_model_aliases")
        if aliases is None:
            raise alias_not_found(alias)
        with self.db.read() as conn:
            version = conn.execute(
                sa.select(aliases.c.version).where(
                    aliases.c.name == name, aliases.c.alias == alias,
                    *self.db.scope(aliases)
                )
            ).scalar()
        if version is None:
            raise alias_not_found(alias)
        return self.version(name, int(version))


def version_from_row(row: sa.RowMapping) -> ModelVersion:
    """A :class:`ModelVersion` (no tags or aliases yet) from a ``model_versions`` row."""
    return ModelVersion(
        name=row["name"],
        version=int(row["version"]),
        creation_time=row.get("creation_time"),
        last_updated_time=row.get("last_updated_time"),
        description=row.get("description") or "",
        user_id=row.get("user_id") or "",
        current_stage=row.get("current_stage") or "None",
        source=row.get("source") or "",
        run_id=row.get("run_id") or "",
        status=row.get("status") or "READY",
        status_message=row.get("status_message") or "",
        run_link=row.get("run_link") or "",
    )
