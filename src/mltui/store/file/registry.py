"""The model registry of an ``mlruns`` folder, read as MLflow's file store reads it
(``mlflow/store/model_registry/file_store.py``)::

    mlruns/models/<name>/meta.yaml              the registered model
    mlruns/models/<name>/tags/<key>             one value per file
    mlruns/models/<name>/aliases/<alias>        the version number, as text
    mlruns/models/<name>/version-<n>/meta.yaml  a version; tags/<key> beside it

Soft-deleted versions (stage ``Deleted_Internal``) are invisible everywhere, as in
MLflow. The folder finders are public because :mod:`.registry_writes` checks with
them that what it is about to change exists.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..entities import PROMPT_TAG, ModelVersion, RegisteredModel
from ..errors import ResourceNotFound
from ..registry_rules import (
    DELETED_STAGE,
    alias_not_found,
    model_not_found,
    version_not_found,
    version_number,
)
from ..search import compare
from .layout import ALIASES, META, TAGS, read_key_values, safe_name
from .meta import MetaError, int_or_none, read_meta, text_or_empty
from .root import Root


class Registry:
    """Registered models and versions under ``root.models``; a ``meta.yaml`` that
    cannot be read is noted in ``root.problems`` and the model or version skipped."""

    def __init__(self, root: Root) -> None:
        self._root = root

    def model_dir(self, name: str) -> str:
        """The folder of model ``name``; ResourceNotFound when there is none."""
        if safe_name(name):
            path = os.path.join(self._root.models, name)
            if os.path.isdir(path):
                return path
        raise model_not_found(name)

    def version_dir(self, name: str, version: Any) -> tuple[str, int]:
        """(folder, number) of a live version; ResourceNotFound otherwise."""
        number = version_number(name, version)
        missing = version_not_found(name, version)
        try:
            model_dir = self.model_dir(name)
        except ResourceNotFound:
            raise missing from None
        path = os.path.join(model_dir, f"version-{number}")
        raw = self.version_meta(path)
        if raw is None or raw.get("current_stage") == DELETED_STAGE:
            raise missing
        return path, number

    def _meta_or_none(self, folder: str) -> dict[str, Any] | None:
        """``folder/meta.yaml``, or None (and a note in the problem log if unreadable)."""
        try:
            raw = read_meta(folder)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, MetaError) as exc:
            self._root.problems.note(os.path.join(folder, META), f"meta.yaml {exc}")
            return None
        self._root.problems.note(os.path.join(folder, META), None)
        return raw

    def version_meta(self, folder: str) -> dict[str, Any] | None:
        """A version's ``meta.yaml``, None if it is missing or unreadable."""
        return self._meta_or_none(folder)

    def aliases(self, model_dir: str) -> dict[str, str]:
        """Alias -> the text of its file (a version number), as MLflow reads them."""
        return read_key_values(os.path.join(model_dir, ALIASES))

    @staticmethod
    def alias_numbers(aliases: dict[str, str]) -> dict[str, int]:
        numbers = {}
        for alias, text in aliases.items():
            try:
                numbers[alias] = int(text.strip())
            except ValueError:
                continue
        return numbers

    def _versions(self, model_dir: str, name: str) -> list[ModelVersion]:
        """Every live version of a model, newest first, with tags and aliases."""
        try:
            entries = [e for e in os.listdir(model_dir) if e.startswith("version-")]
        except OSError:
            return []
        aliases = self.alias_numbers(self.aliases(model_dir))
        found = []
        for entry in entries:
            folder = os.path.join(model_dir, entry)
            if not os.path.isdir(folder):
                continue
            raw = self.version_meta(folder)
            if raw is None or raw.get("current_stage") == DELETED_STAGE:
                continue
            mv = self._version_from_meta(raw, name, entry)
            if mv is None:
                continue
            mv.tags = read_key_values(os.path.join(folder, TAGS))
            mv.aliases = sorted(a for a, v in aliases.items() if v == mv.version)
            found.append(mv)
        found.sort(key=lambda mv: -mv.version)
        return found

    @staticmethod
    def _version_from_meta(raw: dict[str, Any], name: str, entry: str) -> ModelVersion | None:
        number = int_or_none(raw.get("version"))
        if number is None:
            number = int_or_none(entry[len("version-") :])
        if number is None:
            return None
        return ModelVersion(
            name=text_or_empty(raw.get("name")) or name,
            version=number,
            creation_time=int_or_none(raw.get("creation_timestamp")),
            last_updated_time=int_or_none(raw.get("last_updated_timestamp")),
            description=text_or_empty(raw.get("description")),
            user_id=text_or_empty(raw.get("user_id")),
            current_stage=text_or_empty(raw.get("current_stage")) or "None",
            source=text_or_empty(raw.get("source")),
            run_id=text_or_empty(raw.get("run_id")),
            status=text_or_empty(raw.get("status")) or "READY",
            status_message=text_or_empty(raw.get("status_message")),
            run_link=text_or_empty(raw.get("run_link")),
        )

    def _model(self, model_dir: str, dir_name: str) -> RegisteredModel | None:
        raw = self._meta_or_none(model_dir)
        if raw is None:
            return None
        model = RegisteredModel(
            name=text_or_empty(raw.get("name")) or dir_name,
            creation_time=int_or_none(raw.get("creation_timestamp")),
            last_updated_time=int_or_none(raw.get("last_updated_timestamp")),
            description=text_or_empty(raw.get("description")),
            tags=read_key_values(os.path.join(model_dir, TAGS)),
            aliases=self.alias_numbers(self.aliases(model_dir)),
        )
        versions = self._versions(model_dir, model.name)
        latest: dict[str, ModelVersion] = {}
        for mv in versions:
            stage = mv.current_stage
            model.stage_counts[stage] = model.stage_counts.get(stage, 0) + 1
            if stage not in latest or latest[stage].version < mv.version:
                latest[stage] = mv
        model.version_count = len(versions)
        model.latest_versions = sorted(latest.values(), key=lambda mv: mv.version)
        return model

    def search_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        """Registered models by name; ``name_like`` is an ILIKE pattern (``%`` / ``_``)."""
        try:
            names = sorted(os.listdir(self._root.models))
        except OSError:
            return []
        models = []
        for dir_name in names:
            model_dir = os.path.join(self._root.models, dir_name)
            if not os.path.isdir(model_dir):
                continue
            model = self._model(model_dir, dir_name)
            if model is None:
                continue
            if name_like and not compare("ILIKE", model.name, name_like):
                continue
            if not include_prompts and model.tags.get(PROMPT_TAG, "").lower() == "true":
                continue
            models.append(model)
        models.sort(key=lambda m: m.name)
        return models

    def model(self, name: str) -> RegisteredModel:
        model_dir = self.model_dir(name)
        model = self._model(model_dir, name)
        if model is None:
            raise model_not_found(name)
        return model

    def versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """Every version of a model, newest first, with tags and aliases."""
        try:
            model_dir = self.model_dir(name)
        except ResourceNotFound:
            return []
        versions = self._versions(model_dir, name)
        if stages:
            wanted = {s.lower() for s in stages}
            versions = [mv for mv in versions if mv.current_stage.lower() in wanted]
        return versions

    def version(self, name: str, version: int) -> ModelVersion:
        folder, number = self.version_dir(name, version)
        raw = self.version_meta(folder) or {}
        mv = self._version_from_meta(raw, name, os.path.basename(folder))
        if mv is None:
            raise version_not_found(name, version)
        mv.tags = read_key_values(os.path.join(folder, TAGS))
        aliases = self.alias_numbers(self.aliases(os.path.dirname(folder)))
        mv.aliases = sorted(a for a, v in aliases.items() if v == number)
        return mv

    def version_by_alias(self, name: str, alias: str) -> ModelVersion:
        missing = alias_not_found(alias)
        try:
            model_dir = self.model_dir(name)
        except ResourceNotFound:
            raise missing from None
        if isinstance(alias, str) and alias.lower() == "latest":
            # MLflow's reserved alias: the highest live version
            versions = self._versions(model_dir, name)
            if not versions:
                raise missing
            return self.version(name, versions[0].version)
        if not safe_name(alias):
            raise missing
        number = self.alias_numbers(self.aliases(model_dir)).get(alias)
        if number is None:
            raise missing
        return self.version(name, number)
