"""One run of an ``mlruns`` folder: its detail, metric histories, artifacts, and
MLflow's lifecycle write (delete / restore).

Deleting a run in MLflow's file store rewrites its ``meta.yaml`` (lifecycle stage
and ``deleted_time``) and moves nothing; mltui writes the same bytes, checked for
every run before the first write, so that a refused or failed delete of many runs
leaves none half done.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from ..artifacts import ArtifactReader, local_root, reader_for
from ..entities import Metric, RunDetail
from ..errors import ResourceNotFound, StoreError
from ..shared import now_ms
from .layout import ARTIFACTS, META, RUN_STATUS_NUMBERS, SOURCE_TYPE_LOCAL, atomic_write
from .meta import MetaError, describe_error, dump_yaml, read_meta
from .root import Root
from .run_data import RunData
from .run_index import RunIndex
from .writing import disk_errors


def persisted_run_info(
    raw: dict[str, Any], lifecycle_stage: str, deleted_time: int | None
) -> dict[str, Any]:
    """The run ``meta.yaml`` MLflow's file store writes when it changes a run's
    lifecycle stage (``_overwrite_run_info``): RunInfo's fields after a proto round
    trip, the legacy constant fields, and ``deleted_time`` only when deleting."""
    status = raw.get("status", 1)
    if isinstance(status, str):
        status = RUN_STATUS_NUMBERS.get(status.upper(), 1)
    data = {
        "artifact_uri": raw.get("artifact_uri") or "",
        "end_time": raw.get("end_time") or None,
        "experiment_id": str(raw["experiment_id"]),
        "lifecycle_stage": lifecycle_stage,
        "run_id": raw.get("run_id") or raw.get("run_uuid"),
        "run_name": raw.get("run_name") or "",
        "start_time": raw.get("start_time"),
        "status": status,
        "user_id": raw.get("user_id") if raw.get("user_id") is not None else "",
        "tags": [],
        "source_type": SOURCE_TYPE_LOCAL,
        "source_name": "",
        "entry_point_name": "",
        "source_version": "",
    }
    if deleted_time is not None:
        data["deleted_time"] = deleted_time
    return data



class Runs:
    """Single-run reads and the lifecycle write; ``check_writable`` is the store's
    read-only guard, called with what is about to be changed."""

    def __init__(
        self, root: Root, index: RunIndex, data: RunData,
        check_writable: Callable[[str], None],
    ) -> None:
        self._root = root
        self._index = index
        self._data = data
        self._check_writable = check_writable

    def get(self, run_id: str) -> RunDetail:
        """The run whole, with its dataset inputs, model inputs and model outputs."""
        meta = self._index.find(run_id)
        run = self._data.full_run(meta)
        inputs = self._data.dataset_inputs(meta)
        return RunDetail(
            run=run,
            inputs=inputs,
            model_inputs=self._data.model_inputs(meta),
            outputs=self._data.model_outputs(meta),
        )

    def metric_history(
        self,
        run_id: str,
        key: str,
        min_step: int | None = None,
        max_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        """See ``BaseStore.get_metric_history``; ResourceNotFound for an unknown run."""
        return self._data.metric_history(
            self._index.find(run_id), key, min_step, max_step, max_points
        )

    def artifact_root(self, run_id: str) -> str:
        """The run's artifact URI; for an mlruns folder copied from elsewhere, whose
        ``file://`` paths point at the old place, the ``artifacts`` folder of the run."""
        meta = self._index.find(run_id)
        uri = meta.artifact_uri
        fallback = os.path.join(meta.dir, ARTIFACTS)
        if not uri:
            return fallback
        root = local_root(uri)  # StoreError for s3:// and other remote schemes
        if not root.is_absolute():
            beside = os.path.join(os.path.dirname(self._root.path), root)
            if not root.exists() and os.path.isdir(beside):
                return beside
        if not root.exists() and os.path.isdir(fallback):
            return fallback
        return uri

    def artifacts(self, run_id: str) -> ArtifactReader:
        """The reader of the run's artifacts (see :meth:`artifact_root`)."""
        return reader_for(self.artifact_root(run_id))

    def _set_lifecycle(self, run_ids: Sequence[str], stage: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        self._check_writable("deleting runs" if stage == "deleted" else "restoring runs")
        metas = []
        for rid in ids:
            try:
                metas.append(self._index.find(rid))
            except ResourceNotFound:
                raise ResourceNotFound(
                    f"Run with id={rid} not found; nothing was changed"
                ) from None
        deleted_time = now_ms() if stage == "deleted" else None
        writes = []
        for meta in metas:  # everything is read and checked before the first write
            try:
                raw = read_meta(meta.dir)
                data = dump_yaml(persisted_run_info(raw, stage, deleted_time))
            except (OSError, MetaError, KeyError, TypeError) as exc:
                raise StoreError(
                    f"Run {meta.run_id} has an unreadable meta.yaml ({describe_error(exc)}); "
                    "nothing was changed"
                ) from None
            writes.append((os.path.join(meta.dir, META), data))
        for path, data in writes:
            with disk_errors("write", path):
                atomic_write(path, data)
            self._index.forget(os.path.dirname(path))

    def delete(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as MLflow's file store: lifecycle_stage and deleted_time in meta.yaml."""
        self._set_lifecycle(run_ids, "deleted")

    def restore(self, run_ids: Sequence[str]) -> None:
        """Undo :meth:`delete`: lifecycle_stage back to active, no ``deleted_time``."""
        self._set_lifecycle(run_ids, "active")
