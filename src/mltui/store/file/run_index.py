"""Which runs an ``mlruns`` folder holds: every run's ``meta.yaml``, cached.

Listing an experiment of 10,000 runs means 10,000 ``meta.yaml`` files; each is
parsed once and re-read only when its (mtime, size) changes, so a live refresh
costs a ``stat`` per run. A run whose ``meta.yaml`` is empty, corrupt or names
another experiment is skipped, as MLflow skips it, and noted in the problem log.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from ..entities import Run, ViewType
from ..errors import ResourceNotFound
from .layout import (
    META,
    RESERVED_EXPERIMENT_FOLDERS,
    RUN_STATUS_NAMES,
    SOURCE_TYPE_NAMES,
    read_bytes,
    safe_run_id,
)
from .meta import MetaError, describe_error, int_or_none, parse_meta, text_or_empty
from .root import Root

_META_SUFFIX = os.sep + META


class RunMeta:
    """What a run's ``meta.yaml`` says, plus where the run lives."""

    __slots__ = (
        "artifact_uri",
        "dir",
        "end_time",
        "experiment_id",
        "lifecycle_stage",
        "run_id",
        "run_name",
        "source_name",
        "source_type",
        "start_time",
        "status",
        "user_id",
    )

    def __init__(self, raw: dict[str, Any], run_dir: str) -> None:
        self.dir = run_dir
        run_id = raw.get("run_id") or raw.get("run_uuid") or os.path.basename(run_dir)
        self.run_id = str(run_id)
        if raw.get("experiment_id") is None:
            raise MetaError("no experiment_id")
        self.experiment_id = str(raw["experiment_id"])
        self.run_name = text_or_empty(raw.get("run_name"))
        self.status = _enum_name(RUN_STATUS_NAMES, raw.get("status", 1))
        self.start_time = int_or_none(raw.get("start_time"))
        self.end_time = int_or_none(raw.get("end_time"))
        self.user_id = text_or_empty(raw.get("user_id"))
        self.lifecycle_stage = text_or_empty(raw.get("lifecycle_stage")) or "active"
        self.artifact_uri = text_or_empty(raw.get("artifact_uri"))
        self.source_type = _enum_name(SOURCE_TYPE_NAMES, raw.get("source_type"))
        self.source_name = text_or_empty(raw.get("source_name"))

    def run(self) -> Run:
        return Run(
            run_id=self.run_id,
            experiment_id=self.experiment_id,
            run_name=self.run_name,
            status=self.status,
            start_time=self.start_time,
            end_time=self.end_time,
            user_id=self.user_id,
            source_type=self.source_type,
            source_name=self.source_name,
            lifecycle_stage=self.lifecycle_stage,
            artifact_uri=self.artifact_uri,
        )


def _enum_name(names: dict[int, str], value: object) -> str:
    """An enum stored as its number (as MLflow stores run status), as its name."""
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, str(value))
    return text_or_empty(value)


class RunIndex:
    """The runs of the experiments of one :class:`Root`, found by folder and id."""

    def __init__(self, root: Root) -> None:
        self._root = root
        self._metas: dict[str, tuple[tuple[int, int], RunMeta | None]] = {}
        """``meta.yaml`` path -> ((mtime_ns, size), what it said or None if unreadable)."""

    def meta(self, run_dir: str) -> RunMeta | None:
        """The run in ``run_dir``, None if it is no run or its ``meta.yaml`` is unreadable."""
        path = run_dir + _META_SUFFIX  # os.path.join costs more than the stat, x 10,000
        try:
            st = os.stat(path)
        except OSError:
            return None  # not a run folder
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._metas.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        meta: RunMeta | None
        try:
            meta = RunMeta(parse_meta(read_bytes(path)), run_dir)
            self._root.problems.note(path, None)
        except FileNotFoundError:
            return None
        except (OSError, MetaError) as exc:
            self._root.problems.note(path, describe_error(exc))
            meta = None
        except (TypeError, ValueError, AttributeError):
            self._root.problems.note(path, "meta.yaml has unexpected content")
            meta = None
        self._metas[path] = (stamp, meta)
        return meta

    def forget(self, run_dir: str) -> None:
        """Drop the cached ``meta.yaml`` of a run this process just rewrote (its
        mtime may not have moved within the file system's resolution)."""
        self._metas.pop(os.path.join(run_dir, META), None)

    def of_experiment(self, eid: str, exp_dir: str) -> list[RunMeta]:
        """Readable runs of one experiment (MLflow's ``_list_run_infos``, every view)."""
        metas = []
        try:
            with os.scandir(exp_dir) as it:
                entries = list(it)
        except OSError:
            return []
        for entry in entries:
            if entry.name in RESERVED_EXPERIMENT_FOLDERS:
                continue
            try:
                if not entry.is_dir():
                    continue
            except OSError:
                continue
            meta = self.meta(entry.path)
            if meta is None:
                continue
            if meta.experiment_id != eid:
                # MLflow skips a run recorded for another experiment
                self._root.problems.note(
                    os.path.join(entry.path, META), f"records experiment id {meta.experiment_id}"
                )
                continue
            metas.append(meta)
        return metas

    def of_experiments(self, experiment_ids: Sequence[str], view: ViewType) -> list[RunMeta]:
        """Runs of ``experiment_ids`` in ``view``; unknown experiments have none."""
        stages = view.stages
        metas: list[RunMeta] = []
        for eid in dict.fromkeys(str(e) for e in experiment_ids):
            path = self._root.experiment_dir(eid)
            if path is None:
                continue
            metas.extend(m for m in self.of_experiment(eid, path) if m.lifecycle_stage in stages)
        return metas

    def find(self, run_id: str) -> RunMeta:
        """The run ``run_id`` in any experiment and view; ResourceNotFound otherwise."""
        if safe_run_id(run_id):
            for eid, exp_dir in self._root.experiment_dirs(ViewType.ALL):
                run_dir = os.path.join(exp_dir, run_id)
                if not os.path.isdir(run_dir):
                    continue
                meta = self.meta(run_dir)
                if meta is not None and meta.experiment_id == eid and meta.run_id == run_id:
                    return meta
        raise ResourceNotFound(f"No run with id {run_id!r}")
