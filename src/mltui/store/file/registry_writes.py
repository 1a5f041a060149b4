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
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ..entities import ModelVersion
from ..errors import ConflictError, StoreError
from ..registry_rules import (
    ANY,
    check_alias,
    check_expected,
    check_tag,
    check_transition,
    check_version,
)
from ..shared import now_ms
from .layout import ALIASES, META, TAGS, atomic_write, key_path
from .meta import MetaError, dump_yaml, int_or_none, read_meta
from .registry import Registry

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


def _workspace() -> str:
    """The workspace MLflow 3 records in registry files (``MLFLOW_WORKSPACE``)."""
    return os.environ.get("MLFLOW_WORKSPACE") or "default"


class RegistryWrites:
    """Registry changes, checked first against what ``registry`` reads;
    ``check_writable`` is the store's read-only guard, called with what is about
    to change (after the arguments are validated, as the other backends do)."""

    def __init__(self, registry: Registry, check_writable: Callable[[str], None]) -> None:
        self._registry = registry
        self._check_writable = check_writable

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

    def _read_for_write(self, folder: str) -> dict[str, Any]:
        try:
            return read_meta(folder)
        except (OSError, MetaError) as exc:
            raise StoreError(
                f"Unreadable {os.path.join(folder, META)} ({exc}); nothing was written"
            ) from None

    def _save_model_meta(self, model_dir: str, raw: dict[str, Any], updated: int | None) -> None:
        """Rewrite a model's meta.yaml as MLflow's ``_save_registered_model_as_meta_file``:
        RegisteredModel's fields, aliases refreshed from the aliases folder."""
        data = {**_MODEL_DEFAULTS, "workspace": _workspace(), **raw}
        data.pop("tags", None)
        data.pop("latest_versions", None)
        data["aliases"] = self._registry.aliases(model_dir)
        if updated is not None:
            data["last_updated_timestamp"] = updated
        self._write_file(os.path.join(model_dir, META), dump_yaml(data), model_dir)

    def _save_version_meta(self, folder: str, raw: dict[str, Any]) -> None:
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
        expected_last_updated: object = ANY,
    ) -> ModelVersion:
        stage, version = check_transition(stage, version, archive_existing)
        self._check_writable(f"moving {name} v{version} to {stage}")
        folder, number = self._registry.version_dir(name, version)
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
        return self._registry.get_model_version(name, number)

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
        if expected_previous is not ANY and current != expected_previous:
            raise ConflictError(
                f"Alias @{alias} now points to "
                f"{'nothing' if current is None else f'v{current}'} (changed since shown); "
                "nothing was written"
            )
        model_raw = self._read_for_write(model_dir)
        self._write_file(os.path.join(model_dir, ALIASES, alias), str(version).encode(), model_dir)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_alias(self, name: str, alias: str, expected_version: object = ANY) -> None:
        check_alias(alias, for_set=False)
        self._check_writable(f"deleting alias @{alias}")
        model_dir = self._registry.model_dir(name)
        current = self._registry.alias_numbers(self._registry.aliases(model_dir)).get(alias)
        if expected_version is not ANY and current != expected_version:
            raise ConflictError(f"Alias @{alias} changed since it was shown; nothing was written")
        model_raw = self._read_for_write(model_dir)
        if self._remove_file(os.path.join(model_dir, ALIASES, alias)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        check_tag(key, value)
        self._check_writable(f"setting tag {key} on {name}")
        model_dir = self._registry.model_dir(name)
        model_raw = self._read_for_write(model_dir)
        self._write_file(key_path(os.path.join(model_dir, TAGS), key), value.encode(), model_dir)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_model_tag(self, name: str, key: str) -> None:
        check_tag(key, "")
        self._check_writable(f"deleting tag {key} of {name}")
        model_dir = self._registry.model_dir(name)
        model_raw = self._read_for_write(model_dir)
        if self._remove_file(key_path(os.path.join(model_dir, TAGS), key)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        check_tag(key, value)
        version = check_version(version)
        self._check_writable(f"setting tag {key} on {name} v{version}")
        folder, _ = self._registry.version_dir(name, version)
        model_dir = os.path.dirname(folder)
        model_raw = self._read_for_write(model_dir)
        self._write_file(key_path(os.path.join(folder, TAGS), key), value.encode(), folder)
        self._save_model_meta(model_dir, model_raw, now_ms())

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        check_tag(key, "")
        version = check_version(version)
        self._check_writable(f"deleting tag {key} of {name} v{version}")
        folder, _ = self._registry.version_dir(name, version)
        model_dir = os.path.dirname(folder)
        model_raw = self._read_for_write(model_dir)
        if self._remove_file(key_path(os.path.join(folder, TAGS), key)):
            self._save_model_meta(model_dir, model_raw, now_ms())

    def update_model_description(
        self, name: str, description: str, expected_last_updated: object = ANY
    ) -> None:
        self._check_writable(f"editing the description of {name}")
        model_dir = self._registry.model_dir(name)
        raw = self._read_for_write(model_dir)
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
        raw = self._read_for_write(folder)
        check_expected(
            int_or_none(raw.get("last_updated_timestamp")),
            expected_last_updated,
            f"{name} v{version}",
        )
        raw["description"] = description
        raw["last_updated_timestamp"] = now_ms()
        self._save_version_meta(folder, raw)
