"""The model registry of an ``mlruns`` folder, read and written as MLflow's
file store does (``mlflow/store/model_registry/file_store.py``)::

    mlruns/models/<name>/meta.yaml              the registered model
    mlruns/models/<name>/tags/<key>             one value per file
    mlruns/models/<name>/aliases/<alias>        the version number, as text
    mlruns/models/<name>/version-<n>/meta.yaml  a version; tags/<key> beside it

Writes follow MLflow's file store, which differs from its SQL store in what
they touch:

- every tag or alias change (set or delete, of the model or of a version)
  updates the *model's* ``last_updated_timestamp``, and deleting a tag or an
  alias that is not there changes nothing;
- a stage transition updates the version and the model (and archived versions
  with ``archive_existing``), all with the same timestamp;
- a version description updates the version only; a model description the
  model only.

Every file is replaced atomically (temporary file + ``os.replace``) with the
bytes MLflow's ``write_yaml`` / ``write_to`` would write. Rewriting a model's
``meta.yaml`` refreshes its ``aliases`` mapping from the aliases folder, as
MLflow's own rewrite does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from .entities import PROMPT_TAG, ModelVersion, RegisteredModel
from .errors import ConflictError, ResourceNotFound, StoreError
from .file_layout import (
    ALIASES,
    META,
    MODELS,
    TAGS,
    MetaError,
    atomic_write,
    dump_yaml,
    int_or_none,
    key_path,
    now_ms,
    read_key_values,
    read_meta,
    safe_name,
    text_or_empty,
)
from .registry_rules import (
    ANY,
    check_alias,
    check_expected,
    check_tag,
    check_transition,
    check_version,
)
from .search import compare

DELETED_STAGE = "Deleted_Internal"
"""Stage MLflow gives soft-deleted versions; they are invisible everywhere."""


_MODEL_DEFAULTS = {
    "aliases": {},
    "deployment_job_id": None,
    "deployment_job_state": None,
    "description": None,
}
_VERSION_DEFAULTS = {
    "current_stage": None,
    "deployment_job_state": None,
    "description": None,
    "model_id": None,
    "run_id": None,
    "run_link": None,
    "source": None,
    "status": "READY",
    "status_message": None,
    "storage_location": None,
    "user_id": None,
}


def _workspace() -> str:
    return os.environ.get("MLFLOW_WORKSPACE") or "default"


class FileRegistryMixin:
    # -- paths ------------------------------------------------------------------
    def _models_dir(self) -> str:
        return os.path.join(self.root, MODELS)

    def _model_dir(self, name: str) -> str:
        """The folder of model ``name``; ResourceNotFound when there is none."""
        if safe_name(name):
            path = os.path.join(self._models_dir(), name)
            if os.path.isdir(path):
                return path
        raise ResourceNotFound(f"Registered Model with name={name} not found")

    def _version_dir(self, name: str, version) -> tuple[str, int]:
        """(folder, number) of a live version; ResourceNotFound otherwise."""
        missing = ResourceNotFound(f"Model Version (name={name}, version={version}) not found")
        try:
            number = int(version)
        except (TypeError, ValueError):
            raise missing from None
        try:
            model_dir = self._model_dir(name)
        except ResourceNotFound:
            raise missing from None
        path = os.path.join(model_dir, f"version-{number}")
        raw = self._version_meta(path)
        if raw is None or raw.get("current_stage") == DELETED_STAGE:
            raise missing
        return path, number

    # -- reads ------------------------------------------------------------------
    def _meta_or_none(self, folder: str) -> dict | None:
        try:
            raw = read_meta(folder)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, MetaError) as exc:
            self._problem(os.path.join(folder, META), f"meta.yaml {exc}")
            return None
        self._problem(os.path.join(folder, META), None)
        return raw

    def _version_meta(self, folder: str) -> dict | None:
        return self._meta_or_none(folder)

    def _aliases(self, model_dir: str) -> dict[str, str]:
        """Alias -> the text of its file (a version number), as MLflow reads them."""
        return read_key_values(os.path.join(model_dir, ALIASES))

    @staticmethod
    def _alias_numbers(aliases: dict[str, str]) -> dict[str, int]:
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
        aliases = self._alias_numbers(self._aliases(model_dir))
        found = []
        for entry in entries:
            folder = os.path.join(model_dir, entry)
            if not os.path.isdir(folder):
                continue
            raw = self._version_meta(folder)
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
    def _version_from_meta(raw: dict, name: str, entry: str) -> ModelVersion | None:
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
            aliases=self._alias_numbers(self._aliases(model_dir)),
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

    def search_registered_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        """Registered models by name; ``name_like`` is an ILIKE pattern (``%`` / ``_``)."""
        try:
            names = sorted(os.listdir(self._models_dir()))
        except OSError:
            return []
        models = []
        for dir_name in names:
            model_dir = os.path.join(self._models_dir(), dir_name)
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

    def get_registered_model(self, name: str) -> RegisteredModel:
        model_dir = self._model_dir(name)
        model = self._model(model_dir, name)
        if model is None:
            raise ResourceNotFound(f"Registered Model with name={name} not found")
        return model

    def get_model_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """Every version of a model, newest first, with tags and aliases."""
        try:
            model_dir = self._model_dir(name)
        except ResourceNotFound:
            return []
        versions = self._versions(model_dir, name)
        if stages:
            wanted = {s.lower() for s in stages}
            versions = [mv for mv in versions if mv.current_stage.lower() in wanted]
        return versions

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        folder, number = self._version_dir(name, version)
        raw = self._version_meta(folder) or {}
        mv = self._version_from_meta(raw, name, os.path.basename(folder))
        if mv is None:
            raise ResourceNotFound(f"Model Version (name={name}, version={version}) not found")
        mv.tags = read_key_values(os.path.join(folder, TAGS))
        aliases = self._alias_numbers(self._aliases(os.path.dirname(folder)))
        mv.aliases = sorted(a for a, v in aliases.items() if v == number)
        return mv

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        missing = ResourceNotFound(f"Registered model alias {alias} not found.")
        try:
            model_dir = self._model_dir(name)
        except ResourceNotFound:
            raise missing from None
        if isinstance(alias, str) and alias.lower() == "latest":
            # MLflow's reserved alias: the highest live version
            versions = self._versions(model_dir, name)
            if not versions:
                raise missing
            return self.get_model_version(name, versions[0].version)
        if not safe_name(alias):
            raise missing
        number = self._alias_numbers(self._aliases(model_dir)).get(alias)
        if number is None:
            raise missing
        return self.get_model_version(name, number)

    # -- writes -------------------------------------------------------------------
    def _write_file(self, path: str, data: bytes, tmp_dir: str) -> None:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            atomic_write(path, data, tmp_dir=tmp_dir)
        except OSError as exc:
            raise StoreError(f"Could not write {path}: {exc.strerror or exc}") from None

    def _remove_file(self, path: str) -> bool:
        try:
            os.remove(path)
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"Could not remove {path}: {exc.strerror or exc}") from None
        return True

    def _read_for_write(self, folder: str) -> dict:
        try:
            return read_meta(folder)
        except (OSError, MetaError) as exc:
            raise StoreError(
                f"Unreadable {os.path.join(folder, META)} ({exc}); nothing was written"
            ) from None

    def _save_model_meta(self, model_dir: str, raw: dict, updated: int | None) -> None:
        """Rewrite a model's meta.yaml as MLflow's ``_save_registered_model_as_meta_file``:
        RegisteredModel's fields, aliases refreshed from the aliases folder."""
        data = {**_MODEL_DEFAULTS, "workspace": _workspace(), **raw}
        data.pop("tags", None)
        data.pop("latest_versions", None)
        data["aliases"] = self._aliases(model_dir)
        if updated is not None:
            data["last_updated_timestamp"] = updated
        self._write_file(os.path.join(model_dir, META), dump_yaml(data), model_dir)

    def _save_version_meta(self, folder: str, raw: dict) -> None:
        data = {**_VERSION_DEFAULTS, "workspace": _workspace(), **raw}
        for field in ("tags", "metrics", "params", "aliases"):
            data.pop(field, None)
        self._write_file(os.path.join(folder, META), dump_yaml(data), folder)

    def transition_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing: bool = False,
        expected_last_updated=ANY,
    ) -> ModelVersion:
        stage, version = check_transition(stage, version, archive_existing)
        self.check_writable(f"moving {name} v{version} to {stage}")
        folder, number = self._version_dir(name, version)
        model_dir = os.path.dirname(folder)
        raw = self._read_for_write(folder)
        model_raw = self._read_for_write(model_dir)
        check_expected(
            int_or_none(raw.get("last_updated_timestamp")),
            expected_last_updated,
            f"{name} v{version}",
        )
        now = now_ms()
        if archive_existing:
            for entry in sorted(os.listdir(model_dir)):
                other = os.path.join(model_dir, entry)
                if not entry.startswith("version-") or other == folder or not os.path.isdir(other):
                    continue
                other_raw = self._version_meta(other)
                if other_raw is None or other_raw.get("current_stage") != stage:
                    continue
                other_raw["current_stage"] = "Archived"
                other_raw["last_updated_timestamp"] = now
                self._save_version_meta(other, other_raw)
        raw["current_stage"] = stage
        raw["last_updated_timestamp"] = now
        self._save_version_meta(folder, raw)
        self._save_model_meta(model_dir, model_raw, now)
        return self.get_model_version(name, number)

    def set_alias(self, name: str, alias: str, version: int, expected_previous=ANY) -> None:
        """Point ``alias`` at ``version``; ``expected_previous`` is the version the alias
        pointed to when the dialog opened (None: it did not exist)."""
        check_alias(alias)
        version = check_version(version)
        self.check_writable(f"setting alias @{alias}")
        model_dir = self._model_dir(name)
        self._version_dir(name, version)
        current = self._alias_numbers(self._aliases(model_dir)).get(alias)
        if expected_previous is not ANY and current != expected_previous:
            raise ConflictError(
                f"Alias @{alias} now points to "
                f"{'nothing' if current is None else f'v{current}'} (changed since shown); "
                "nothing was written"
            )
        model_raw = self._read_for_write(model_dir)
        self._write_file(os.path.join(model_dir, ALIASES, alias), str(version).encode(), model_dir)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_alias(self, name: str, alias: str, expected_version=ANY) -> None:
        check_alias(alias, for_set=False)
        self.check_writable(f"deleting alias @{alias}")
        model_dir = self._model_dir(name)
        current = self._alias_numbers(self._aliases(model_dir)).get(alias)
        if expected_version is not ANY and current != expected_version:
            raise ConflictError(f"Alias @{alias} changed since it was shown; nothing was written")
        model_raw = self._read_for_write(model_dir)
        if self._remove_file(os.path.join(model_dir, ALIASES, alias)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        check_tag(key, value)
        self.check_writable(f"setting tag {key} on {name}")
        model_dir = self._model_dir(name)
        model_raw = self._read_for_write(model_dir)
        self._write_file(key_path(os.path.join(model_dir, TAGS), key), value.encode(), model_dir)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_model_tag(self, name: str, key: str) -> None:
        check_tag(key, "")
        self.check_writable(f"deleting tag {key} of {name}")
        model_dir = self._model_dir(name)
        model_raw = self._read_for_write(model_dir)
        if self._remove_file(key_path(os.path.join(model_dir, TAGS), key)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        check_tag(key, value)
        version = check_version(version)
        self.check_writable(f"setting tag {key} on {name} v{version}")
        folder, _ = self._version_dir(name, version)
        model_dir = os.path.dirname(folder)
        model_raw = self._read_for_write(model_dir)
        self._write_file(key_path(os.path.join(folder, TAGS), key), value.encode(), folder)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        check_tag(key, "")
        version = check_version(version)
        self.check_writable(f"deleting tag {key} of {name} v{version}")
        folder, _ = self._version_dir(name, version)
        model_dir = os.path.dirname(folder)
        model_raw = self._read_for_write(model_dir)
        if self._remove_file(key_path(os.path.join(folder, TAGS), key)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def update_model_description(
        self, name: str, description: str, expected_last_updated=ANY
    ) -> None:
        self.check_writable(f"editing the description of {name}")
        model_dir = self._model_dir(name)
        raw = self._read_for_write(model_dir)
        check_expected(
            int_or_none(raw.get("last_updated_timestamp")), expected_last_updated, name
        )
        raw["description"] = description
        self._save_model_meta(model_dir, raw, now_ms())

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated=ANY
    ) -> None:
        version = check_version(version)
        self.check_writable(f"editing the description of {name} v{version}")
        folder, _ = self._version_dir(name, version)
        raw = self._read_for_write(folder)
        check_expected(
            int_or_none(raw.get("last_updated_timestamp")),
            expected_last_updated,
            f"{name} v{version}",
        )
        raw["description"] = description
        raw["last_updated_timestamp"] = now_ms()
        self._save_version_meta(folder, raw)
