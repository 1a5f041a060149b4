"""What one run holds in an ``mlruns`` folder, read per key and cached::

    <experiment>/<run_id>/metrics/<key>     "timestamp value step" lines
    <experiment>/<run_id>/params/<key>      one value per file (tags/ the same)
    <experiment>/<run_id>/inputs/, outputs/ datasets and logged models

A search of 10,000 runs must not open 10,000 x (params + tags + metrics) files:
:class:`RunData` reads only the one key a filter or sort needs (:meth:`RunData.load_key`)
and the whole run only for the runs on the page (:meth:`RunData.full_run`). Values
are cached by (mtime, size); a metric file, which only ever grows, is read on from
where it was left.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ..downsample import downsample
from ..entities import RUN_NAME_TAG, DatasetInput, Metric, ModelOutput, Run
from ..search import METRIC, PARAM
from .layout import (
    DATASETS,
    INPUTS,
    METRICS,
    OUTPUTS,
    PARAMS,
    TAGS,
    key_path,
    list_keys,
    read_bytes,
    read_key_values,
    read_text,
    safe_key,
    safe_name,
)
from .meta import MetaError, int_or_none, read_meta, text_or_empty
from .metric_files import better_point, parse_metric_data
from .root import ProblemLog
from .run_index import RunMeta

_Point = tuple[int, float, int]
"""(timestamp, value, step) of one metric line."""


class RunData:
    """Params, tags, metrics, inputs and outputs of runs, given their :class:`RunMeta`."""

    def __init__(self, problems: ProblemLog) -> None:
        self._problems = problems
        self._values: dict[str, tuple[tuple[int, int], str]] = {}
        """Param or tag file -> ((mtime_ns, size), its text)."""
        self._latest: dict[str, tuple[tuple[int, int], int, _Point | None, _Point | None]] = {}
        """Metric file -> ((mtime_ns, size), bytes consumed, latest point of the
        complete lines, the unfinished last line's point)."""

    def value(self, path: str) -> str | None:
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

    def forget_value(self, path: str) -> None:
        """Drop the cached text of a tag file this process just rewrote (its mtime
        may not have moved within the file system's resolution)."""
        self._values.pop(path, None)

    def latest_metric(self, run_dir: str, key: str) -> Metric | None:
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
                self._problems.note(path, f"{bad} unreadable line(s) skipped")
            elif start == 0:
                self._problems.note(path, None)
            best = better_point(best, points)
            self._latest[path] = (stamp, start + consumed, best, tail)
            if tail is not None:
                best = better_point(best, [tail])
        if best is None:
            return None
        ts, value, step = best
        return Metric(key, value, ts, step)

    def full_run(self, meta: RunMeta) -> Run:
        """The run with every param, tag and latest metric (for the runs of a page)."""
        run = meta.run()
        run.params = read_key_values(os.path.join(meta.dir, PARAMS))
        run.tags = read_key_values(os.path.join(meta.dir, TAGS))
        for key in list_keys(os.path.join(meta.dir, METRICS)):
            metric = self.latest_metric(meta.dir, key)
            if metric is not None:
                run.metrics[key] = metric
        if not run.run_name:
            run.run_name = run.tags.get(RUN_NAME_TAG, "")
        return run

    def light_run(self, meta: RunMeta) -> Run:
        """Run info only; keys are added by :meth:`load_key` when a search needs them."""
        run = meta.run()
        if not run.run_name:  # as MLflow: the name falls back to the mlflow.runName tag
            run.run_name = self.value(key_path(os.path.join(meta.dir, TAGS), RUN_NAME_TAG)) or ""
        return run

    def load_key(self, pairs: Iterable[tuple[Run, RunMeta]], kind: str, key: str) -> None:
        """Add one metric, param or tag (``kind`` as in the search grammar) to each
        run that lacks it: one file per run, for a filter clause or a sort key."""
        if not safe_key(key):
            return  # MLflow never writes such a key: no run has it
        for run, meta in pairs:
            if kind == METRIC:
                if key not in run.metrics:
                    metric = self.latest_metric(meta.dir, key)
                    if metric is not None:
                        run.metrics[key] = metric
            else:
                target = run.params if kind == PARAM else run.tags
                if key not in target:
                    folder = PARAMS if kind == PARAM else TAGS
                    value = self.value(key_path(os.path.join(meta.dir, folder), key))
                    if value is not None:
                        target[key] = value

    def _input_metas(self, meta: RunMeta) -> list[dict[str, Any]]:
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

    def dataset_inputs(self, meta: RunMeta) -> list[DatasetInput]:
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

    def model_inputs(self, meta: RunMeta) -> list[str]:
        return [
            text_or_empty(raw.get("source_id"))
            for raw in self._input_metas(meta)
            if raw.get("source_type") == "MODEL"
        ]

    def model_outputs(self, meta: RunMeta) -> list[ModelOutput]:
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

    def metric_history(
        self,
        meta: RunMeta,
        key: str,
        min_step: int | None = None,
        max_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        """Every point of one metric of a run (see ``BaseStore.get_metric_history``),
        read whole: a history is asked for one run at a time."""
        if not safe_key(key):
            return []
        path = key_path(os.path.join(meta.dir, METRICS), key)
        try:
            data = read_bytes(path)
        except OSError:
            return []
        points, tail, bad, _ = parse_metric_data(data)
        self._problems.note(path, f"{bad} unreadable line(s) skipped" if bad else None)
        if tail is not None:
            points.append(tail)
        history = [
            Metric(key, value, ts, step)
            for ts, value, step in points
            if (min_step is None or step >= min_step) and (max_step is None or step <= max_step)
        ]
        history.sort(key=lambda m: (m.step, m.timestamp))
        return downsample(history, max_points)
