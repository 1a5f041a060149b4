"""Writes to the model registry of an ``mlruns`` folder, as MLflow's file store
makes them (``mlflow/store/model_registry/file_store.py``), which differs from its
SQL store in what they touch:

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

Models and versions are created, renamed and deleted as MLflow's file store does:

- a new model's meta.yaml is written only if its folder is new (MLflow's
  "already exists" otherwise); each tag written stamps the model again;
- a new version is ``version-<max+1>`` (deleted versions count), stage None,
  status READY, ``storage_location`` resolved from a ``models:/`` source; it and
  each of its tags stamp the model;
- deleting a model removes its folder; deleting a version marks it
  ``Deleted_Internal`` (nothing redacted, tags kept), stamps the model and
  removes the aliases pointing at it;
- a rename moves the folder and rewrites the names and stamps of the model and
  every version. Here mltui differs from MLflow on purpose: MLflow's file store
  copies only the meta files (the model's tags and aliases are lost) and fails
  half-way on the first version that has a tag, leaving both folders behind.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from typing import Any

from ..entities import PROMPT_TAG, ModelVersion, RegisteredModel
from ..errors import InvalidValue, ResourceNotFound, StoreError
from ..registry_rules import (
    ANY,
    DELETED_STAGE,
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
    prompt_not_model,
)
from ..shared import now_ms
from .layout import ALIASES, META, MODELS, TAGS, TRASH, key_path, read_key_values
from .meta import MetaError, dump_yaml, int_or_none, read_meta
from .registry import Registry
from .writing import (
    disk_errors,
    make_dir,
    read_meta_for_write,
    remove_file,
    workspace,
    write_file,
)

_MODEL_DEFAULTS: dict[str, object] = {
    "aliases": {},
    "deployment_job_id": None,
    "deployment_job_state": None,
    "description": None,
}
_VERSION_DEFAULTS: dict[str, object] = {
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


class RegistryWrites:
    """Registry changes, checked first against what ``registry`` reads;
    ``check_writable`` is the store's read-only guard, called with what is about
    to change (after the arguments are validated, as the other backends do)."""

    def __init__(self, registry: Registry, check_writable: Callable[[str], None]) -> None:
        self._registry = registry
        self._check_writable = check_writable

    def _save_model_meta(self, model_dir: str, raw: dict[str, Any], updated: int | None) -> None:
        """Rewrite a model's meta.yaml as MLflow's ``_save_registered_model_as_meta_file``:
        RegisteredModel's fields, aliases refreshed from the aliases folder."""
        data = {**_MODEL_DEFAULTS, "workspace": workspace(), **raw}
        data.pop("tags", None)
        data.pop("latest_versions", None)
        data["aliases"] = self._registry.aliases(model_dir)
        if updated is not None:
            data["last_updated_timestamp"] = updated
        write_file(os.path.join(model_dir, META), dump_yaml(data), model_dir)

    def _save_version_meta(self, folder: str, raw: dict[str, Any]) -> None:
        data = {**_VERSION_DEFAULTS, "workspace": workspace(), **raw}
        for field in ("tags", "metrics", "params", "aliases"):
            data.pop(field, None)
        write_file(os.path.join(folder, META), dump_yaml(data), folder)

    def transition_stage(
        self,
        name: str,
        version: int,
        stage: str,
        archive_existing: bool = False,
        expected_last_updated: object = ANY,
    ) -> ModelVersion:
        stage, version = check_transition(stage, version, archive_existing)
        self._check_writable(f"moving {name} v{version} to {stage}")
        folder, number = self._registry.version_dir(name, version)
        model_dir = os.path.dirname(folder)
        raw = read_meta_for_write(folder)
        model_raw = read_meta_for_write(model_dir)
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
                other_raw = self._registry.version_meta(other)
                if other_raw is None or other_raw.get("current_stage") != stage:
                    continue
                other_raw["current_stage"] = "Archived"
                other_raw["last_updated_timestamp"] = now
                self._save_version_meta(other, other_raw)
        raw["current_stage"] = stage
        raw["last_updated_timestamp"] = now
        self._save_version_meta(folder, raw)
        self._save_model_meta(model_dir, model_raw, now)
        return self._registry.version(name, number)

    def set_alias(
        self, name: str, alias: str, version: int, expected_previous: object = ANY
    ) -> None:
        """Point ``alias`` at ``version``; ``expected_previous`` is the version the alias
        pointed to when the dialog opened (None: it did not exist)."""
        check_alias(alias)
        version = check_version(version)
        self._check_writable(f"setting alias @{alias}")
        model_dir = self._registry.model_dir(name)
        self._registry.version_dir(name, version)
        current = self._registry.alias_numbers(self._registry.aliases(model_dir)).get(alias)
        check_alias_target(alias, current, expected_previous)
        model_raw = read_meta_for_write(model_dir)
        write_file(os.path.join(model_dir, ALIASES, alias), str(version).encode(), model_dir)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_alias(self, name: str, alias: str, expected_version: object = ANY) -> None:
        check_alias(alias, for_set=False)
        self._check_writable(f"deleting alias @{alias}")
        model_dir = self._registry.model_dir(name)
        current = self._registry.alias_numbers(self._registry.aliases(model_dir)).get(alias)
        check_alias_unchanged(alias, current, expected_version)
        model_raw = read_meta_for_write(model_dir)
        if remove_file(os.path.join(model_dir, ALIASES, alias)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        check_tag(key, value)
        self._check_writable(f"setting tag {key} on {name}")
        model_dir = self._registry.model_dir(name)
        model_raw = read_meta_for_write(model_dir)
        write_file(key_path(os.path.join(model_dir, TAGS), key), value.encode(), model_dir)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_model_tag(self, name: str, key: str) -> None:
        check_tag(key, "")
        self._check_writable(f"deleting tag {key} of {name}")
        model_dir = self._registry.model_dir(name)
        model_raw = read_meta_for_write(model_dir)
        if remove_file(key_path(os.path.join(model_dir, TAGS), key)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        check_tag(key, value)
        version = check_version(version)
        self._check_writable(f"setting tag {key} on {name} v{version}")
        folder, _ = self._registry.version_dir(name, version)
        model_dir = os.path.dirname(folder)
        model_raw = read_meta_for_write(model_dir)
        write_file(key_path(os.path.join(folder, TAGS), key), value.encode(), folder)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        check_tag(key, "")
        version = check_version(version)
        self._check_writable(f"deleting tag {key} of {name} v{version}")
        folder, _ = self._registry.version_dir(name, version)
        model_dir = os.path.dirname(folder)
        model_raw = read_meta_for_write(model_dir)
        if remove_file(key_path(os.path.join(folder, TAGS), key)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def update_model_description(
        self, name: str, description: str, expected_last_updated: object = ANY
    ) -> None:
        self._check_writable(f"editing the description of {name}")
        model_dir = self._registry.model_dir(name)
        raw = read_meta_for_write(model_dir)
        check_expected(
            int_or_none(raw.get("last_updated_timestamp")), expected_last_updated, name
        )
        raw["description"] = description
        self._save_model_meta(model_dir, raw, now_ms())

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated: object = ANY
    ) -> None:
        version = check_version(version)
        self._check_writable(f"editing the description of {name} v{version}")
        folder, _ = self._registry.version_dir(name, version)
        raw = read_meta_for_write(folder)
        check_expected(
            int_or_none(raw.get("last_updated_timestamp")),
            expected_last_updated,
            f"{name} v{version}",
        )
        raw["description"] = description
        raw["last_updated_timestamp"] = now_ms()
        self._save_version_meta(folder, raw)

    # -- registry entries created, renamed and deleted ---------------------------------
    def _model_path(self, name: str) -> str:
        return os.path.join(self._registry._root.models, name)

    def _editable_model(self, name: str) -> str:
        """MlflowClient's ``_raise_if_prompt``: the model's folder, which is no prompt."""
        model_dir = self._registry.model_dir(name)
        if PROMPT_TAG in read_key_values(os.path.join(model_dir, TAGS)):
            raise prompt_not_model(name)
        return model_dir

    def create_registered_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        new_tags = check_new_tags(tags)
        check_model_name(name, file_store=True)
        self._check_writable(f"creating model {name}")
        model_dir = self._model_path(name)
        if not make_dir(model_dir):
            existing = read_key_values(os.path.join(model_dir, TAGS))
            raise already_exists(name, existing)
        now = now_ms()
        raw: dict[str, Any] = {
            "name": name,
            "creation_timestamp": now,
            "last_updated_timestamp": now,
            "description": description or None,
        }
        self._save_model_meta(model_dir, raw, None)
        if new_tags:
            for key, value in new_tags.items():
                write_file(key_path(os.path.join(model_dir, TAGS), key), value.encode(),
                           model_dir)
            self._save_model_meta(model_dir, raw, now_ms())
        return self._registry.model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        self._check_writable(f"renaming model {name}")
        self._editable_model(name)
        check_new_name(new_name, file_store=True)
        model_dir = self._registry.model_dir(name)
        new_dir = self._model_path(new_name)
        if os.path.lexists(new_dir):
            raise already_exists(new_name)
        model_raw = read_meta_for_write(model_dir)
        version_dirs = self._version_dirs(model_dir)
        raws = {entry: read_meta_for_write(os.path.join(model_dir, entry))
                for entry in version_dirs}
        with disk_errors("rename", model_dir):
            os.rename(model_dir, new_dir)
        now = now_ms()
        for entry, raw in raws.items():
            raw["name"] = new_name
            raw["last_updated_timestamp"] = now
            self._save_version_meta(os.path.join(new_dir, entry), raw)
        model_raw["name"] = new_name
        self._save_model_meta(new_dir, model_raw, now)
        return self._registry.model(new_name)

    @staticmethod
    def _version_dirs(model_dir: str) -> list[str]:
        """Every ``version-<n>`` folder of a model, deleted versions included."""
        with disk_errors("list", model_dir):
            entries = os.listdir(model_dir)
        return sorted(e for e in entries
                      if e.startswith("version-") and os.path.isdir(os.path.join(model_dir, e)))

    def delete_registered_model(self, name: str) -> None:
        self._check_writable(f"deleting model {name}")
        model_dir = self._editable_model(name)
        with disk_errors("remove", model_dir):
            shutil.rmtree(model_dir)

    def _logged_model(self, model_id: str) -> dict[str, Any]:
        """The meta.yaml of logged model ``model_id`` (``<experiment>/models/<id>``)."""
        root = self._registry._root
        if model_id and "/" not in model_id and model_id not in (".", ".."):
            for parent in (root.path, root.trash):
                try:
                    experiments = sorted(os.listdir(parent))
                except OSError:
                    continue
                for experiment in experiments:
                    if experiment in (MODELS, TRASH):
                        continue
                    folder = os.path.join(parent, experiment, MODELS, model_id)
                    try:
                        return read_meta(folder)
                    except (OSError, MetaError):
                        continue
        raise logged_model_not_found(model_id)

    def _storage_location(self, source: str, run_id: str | None) -> tuple[str, str | None]:
        if not ModelSource.applies(source):
            return source, run_id
        parsed = ModelSource(source)
        try:
            if parsed.model_id is not None:
                logged = self._logged_model(parsed.model_id)
                return (str(logged.get("artifact_location") or ""),
                        run_id or logged.get("source_run_id"))
            folder, _ = self._registry.version_dir(parsed.name or "", parsed.version)
            raw = read_meta_for_write(folder)
        except (ResourceNotFound, InvalidValue) as exc:
            raise parsed.unresolvable(str(exc)) from None
        return raw.get("storage_location") or raw.get("source") or "", run_id

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        description: str = "", tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        check_model_name(name, file_store=True)
        new_tags = check_new_tags(tags)
        self._check_writable(f"creating a version of {name}")
        storage_location, run_id = self._storage_location(source, run_id)
        if not run_id and model_id:
            run_id = self._logged_model(model_id).get("source_run_id")
        model_dir = self._registry.model_dir(name)
        model_raw = read_meta_for_write(model_dir)
        for _attempt in range(3):
            numbers = [int_or_none(e[len("version-"):]) for e in self._version_dirs(model_dir)]
            version = max((n for n in numbers if n is not None), default=0) + 1
            folder = os.path.join(model_dir, f"version-{version}")
            if make_dir(folder):
                break
        else:
            raise StoreError(f"Model Version creation error (name={name}). Giving up after "
                             "3 attempts.")
        now = now_ms()
        self._save_model_meta(model_dir, model_raw, now)
        self._save_version_meta(folder, {
            "name": name,
            "version": version,
            "creation_timestamp": now,
            "last_updated_timestamp": now,
            "description": description or None,
            "current_stage": "None",
            "source": source,
            "run_id": run_id or None,
            "storage_location": storage_location,
            "model_id": model_id or None,
        })
        if new_tags:
            for key, value in new_tags.items():
                write_file(key_path(os.path.join(folder, TAGS), key), value.encode(),
                           folder)
            self._save_model_meta(model_dir, model_raw, now_ms())
        return self._registry.version(name, version)

    def delete_model_version(self, name: str, version: int) -> None:
        self._check_writable(f"deleting {name} v{version}")
        self._editable_model(name)
        number = check_version(version)
        folder, number = self._registry.version_dir(name, number)
        model_dir = os.path.dirname(folder)
        raw = read_meta_for_write(folder)
        model_raw = read_meta_for_write(model_dir)
        now = now_ms()
        raw["current_stage"] = DELETED_STAGE
        raw["last_updated_timestamp"] = now
        self._save_version_meta(folder, raw)
        pointing = [alias for alias, n in
                    self._registry.alias_numbers(self._registry.aliases(model_dir)).items()
                    if n == number]
        for alias in pointing:
            remove_file(os.path.join(model_dir, ALIASES, alias))
        self._save_model_meta(model_dir, model_raw, now_ms() if pointing else now)
