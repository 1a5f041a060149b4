"""Run names and tags in an ``mlruns`` folder, as MLflow's file store writes them:

- a tag is the file ``<run>/tags/<key>`` holding the value (no newline); MLflow's
  file store checks the key only (no length limit on the value);
- renaming (``update_run(name=...)``, or setting ``mlflow.runName``) writes the
  tag file and rewrites ``meta.yaml`` with the new ``run_name``; an empty name
  changes nothing in ``meta.yaml``;
- each run must be active, with MLflow's message.

All runs are found and checked before the first file is written, so a refused
write of 50 runs changes none; a disk failure half-way can leave the first ones
written (files have no transaction).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..errors import InvalidValue, ResourceNotFound, StoreError
from ..tracking_rules import RUN_NAME_TAG, check_tag_name, no_run_tag
from .layout import META, TAGS, key_path
from .meta import MetaError, dump_yaml, read_meta
from .run_data import RunData
from .run_index import RunIndex, RunMeta
from .runs import persisted_run_info
from .writing import remove_file, write_file


class RunWrites:
    """Run name and tag writes; ``index`` and ``data`` forget what is rewritten;
    ``check_writable`` is the store's read-only guard."""

    def __init__(
        self, index: RunIndex, data: RunData, check_writable: Callable[[str], None]
    ) -> None:
        self._index = index
        self._data = data
        self._check_writable = check_writable

    def _active(self, run_ids: Sequence[str]) -> list[RunMeta]:
        metas = []
        for rid in run_ids:
            try:
                meta = self._index.find(rid)
            except ResourceNotFound:
                raise ResourceNotFound(f"Run '{rid}' not found") from None
            if meta.lifecycle_stage != "active":
                raise InvalidValue(f"The run {rid} must be in 'active' lifecycle_stage.")
            metas.append(meta)
        return metas

    def _renamed_meta(self, meta: RunMeta, name: str) -> bytes:
        try:
            raw = read_meta(meta.dir)
            raw["run_name"] = name
            return dump_yaml(persisted_run_info(raw, raw.get("lifecycle_stage") or "active",
                                                None))
        except (OSError, MetaError, KeyError, TypeError) as exc:
            raise StoreError(
                f"Run {meta.run_id} has an unreadable meta.yaml ({exc}); nothing was changed"
            ) from None

    def _write(self, meta: RunMeta, key: str, value: str, renamed: bytes | None) -> None:
        path = key_path(os.path.join(meta.dir, TAGS), key)
        write_file(path, value.encode(), meta.dir)
        self._data.forget_value(path)
        if renamed is not None:
            write_file(os.path.join(meta.dir, META), renamed, meta.dir)
            self._index.forget(meta.dir)

    def rename(self, run_id: str, new_name: str) -> None:
        self._check_writable("renaming a run")
        (meta,) = self._active([run_id])
        if new_name:
            self._write(meta, RUN_NAME_TAG, new_name, self._renamed_meta(meta, new_name))

    def set_tags(self, run_ids: Sequence[str], key: str, value: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        value = str(value)
        check_tag_name(key)
        if not ids:
            return
        self._check_writable(f"setting tag {key} on {len(ids)} run(s)")
        metas = self._active(ids)
        rename = key == RUN_NAME_TAG and bool(value)
        renamed = [self._renamed_meta(m, value) if rename else None for m in metas]
        for meta, data in zip(metas, renamed, strict=True):
            self._write(meta, key, value, data)

    def delete_tags(self, run_ids: Sequence[str], key: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        check_tag_name(key)
        if not ids:
            return
        self._check_writable(f"deleting tag {key} of {len(ids)} run(s)")
        metas = self._active(ids)
        paths = [key_path(os.path.join(m.dir, TAGS), key) for m in metas]
        present = [p for p in paths if os.path.isfile(p)]
        if not present:
            raise no_run_tag(key, ids)
        for path in present:
            self._data.forget_value(path)
            remove_file(path)
