"""Experiment edits in an ``mlruns`` folder, as MLflow's file store makes them
(``mlflow/store/tracking/file_store.py``):

- ``create_experiment`` makes ``<id>/`` (a random 18-digit id, as MLflow draws
  it) with ``meta.yaml`` and a file per tag under ``tags/``; the default
  artifact location is ``<store URI>/<id>``;
- rename, delete and restore rewrite ``meta.yaml`` as MLflow's ``dict(experiment)``,
  which, unlike a new experiment's, carries the tags too; delete marks the
  experiment's *active* runs deleted (``deleted_time``), rewrites the meta and
  moves the folder to ``.trash/``; restore moves it back and marks *every*
  deleted run active again (so a run deleted before its experiment comes back:
  MLflow's behaviour);
- tags are files, written and removed, and touch no timestamp.

Every file is replaced atomically (temporary file + ``os.replace``) with the bytes
MLflow would write; a new experiment's ``meta.yaml`` is written last, so the folder
is not an experiment until it is complete. Everything is checked first.
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections.abc import Callable
from typing import Any

from ..entities import ViewType
from ..errors import ConflictError, InvalidValue, ResourceNotFound, StoreError
from ..registry_rules import ANY
from ..shared import now_ms
from ..tracking_rules import (
    append_to_uri_path,
    check_artifact_location,
    check_experiment_name,
    check_experiment_tag,
    check_experiment_tags,
    check_tag_name,
    resolve_uri_if_local,
)
from .layout import META, TAGS, key_path, read_key_values
from .meta import dump_yaml
from .root import Root
from .run_index import RunIndex
from .runs import persisted_run_info
from .writing import disk_errors, read_meta_for_write, remove_file, workspace, write_file

DEFAULT_EXPERIMENT_ID = "0"
_ID_WIDTH = 18


def new_experiment_id() -> str:
    """MLflow's ``_generate_unique_integer_id``: 18 random digits, no leading zero."""
    digits = str(uuid.uuid4().int)[-_ID_WIDTH:]
    for ch in digits:
        if ch != "0":
            break
        digits += str(random.randint(0, 9))
    return str(int(digits))


class ExperimentWrites:
    """Experiment changes in ``root``; ``index`` forgets the run metas rewritten;
    ``uri`` is the store's URI as given (MLflow's default artifact root);
    ``check_writable`` is the store's read-only guard."""

    def __init__(
        self, root: Root, index: RunIndex, uri: str, check_writable: Callable[[str], None]
    ) -> None:
        self._root = root
        self._index = index
        self._uri = uri
        self._check_writable = check_writable

    # -- reading what a write starts from -------------------------------------------
    def _folder(self, experiment_id: str, view: ViewType, message: str) -> str:
        path = self._root.experiment_dir(experiment_id)
        if path is None or (view is ViewType.ACTIVE and self._root.is_trash(path)) or (
            view is ViewType.DELETED and not self._root.is_trash(path)
        ):
            raise ResourceNotFound(message)
        return path

    def _by_name(self, name: str) -> tuple[str, bool] | None:
        """(id, deleted) of the experiment called ``name``, any view."""
        found = self._root.experiment_named(name)
        return None if found is None else (found[0], self._root.is_trash(found[1]))

    def _check_name_free(self, name: str) -> None:
        """``_validate_experiment_does_not_exist``, with MLflow's two messages."""
        found = self._by_name(name)
        if found is None:
            return
        if found[1]:
            raise InvalidValue(
                f"Experiment {name!r} already exists in deleted state. You can restore the "
                "experiment, or permanently delete the experiment from the .trash folder "
                "(under tracking server's root folder) in order to use this experiment "
                "name again."
            )
        raise InvalidValue(f"Experiment '{name}' already exists.")

    def _persisted(self, raw: dict[str, Any], folder: str, **changes: Any) -> bytes:
        """``dict(experiment)`` of MLflow's Experiment read from ``raw``: every
        property, the tags from the tag files."""
        data: dict[str, Any] = {
            "artifact_location": raw.get("artifact_location"),
            "creation_time": raw.get("creation_time"),
            "effective_trace_archival_retention": raw.get("effective_trace_archival_retention"),
            "experiment_id": str(raw.get("experiment_id")),
            "last_update_time": raw.get("last_update_time"),
            "lifecycle_stage": raw.get("lifecycle_stage"),
            "name": raw.get("name"),
            "tags": read_key_values(os.path.join(folder, TAGS)),
            "trace_location": raw.get("trace_location"),
            "workspace": raw.get("workspace") or workspace(),
        }
        data.update(changes)
        return dump_yaml(data)

    # -- experiments -----------------------------------------------------------------
    def create(
        self, name: str, artifact_location: str | None, tags: dict[str, str] | None
    ) -> str:
        check_experiment_name(name)
        location = check_artifact_location(artifact_location)
        tags = check_experiment_tags(tags)
        self._check_writable(f"creating experiment {name}")
        self._check_name_free(name)
        eid = new_experiment_id()
        folder = os.path.join(self._root.path, eid)
        if location is None:
            location = append_to_uri_path(resolve_uri_if_local(self._uri), eid)
        now = now_ms()
        meta = {
            "artifact_location": location,
            "creation_time": now,
            "effective_trace_archival_retention": None,
            "experiment_id": eid,
            "last_update_time": now,
            "lifecycle_stage": "active",
            "name": name,
            "trace_location": None,
            "workspace": workspace(),
        }
        with disk_errors("create", folder):
            os.mkdir(folder)
        for key, value in tags.items():
            write_file(key_path(os.path.join(folder, TAGS), key), value.encode(), folder)
        write_file(os.path.join(folder, META), dump_yaml(meta), folder)
        return eid

    def rename(self, experiment_id: str, new_name: str, expected_name: Any = ANY) -> None:
        check_experiment_name(new_name)
        self._check_writable(f"renaming experiment {experiment_id}")
        folder = self._folder(
            experiment_id, ViewType.ALL, f"Experiment '{experiment_id}' does not exist."
        )
        raw = read_meta_for_write(folder)
        if expected_name is not ANY and raw.get("name") != expected_name:
            raise ConflictError(
                f"Experiment {experiment_id} is now named {raw.get('name')!r} (renamed since "
                "shown); nothing was written"
            )
        self._check_name_free(new_name)
        stage = raw.get("lifecycle_stage") or "active"
        if stage != "active" or self._root.is_trash(folder):
            raise InvalidValue(
                "Cannot rename experiment in non-active lifecycle stage."
                f" Current stage: {stage}"
            )
        data = self._persisted(raw, folder, name=new_name, last_update_time=now_ms())
        write_file(os.path.join(folder, META), data, folder)

    def _rewrite_runs(self, eid: str, folder: str, stage: str, deleted_time: int | None) -> None:
        """Runs of the experiment in the other stage moved to ``stage`` (all read first)."""
        other = "active" if stage == "deleted" else "deleted"
        writes = []
        for meta in self._index.of_experiment(eid, folder):
            if meta.lifecycle_stage != other:
                continue
            raw = read_meta_for_write(meta.dir)
            writes.append((meta.dir, dump_yaml(persisted_run_info(raw, stage, deleted_time))))
        for run_dir, data in writes:
            write_file(os.path.join(run_dir, META), data, run_dir)
            self._index.forget(run_dir)

    def _move(self, source: str, parent: str) -> str:
        target = os.path.join(parent, os.path.basename(source))
        if os.path.exists(target):
            raise StoreError(f"Could not move {source}: {target} already exists")
        with disk_errors("move", source):
            os.makedirs(parent, exist_ok=True)
            shutil.move(source, target)
        return target

    def delete(self, experiment_id: str) -> None:
        eid = str(experiment_id)
        self._check_writable(f"deleting experiment {eid}")
        if eid == DEFAULT_EXPERIMENT_ID:
            raise InvalidValue(
                f"Cannot delete the default experiment '{DEFAULT_EXPERIMENT_ID}'. This is an "
                "internally reserved experiment."
            )
        folder = self._folder(eid, ViewType.ACTIVE, f"Could not find experiment with ID {eid}")
        raw = read_meta_for_write(folder)
        now = now_ms()
        data = self._persisted(raw, folder, lifecycle_stage="deleted", last_update_time=now)
        self._rewrite_runs(eid, folder, "deleted", now)
        write_file(os.path.join(folder, META), data, folder)
        self._move(folder, self._root.trash)

    def restore(self, experiment_id: str) -> None:
        eid = str(experiment_id)
        self._check_writable(f"restoring experiment {eid}")
        folder = self._folder(
            eid, ViewType.DELETED, f"Could not find deleted experiment with ID {eid}"
        )
        if os.path.isdir(os.path.join(self._root.path, eid)):
            raise InvalidValue(
                f"Cannot restore experiment with ID {eid}. An experiment with same ID "
                "already exists."
            )
        raw = read_meta_for_write(folder)
        folder = self._move(folder, self._root.path)
        self._rewrite_runs(eid, folder, "active", None)
        data = self._persisted(raw, folder, lifecycle_stage="active", last_update_time=now_ms())
        write_file(os.path.join(folder, META), data, folder)

    # -- tags --------------------------------------------------------------------------
    def _active_folder(self, experiment_id: str, what: str) -> str:
        folder = self._folder(
            experiment_id, ViewType.ALL, f"Could not find experiment with ID {experiment_id}"
        )
        raw = read_meta_for_write(folder)
        if (raw.get("lifecycle_stage") or "active") != "active" or self._root.is_trash(folder):
            raise InvalidValue(
                f"The experiment {experiment_id} must be in the 'active' lifecycle_stage "
                f"to {what}"
            )
        return folder

    def set_tag(self, experiment_id: str, key: str, value: str) -> None:
        value = str(value)
        check_experiment_tag(key, value)
        self._check_writable(f"setting tag {key} on experiment {experiment_id}")
        folder = self._active_folder(experiment_id, "set tags")
        write_file(key_path(os.path.join(folder, TAGS), key), value.encode(), folder)

    def delete_tag(self, experiment_id: str, key: str) -> None:
        self._check_writable(f"deleting tag {key} of experiment {experiment_id}")
        folder = self._active_folder(experiment_id, "delete tags")
        check_tag_name(key)
        if not remove_file(key_path(os.path.join(folder, TAGS), key)):
            raise ResourceNotFound(
                f"No tag with name: {key} in experiment with id {experiment_id}"
            )
