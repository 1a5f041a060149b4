"""One run's files in an ``mlruns`` folder, as MLflow's file store lays them out::

    <experiment>/<run_id>/meta.yaml         run info (status as an int enum)
    <experiment>/<run_id>/metrics/<key>     "timestamp value step" lines
    <experiment>/<run_id>/params/<key>      one value per file (tags/ the same)
    <experiment>/<run_id>/inputs/, outputs/ datasets and logged models

:class:`FileRunsMixin` reads them for :class:`mltui.store.file.FileStore` with
caches keyed by (mtime, size): a run's ``meta.yaml`` is parsed once and re-read
only when it changes; a metric file, which only ever grows, is read on from where
it was left. It also makes MLflow's lifecycle write (delete / restore).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from .downsample import downsample
from .entities import (
    RUN_NAME_TAG,
    DatasetInput,
    Metric,
    ModelOutput,
    Run,
    ViewType,
)
from .errors import ResourceNotFound, StoreError
from .file_layout import (
    DATASETS,
    INPUTS,
    META,
    METRICS,
    OUTPUTS,
    PARAMS,
    RESERVED_EXPERIMENT_FOLDERS,
    RUN_STATUS_NAMES,
    RUN_STATUS_NUMBERS,
    SOURCE_TYPE_LOCAL,
    SOURCE_TYPE_NAMES,
    TAGS,
    MetaError,
    atomic_write,
    better_point,
    describe_error,
    dump_yaml,
    int_or_none,
    key_path,
    list_keys,
    now_ms,
    parse_meta,
    parse_metric_data,
    read_bytes,
    read_key_values,
    read_meta,
    read_text,
    safe_key,
    safe_name,
    safe_run_id,
    text_or_empty,
)
from .search import METRIC, PARAM

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

    def __init__(self, raw: dict, run_dir: str):
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


def _enum_name(names: dict[int, str], value) -> str:
    """An enum stored as its number (as MLflow stores run status), as its name."""
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, str(value))
    return text_or_empty(value)


def persisted_run_info(raw: dict, lifecycle_stage: str, deleted_time: int | None) -> dict:
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


class FileRunsMixin:
    """Run reads and writes of the file store (needs ``_experiment_dir(s)`` and
    ``_problem`` from the store)."""

    # -- run metadata, cached ------------------------------------------------------
    def _run_meta(self, run_dir: str) -> RunMeta | None:
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
            self._problem(path, None)
        except FileNotFoundError:
            return None
        except (OSError, MetaError) as exc:
            self._problem(path, describe_error(exc))
            meta = None
        except (TypeError, ValueError, AttributeError):
            self._problem(path, "meta.yaml has unexpected content")
            meta = None
        self._metas[path] = (stamp, meta)
        return meta

    def _run_metas(self, eid: str, exp_dir: str) -> list[RunMeta]:
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
            meta = self._run_meta(entry.path)
            if meta is None:
                continue
            if meta.experiment_id != eid:
                # MLflow skips a run recorded for another experiment
                self._problem(
                    os.path.join(entry.path, META), f"records experiment id {meta.experiment_id}"
                )
                continue
            metas.append(meta)
        return metas

    def _metas_for(self, experiment_ids: Sequence[str], view: ViewType) -> list[RunMeta]:
        stages = view.stages
        metas = []
        for eid in dict.fromkeys(str(e) for e in experiment_ids):
            path = self._experiment_dir(eid)
            if path is None:
                continue
            metas.extend(m for m in self._run_metas(eid, path) if m.lifecycle_stage in stages)
        return metas

    def _find_run(self, run_id: str) -> RunMeta:
        if safe_run_id(run_id):
            for eid, exp_dir in self._experiment_dirs(ViewType.ALL):
                run_dir = os.path.join(exp_dir, run_id)
                if not os.path.isdir(run_dir):
                    continue
                meta = self._run_meta(run_dir)
                if meta is not None and meta.experiment_id == eid and meta.run_id == run_id:
                    return meta
        raise ResourceNotFound(f"No run with id {run_id!r}")

    # -- run data, read per key -------------------------------------------------------
    def _value(self, path: str) -> str | None:
        """A param or tag file's text (cached by mtime and size), None if absent."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._values.get(path)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        try:
            value = read_text(path)
        except OSError:
            return None
        self._values[path] = (stamp, value)
        return value

    def _latest_metric(self, run_dir: str, key: str) -> Metric | None:
        """The value MLflow reports for a metric: the max of (step, timestamp, value).

        Metric files only grow, so a cached file is read on from where it was left."""
        path = key_path(os.path.join(run_dir, METRICS), key)
        try:
            st = os.stat(path)
        except OSError:
            return None
        stamp = (st.st_mtime_ns, st.st_size)
        cached = self._latest.get(path)
        if cached is not None and cached[0] == stamp:
            best = better_point(cached[2], [cached[3]] if cached[3] else [])
        else:
            start, best = 0, None
            if cached is not None and st.st_size >= cached[1] and cached[1] > 0:
                start, best = cached[1], cached[2]
            try:
                data = read_bytes(path, start)
            except OSError:
                return None
            points, tail, bad, consumed = parse_metric_data(data)
            if bad:
                self._problem(path, f"{bad} unreadable line(s) skipped")
            elif start == 0:
                self._problem(path, None)
            best = better_point(best, points)
            self._latest[path] = (stamp, start + consumed, best, tail)
            if tail is not None:
                best = better_point(best, [tail])
        if best is None:
            return None
        ts, value, step = best
        return Metric(key, value, ts, step)

    def _full_run(self, meta: RunMeta) -> Run:
        run = meta.run()
        run.params = read_key_values(os.path.join(meta.dir, PARAMS))
        run.tags = read_key_values(os.path.join(meta.dir, TAGS))
        for key in list_keys(os.path.join(meta.dir, METRICS)):
            metric = self._latest_metric(meta.dir, key)
            if metric is not None:
                run.metrics[key] = metric
        if not run.run_name:
            run.run_name = run.tags.get(RUN_NAME_TAG, "")
        return run

    def _light_run(self, meta: RunMeta) -> Run:
        """Run info only; keys are added by :meth:`_load_key` when a search needs them."""
        run = meta.run()
        if not run.run_name:  # as MLflow: the name falls back to the mlflow.runName tag
            run.run_name = self._value(key_path(os.path.join(meta.dir, TAGS), RUN_NAME_TAG)) or ""
        return run

    def _load_key(self, pairs: Iterable[tuple[Run, RunMeta]], kind: str, key: str) -> None:
        if not safe_key(key):
            return  # MLflow never writes such a key: no run has it
        for run, meta in pairs:
            if kind == METRIC:
                if key not in run.metrics:
                    metric = self._latest_metric(meta.dir, key)
                    if metric is not None:
                        run.metrics[key] = metric
            else:
                target = run.params if kind == PARAM else run.tags
                if key not in target:
                    folder = PARAMS if kind == PARAM else TAGS
                    value = self._value(key_path(os.path.join(meta.dir, folder), key))
                    if value is not None:
                        target[key] = value

    def _input_metas(self, meta: RunMeta) -> list[dict]:
        folder = os.path.join(meta.dir, INPUTS)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        found = []
        for name in names:
            try:
                found.append(read_meta(os.path.join(folder, name)))
            except (OSError, MetaError):
                continue
        return found

    def _dataset_inputs(self, meta: RunMeta) -> list[DatasetInput]:
        inputs = []
        exp_dir = os.path.dirname(meta.dir)
        for raw in self._input_metas(meta):
            if raw.get("source_type") != "DATASET" or not safe_name(raw.get("source_id")):
                continue
            try:
                ds = read_meta(os.path.join(exp_dir, DATASETS, raw["source_id"]))
            except (OSError, MetaError):
                continue  # MLflow skips an input whose dataset is gone
            tags = raw.get("tags") or {}
            inputs.append(
                DatasetInput(
                    name=text_or_empty(ds.get("name")),
                    digest=text_or_empty(ds.get("digest")),
                    source_type=text_or_empty(ds.get("source_type")),
                    source=text_or_empty(ds.get("source")),
                    schema=ds.get("schema"),
                    profile=ds.get("profile"),
                    tags={str(k): text_or_empty(v) for k, v in tags.items()}
                    if isinstance(tags, dict)
                    else {},
                )
            )
        return inputs

    def _model_inputs(self, meta: RunMeta) -> list[str]:
        return [
            text_or_empty(raw.get("source_id"))
            for raw in self._input_metas(meta)
            if raw.get("source_type") == "MODEL"
        ]

    def _model_outputs(self, meta: RunMeta) -> list[ModelOutput]:
        folder = os.path.join(meta.dir, OUTPUTS)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        outputs = []
        for name in names:
            try:
                raw = read_meta(os.path.join(folder, name))
            except (OSError, MetaError):
                continue
            if raw.get("destination_type") != "MODEL_OUTPUT":
                continue
            # MLflow writes the model id as destination_id (and as source_id)
            outputs.append(
                ModelOutput(
                    model_id=text_or_empty(raw.get("destination_id") or raw.get("source_id")),
                    step=int_or_none(raw.get("step")) or 0,
                )
            )
        return outputs

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        min_step: int | None = None,
        max_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        meta = self._find_run(run_id)
        if not safe_key(key):
            return []
        path = key_path(os.path.join(meta.dir, METRICS), key)
        try:
            data = read_bytes(path)
        except OSError:
            return []
        points, tail, bad, _ = parse_metric_data(data)
        self._problem(path, f"{bad} unreadable line(s) skipped" if bad else None)
        if tail is not None:
            points.append(tail)
        history = [
            Metric(key, value, ts, step)
            for ts, value, step in points
            if (min_step is None or step >= min_step) and (max_step is None or step <= max_step)
        ]
        history.sort(key=lambda m: (m.step, m.timestamp))
        return downsample(history, max_points)

    # -- run writes ---------------------------------------------------------------------
    def _set_lifecycle(self, run_ids: Sequence[str], stage: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        self.check_writable("deleting runs" if stage == "deleted" else "restoring runs")
        metas = []
        for rid in ids:
            try:
                metas.append(self._find_run(rid))
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
            try:
                atomic_write(path, data)
            except OSError as exc:
                raise StoreError(f"Could not write {path}: {exc.strerror or exc}") from None
            self._metas.pop(path, None)

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as MLflow's file store: lifecycle_stage and deleted_time in meta.yaml."""
        self._set_lifecycle(run_ids, "deleted")

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        self._set_lifecycle(run_ids, "active")
