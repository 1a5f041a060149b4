"""The file backend: an ``mlruns`` folder as MLflow's file store writes it.

Layout (``mlflow/store/tracking/file_store.py``)::

    mlruns/<experiment_id>/meta.yaml            experiment; tags/<key> beside it
    mlruns/<experiment_id>/<run_id>/meta.yaml   run info (status as an int enum)
                          /<run_id>/metrics/<key>   "timestamp value step" lines
                          /<run_id>/params/<key>, tags/<key>   one value per file
                          /<run_id>/inputs/, outputs/   datasets and logged models
    mlruns/<experiment_id>/datasets/, models/   datasets and logged models
    mlruns/.trash/<experiment_id>/               deleted experiments
    mlruns/models/<name>/                        the model registry (file_registry.py)

Keys with '/' are nested folders. This module holds the store (experiments,
search, artifacts, logged models); one run's files are read and written in
``file_runs.py``, the registry in ``file_registry.py``, the file formats in
``file_layout.py``.

Searching uses :mod:`search` (parse, then ``run_matches`` / ``sort_runs``, which
order runs as MLflow does). Big folders stay fast: each run's ``meta.yaml`` is
parsed once and re-read only when its size or mtime changes, and the metric,
param and tag files of a run are read only for the runs on the requested page,
or the one key a filter or sort needs.

A run or experiment whose ``meta.yaml`` is empty or corrupt is skipped (as
MLflow skips it) and listed in :attr:`FileStore.unreadable`; a garbage line in
a metric file is skipped and the rest of the file is read.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlparse

from .base import BaseStore, Capabilities, decode_page_token, encode_page_token
from .entities import (
    PARENT_RUN_TAG,
    ArtifactEntry,
    Experiment,
    LoggedModel,
    Metric,
    Run,
    RunDetail,
    RunKeys,
    RunPage,
    ViewType,
)
from .errors import NotAnMlflowStore, ResourceNotFound, StoreNotFound
from .file_layout import (
    ARTIFACTS,
    LOGGED_MODEL_STATUS_NAMES,
    META,
    METRICS,
    MODELS,
    PARAMS,
    TAGS,
    TRASH,
    MetaError,
    describe_error,
    int_or_none,
    key_path,
    list_keys,
    read_key_values,
    read_meta,
    read_text,
    safe_name,
    text_or_empty,
)
from .file_registry import FileRegistryMixin
from .file_runs import FileRunsMixin, RunMeta
from .search import ATTRIBUTE, DATASET, TAG, parse_filter, parse_order_by
from .search import run_matches as _run_matches
from .search import sort_runs as _sort_runs


def root_path(uri: str) -> Path:
    """The folder behind ``file:///abs/path``, ``file:rel/path`` or a plain path."""
    if uri.lower().startswith("file:"):
        parsed = urlparse(uri)
        path = unquote(parsed.path)
        if parsed.netloc and parsed.netloc != "localhost":
            path = f"//{parsed.netloc}{path}"
        return Path(path or ".")
    return Path(uri)


class FileStore(FileRunsMixin, FileRegistryMixin, BaseStore):
    kind = "file"
    capabilities = Capabilities()

    def __init__(self, uri: str, *, read_only: bool = False):
        super().__init__(uri, read_only=read_only)
        root = root_path(uri)
        if not root.exists():
            raise StoreNotFound(f"No mlruns folder at {root}")
        if not root.is_dir():
            raise NotAnMlflowStore(f"{root} is a file, not an mlruns folder")
        self.root = str(root.absolute())
        self.trash = os.path.join(self.root, TRASH)
        if not self._looks_like_mlruns():
            inner = root / "mlruns"
            hint = f"; did you mean {inner}?" if (inner / ".trash").is_dir() else ""
            raise NotAnMlflowStore(
                f"{root} is not an mlruns folder (no experiment folder with a meta.yaml){hint}"
            )
        self._metas: dict[str, tuple[tuple[int, int], RunMeta | None]] = {}
        self._values: dict[str, tuple[tuple[int, int], str]] = {}
        self._latest: dict[str, tuple[tuple[int, int], int, tuple | None, tuple | None]] = {}
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def display_uri(self) -> str:
        return self.root

    def _looks_like_mlruns(self) -> bool:
        if os.path.isdir(self.trash):
            return True
        for folder in (self.root, os.path.join(self.root, MODELS)):
            try:
                with os.scandir(folder) as it:
                    for entry in it:
                        if entry.is_dir() and os.path.exists(os.path.join(entry.path, META)):
                            return True
            except OSError:
                continue
        return False

    # -- what could not be read ----------------------------------------------------
    @property
    def unreadable(self) -> list[str]:
        """Paths of ``meta.yaml`` files skipped because they are empty or corrupt."""
        with self._lock:
            return sorted(p for p in self._problems if p.endswith(META))

    @property
    def problems(self) -> dict[str, str]:
        """Every file skipped or partly read, with the reason."""
        with self._lock:
            return dict(self._problems)

    @property
    def warning(self) -> str | None:
        """One line for the UI about what could not be read, or None."""
        problems = self.problems
        if not problems:
            return None
        metas = [p for p in problems if p.endswith(META)]
        parts = []
        if metas:
            parts.append(f"{len(metas)} unreadable meta.yaml (skipped)")
        others = len(problems) - len(metas)
        if others:
            parts.append(f"{others} metric file(s) with unreadable lines (skipped)")
        first = sorted(problems)[0]
        return f"{', '.join(parts)}; e.g. {first}: {problems[first]}"

    def _problem(self, path: str, reason: str | None) -> None:
        with self._lock:
            if reason is None:
                self._problems.pop(path, None)
            else:
                self._problems[path] = reason

    # -- experiments ----------------------------------------------------------------
    def _experiment_dirs(self, view: ViewType) -> list[tuple[str, str]]:
        """(experiment id, folder) of every experiment folder in ``view``."""
        found = []
        parents = []
        if view in (ViewType.ACTIVE, ViewType.ALL):
            parents.append(self.root)
        if view in (ViewType.DELETED, ViewType.ALL):
            parents.append(self.trash)
        for parent in parents:
            try:
                with os.scandir(parent) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if parent == self.root and entry.name in (TRASH, MODELS):
                    continue
                try:
                    if entry.is_dir():
                        found.append((entry.name, entry.path))
                except OSError:
                    continue
        return found

    def _experiment_dir(self, experiment_id) -> str | None:
        eid = str(experiment_id) if experiment_id is not None else ""
        if not safe_name(eid) or eid in (TRASH, MODELS):
            return None
        for parent in (self.root, self.trash):
            path = os.path.join(parent, eid)
            if os.path.isfile(os.path.join(path, META)):
                return path
        return None

    def _read_experiment(self, eid: str, path: str) -> Experiment | None:
        meta_path = os.path.join(path, META)
        try:
            raw = read_meta(path)
        except FileNotFoundError:
            return None
        except (OSError, MetaError) as exc:
            self._problem(meta_path, describe_error(exc))
            return None
        if str(raw.get("experiment_id")) != eid:
            # MLflow ignores an experiment whose meta.yaml names another id
            self._problem(meta_path, f"records experiment id {raw.get('experiment_id')!r}")
            return None
        self._problem(meta_path, None)
        deleted = os.path.dirname(path) == self.trash
        exp = Experiment(
            experiment_id=eid,
            name=text_or_empty(raw.get("name")),
            artifact_location=raw.get("artifact_location"),
            lifecycle_stage=text_or_empty(raw.get("lifecycle_stage"))
            or ("deleted" if deleted else "active"),
            creation_time=int_or_none(raw.get("creation_time")),
            last_update_time=int_or_none(raw.get("last_update_time")),
            tags=read_key_values(os.path.join(path, TAGS)),
        )
        metas = self._run_metas(eid, path)
        # what the default (active) runs view shows, as MLflow's UI counts
        active = [m for m in metas if m.lifecycle_stage == "active"]
        exp.run_count = len(active)
        starts = [m.start_time for m in active if m.start_time]
        exp.last_run_time = max(starts) if starts else None
        return exp

    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        found: dict[str, Experiment] = {}
        for eid, path in self._experiment_dirs(view):
            if eid in found:
                continue
            exp = self._read_experiment(eid, path)
            if exp is not None:
                found[eid] = exp
        return sorted(found.values(), key=_experiment_sort_key)

    def get_experiment(self, experiment_id: str) -> Experiment:
        path = self._experiment_dir(experiment_id)
        exp = self._read_experiment(str(experiment_id), path) if path else None
        if exp is None:
            raise ResourceNotFound(f"No experiment with id {experiment_id!r}")
        return exp

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        for eid, path in self._experiment_dirs(ViewType.ALL):
            try:
                raw = read_meta(path)
            except (OSError, MetaError):
                continue
            if raw.get("name") == name and str(raw.get("experiment_id")) == eid:
                return self._read_experiment(eid, path)
        return None

    # -- search -------------------------------------------------------------------
    def _filtered(
        self, experiment_ids: Sequence[str], filter_string: str, view: ViewType,
        top_level: bool = False,
    ) -> list[tuple[Run, RunMeta]]:
        clauses = parse_filter(filter_string)
        pairs = [(self._light_run(m), m) for m in self._metas_for(experiment_ids, view)]
        if top_level:
            # no parent among the runs shown: a deleted parent's children stay visible
            present = {m.run_id for _, m in pairs}
            self._load_key(pairs, TAG, PARENT_RUN_TAG)
            pairs = [(run, meta) for run, meta in pairs
                     if run.tags.get(PARENT_RUN_TAG) not in present]
        # AND is commutative: cheap attribute clauses first, then one file per run
        # for each remaining clause, on the runs still in.
        ordered = sorted(clauses, key=lambda c: (c.kind != ATTRIBUTE, c.kind == DATASET))
        for clause in ordered:
            if not pairs:
                break
            if clause.kind == DATASET:
                pairs = [
                    (run, meta)
                    for run, meta in pairs
                    if _run_matches(run, [clause], self._dataset_inputs(meta))
                ]
                continue
            if clause.kind != ATTRIBUTE:
                self._load_key(pairs, clause.kind, clause.key)
            pairs = [(run, meta) for run, meta in pairs if _run_matches(run, [clause])]
        return pairs

    def _sorted(self, pairs: list[tuple[Run, RunMeta]], order_by: Sequence[str]) -> list[RunMeta]:
        order = parse_order_by(order_by)
        for key in order:
            if key.kind != ATTRIBUTE:
                self._load_key(pairs, key.kind, key.key)
        by_run = {id(run): meta for run, meta in pairs}
        return [by_run[id(run)] for run in _sort_runs([run for run, _ in pairs], order)]

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = (),
        view: ViewType = ViewType.ACTIVE,
        max_results: int = 100,
        offset: int = 0,
        page_token: str | None = None,
        count_total: bool = True,
        top_level: bool = False,
    ) -> RunPage:
        parse_order_by(order_by)  # reject a bad order_by before reading anything
        if page_token:
            offset = decode_page_token(page_token)
        metas = self._sorted(self._filtered(experiment_ids, filter_string, view, top_level),
                             order_by)
        end = offset + max(0, max_results)
        page = [self._full_run(m) for m in metas[offset:end]]
        token = encode_page_token(end) if end < len(metas) else None
        total = len(metas) if count_total else None
        return RunPage(runs=page, total=total, next_page_token=token, offset=offset)

    def search_run_ids(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        pairs = self._filtered(experiment_ids, filter_string, view)
        return [m.run_id for m in self._sorted(pairs, ())]

    def child_counts(
        self,
        experiment_ids: Sequence[str],
        parent_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        wanted = set(parent_ids)
        counts: dict[str, int] = {}
        if not wanted:
            return counts
        pairs = self._filtered(experiment_ids, filter_string, view)
        self._load_key(pairs, TAG, PARENT_RUN_TAG)
        for run, _ in pairs:
            parent = run.tags.get(PARENT_RUN_TAG)
            if parent in wanted:
                counts[parent] = counts.get(parent, 0) + 1
        return counts

    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        metrics: set[str] = set()
        params: set[str] = set()
        tags: set[str] = set()
        for meta in self._metas_for(experiment_ids, ViewType.ALL):
            metrics.update(list_keys(os.path.join(meta.dir, METRICS)))
            params.update(list_keys(os.path.join(meta.dir, PARAMS)))
            tags.update(list_keys(os.path.join(meta.dir, TAGS)))
        return RunKeys(sorted(metrics), sorted(params), sorted(tags))

    # -- one run --------------------------------------------------------------------
    def get_run(self, run_id: str) -> RunDetail:
        meta = self._find_run(run_id)
        run = self._full_run(meta)
        inputs = self._dataset_inputs(meta)
        return RunDetail(
            run=run,
            inputs=inputs,
            model_inputs=self._model_inputs(meta),
            outputs=self._model_outputs(meta),
        )

    # -- artifacts --------------------------------------------------------------------
    def _artifact_root(self, run_id: str) -> str:
        """The run's artifact URI; for an mlruns folder copied from elsewhere, whose
        ``file://`` paths point at the old place, the ``artifacts`` folder of the run."""
        from .artifacts import local_root

        meta = self._find_run(run_id)
        uri = meta.artifact_uri
        fallback = os.path.join(meta.dir, ARTIFACTS)
        if not uri:
            return fallback
        root = local_root(uri)  # StoreError for s3:// and other remote schemes
        if not root.is_absolute():
            beside = os.path.join(os.path.dirname(self.root), root)
            if not root.exists() and os.path.isdir(beside):
                return beside
        if not root.exists() and os.path.isdir(fallback):
            return fallback
        return uri

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactEntry]:
        from .artifacts import list_local_artifacts

        return list_local_artifacts(self._artifact_root(run_id), path)

    def read_artifact(self, run_id: str, path: str, max_bytes: int = 8 << 20) -> bytes:
        from .artifacts import read_local_artifact

        return read_local_artifact(self._artifact_root(run_id), path, max_bytes)

    # -- logged models ------------------------------------------------------------------
    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        exp_dir = self._experiment_dir(experiment_id)
        if exp_dir is None:
            return []
        folder = os.path.join(exp_dir, MODELS)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        models = []
        for name in names:
            model_dir = os.path.join(folder, name)
            if not os.path.isdir(model_dir):
                continue
            try:
                raw = read_meta(model_dir)
            except FileNotFoundError:
                continue
            except (OSError, MetaError) as exc:
                self._problem(os.path.join(model_dir, META), describe_error(exc))
                continue
            if raw.get("lifecycle_stage") == "deleted":
                continue
            if str(raw.get("experiment_id")) != str(experiment_id):
                continue
            status = raw.get("status")
            models.append(
                LoggedModel(
                    model_id=text_or_empty(raw.get("model_id")) or name,
                    experiment_id=str(experiment_id),
                    name=text_or_empty(raw.get("name")),
                    artifact_location=text_or_empty(raw.get("artifact_location")),
                    creation_time=int_or_none(raw.get("creation_timestamp")),
                    last_updated_time=int_or_none(raw.get("last_updated_timestamp")),
                    status=LOGGED_MODEL_STATUS_NAMES.get(status, text_or_empty(status))
                    if isinstance(status, int)
                    else text_or_empty(status),
                    model_type=text_or_empty(raw.get("model_type")),
                    source_run_id=text_or_empty(raw.get("source_run_id")),
                    tags=read_key_values(os.path.join(model_dir, TAGS)),
                    params=read_key_values(os.path.join(model_dir, PARAMS)),
                    metrics=_logged_model_metrics(os.path.join(model_dir, METRICS)),
                )
            )
        models.sort(key=lambda m: -(m.creation_time or 0))
        return models


def _logged_model_metrics(folder: str) -> list[Metric]:
    """Latest value per (metric, dataset) as MLflow's ``_get_model_metrics_from_file``:
    lines are ``timestamp value step run_id [dataset_name dataset_digest]``."""
    metrics = []
    for key in sorted(list_keys(folder)):
        try:
            text = read_text(key_path(folder, key))
        except OSError:
            continue
        groups: dict[tuple, tuple] = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) not in (4, 6):
                continue
            try:
                point = (int(parts[2]), int(parts[0]), float(parts[1]))
            except ValueError:
                continue
            group = tuple(parts[4:6])
            if group not in groups or point > groups[group]:
                groups[group] = point
        for step, ts, value in groups.values():
            metrics.append(Metric(key, value, ts, step))
    return metrics


def _experiment_sort_key(exp: Experiment):
    eid = exp.experiment_id
    return (0, int(eid), "") if eid.isdigit() else (1, 0, eid)
