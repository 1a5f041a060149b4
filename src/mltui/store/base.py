"""The store contract: what every backend implements, and what they share.

A backend subclasses :class:`BaseStore`: it must implement the core reads
(the abstract methods) and overrides the optional features it supports,
saying so in ``capabilities``; the UI offers only what a backend can do. The
rest here is written once on top of the core reads.

For every method:

- It **may block** (disk, database, network): the UI calls it from a worker
  thread only, never on the UI thread.
- It raises only :class:`~.errors.StoreError` subclasses, each with a
  one-line message fit for the screen: :class:`~.errors.InvalidSearch` (a
  filter, order_by or page token MLflow would refuse, with the position),
  :class:`~.errors.ResourceNotFound`, :class:`~.errors.InvalidValue` (an
  argument MLflow would refuse), :class:`~.errors.ReadOnlyError` (a write under
  ``--read-only``), :class:`~.errors.ConflictError` (the row changed since it
  was shown), or plain ``StoreError`` (the database, the server or the disk
  failed; an unsupported feature).
- Writes leave the data exactly as ``MlflowClient`` would (the parity suite
  checks it on every backend) and check :meth:`check_writable` first.
"""

from __future__ import annotations

import base64
import json
import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import NoReturn

from .artifacts import ArtifactReader, reader_for
from .entities import (
    PARENT_RUN_TAG,
    ArtifactEntry,
    Experiment,
    LoggedModel,
    Metric,
    ModelVersion,
    RegisteredModel,
    Run,
    RunDetail,
    RunKeys,
    RunPage,
    ViewType,
)
from .errors import InvalidSearch, InvalidValue, ReadOnlyError, ResourceNotFound, StoreError
from .query import RunQuery
from .registry_rules import ANY
from .search import METRIC, PARAM, TAG, parse_filter, parse_order_by
from .search.trace_filters import parse_trace_filter
from .search.trace_order import parse_trace_order_by
from .trace_entities import Span, Trace, TraceInfo, TracePage, TraceQuery


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do; the UI hides what is False."""

    run_counts: bool = True
    """``search_runs`` returns the total number of matches, and experiments their run
    counts (else the total comes from :meth:`BaseStore.count_runs`, slower)."""
    datasets: bool = True
    """Runs carry their dataset inputs."""
    logged_models: bool = True
    """MLflow 3's logged models can be listed."""
    registry: bool = True
    """The model registry: models, versions, stages, aliases."""
    downsampling: bool = True
    """Metric histories are downsampled by the store, not after transfer."""
    writes: bool = True
    """The backend knows how to write (``read_only`` may still refuse)."""
    traces: bool = False
    """MLflow 3's traces can be searched and read (off for SQL schemas older than
    MLflow's trace tables: then the UI offers no traces key)."""


class BaseStore(ABC):
    """The contract (see the module docstring for what holds for every method)."""

    uri: str = ""
    kind: str = "base"
    """Short backend name shown in the header: sql, file, rest."""
    capabilities = Capabilities()

    def __init__(self, uri: str, *, read_only: bool = False):
        self.uri = uri
        self.read_only = read_only

    # lifecycle -----------------------------------------------------------
    def close(self) -> None:  # noqa: B027 - most backends have something to release
        """Release connections; the store is unusable afterwards."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def display_uri(self) -> str:
        return self.uri

    @property
    def warning(self) -> str | None:
        """One line about data the store had to skip (e.g. a corrupt meta.yaml)."""
        return None

    # experiments ---------------------------------------------------------
    @abstractmethod
    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        """Every experiment in ``view``, by id, with its tags and, where the backend
        counts (``capabilities.run_counts``), its active runs and newest start time."""

    @abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """One experiment, any view. Raises ResourceNotFound."""

    def find_experiment(self, ref: str) -> Experiment:
        """An experiment by name, else by id; run counts may be left out (cheap)."""
        exp = self.get_experiment_by_name(ref)
        if exp is not None:
            return exp
        if ref.isdigit():
            try:
                return self.get_experiment(ref)
            except ResourceNotFound:
                pass
        raise ResourceNotFound(
            f"No experiment named or numbered '{ref}' (see: mltui experiments)"
        )

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        for exp in self.list_experiments(ViewType.ALL):
            if exp.name == name:
                return exp
        return None

    # runs ----------------------------------------------------------------
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
        """Runs matching ``filter_string`` in ``order_by`` order, ``max_results`` from
        ``offset`` (or ``page_token``), shaped as ``MlflowClient.search_runs`` is asked.
        ``top_level`` keeps only the runs whose parent is not among the runs of
        ``experiment_ids`` in ``view``: runs without a parent, and orphans whose parent
        was deleted or lives elsewhere (the tree view's rows). Backends implement
        :meth:`query_runs`; this builds its query."""
        if page_token:
            try:
                offset = decode_page_token(page_token)
            except InvalidSearch:
                # as MLflow: a bad filter or order_by is reported before a bad token
                parse_filter(filter_string)
                parse_order_by(order_by)
                raise
        return self.query_runs(
            RunQuery.of(experiment_ids, filter_string, order_by, view, top_level),
            max_results=max_results, offset=offset, count_total=count_total,
        )

    @abstractmethod
    def query_runs(
        self, query: RunQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = True,
    ) -> RunPage:
        """One page of ``query``: up to ``max_results`` runs from ``offset``, each with
        its latest metrics, params and tags, in MLflow's order for the query. The
        page has the total when ``count_total`` and the backend can count (else
        None, unless it is the last page), and a next page token when more follow.
        Raises InvalidSearch for a bad filter or order_by (MLflow's wording, filter
        first) before it reads anything."""

    def query_count(self, query: RunQuery) -> int:
        """How many runs ``query`` matches (slow on stores that cannot count)."""
        return self.count_runs(query.experiment_ids, query.filter, query.view,
                               top_level=query.top_level)

    def iter_query(self, query: RunQuery, page_size: int = 1000) -> Iterator[Run]:
        """Every run of ``query`` in order, fetched a page at a time."""
        offset = 0
        while True:
            page = self.query_runs(query, max_results=page_size, offset=offset,
                                   count_total=False)
            yield from page.runs
            offset += len(page.runs)
            if not page.next_page_token or not page.runs:
                return

    @abstractmethod
    def get_run(self, run_id: str) -> RunDetail:
        """One run in full (datasets, logged model inputs and outputs), any view.
        Raises ResourceNotFound."""

    def get_runs(self, run_ids: Sequence[str]) -> dict[str, Run]:
        """The runs among ``run_ids`` that exist (any experiment, any view), by id;
        the others are left out. One query where the backend can."""
        found: dict[str, Run] = {}
        for rid in dict.fromkeys(run_ids):
            try:
                found[rid] = self.get_run(rid).run
            except (ResourceNotFound, InvalidValue):
                continue
        return found

    @abstractmethod
    def get_metric_history(
        self,
        run_id: str,
        key: str,
        min_step: int | None = None,
        max_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        """The history of one metric of one run, ordered by step then timestamp.

        With ``max_points`` the store returns at most about that many points:
        the step range is cut into ``max_points // 2`` buckets and each keeps
        its lowest and highest value (so spikes survive), plus the first and
        last points of the range. NaN and infinities come back as floats.
        A key the run never logged gives an empty list; an unknown run gives an
        empty list or ResourceNotFound, as the backend can tell.
        """

    def metric_ranges(
        self, run_ids: Sequence[str], keys: Sequence[str]
    ) -> dict[tuple[str, str], tuple[float, float]]:
        """The lowest and highest finite value of each metric ``key`` of each run over
        its whole history, by ``(run_id, key)``; a pair never logged, or only ever
        NaN or infinite, is absent. The default asks for each pair's two-point
        history (the extremes, exact; the whole history when one is NaN or
        infinite), a few at a time."""
        from concurrent.futures import ThreadPoolExecutor

        pairs = [(rid, key) for rid in run_ids for key in keys]

        def extremes(pair: tuple[str, str]) -> tuple[float, float] | None:
            points = self.get_metric_history(pair[0], pair[1], max_points=2)
            if not all(math.isfinite(m.value) for m in points):
                # downsampling keeps ±inf as the extremes: the finite ones need it all
                points = self.get_metric_history(pair[0], pair[1])
            finite = [m.value for m in points if math.isfinite(m.value)]
            return (min(finite), max(finite)) if finite else None

        with ThreadPoolExecutor(4) as pool:
            found = list(pool.map(extremes, pairs))
        return {pair: lo_hi for pair, lo_hi in zip(pairs, found, strict=True) if lo_hi}

    def query_values(
        self, query: RunQuery, fields: Sequence[tuple[str, str]], limit: int | None = None
    ) -> list[tuple[str, tuple]]:
        """For every run of ``query`` (in no particular order, at most ``limit``) its
        id and the value of each ``(kind, key)`` field: a metric's latest value
        (float), a param or tag (str), an attribute (``start_time``, ``status``...,
        native). None where a run has no such value. A scatter of 100,000 runs
        reads two columns, not the runs: SQL answers in one query."""
        out: list[tuple[str, tuple]] = []
        for run in self.iter_query(query):
            out.append((run.run_id, tuple(field_value(run, kind, key) for kind, key in fields)))
            if limit is not None and len(out) >= limit:
                break
        return out

    @abstractmethod
    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        """The metric, param and tag keys the runs of these experiments use (for
        columns and completion; a backend may sample, as REST documents)."""

    def iter_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = (),
        view: ViewType = ViewType.ACTIVE,
        page_size: int = 1000,
    ) -> Iterator[Run]:
        """Every matching run in order, fetched a page at a time."""
        token = None
        while True:
            page = self.search_runs(
                experiment_ids, filter_string, order_by, view, max_results=page_size,
                page_token=token, count_total=False,
            )
            yield from page.runs
            token = page.next_page_token
            if not token:
                return

    def search_run_ids(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        """Ids of every run matching ``filter_string`` (for "mark all")."""
        return [r.run_id for r in self.iter_runs(experiment_ids, filter_string, (), view)]

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
        top_level: bool = False,
    ) -> int:
        """How many runs match; may be slow on stores that cannot count (REST)."""
        page = self.search_runs(experiment_ids, filter_string, (), view, max_results=1,
                                top_level=top_level)
        return page.total or 0

    def has_nested_runs(self, experiment_ids: Sequence[str]) -> bool:
        """True if any run of these experiments has a parent run (tree view matters)."""
        # LIKE '%' rather than IS NOT NULL: servers before MLflow 3.11 reject IS NULL
        page = self.search_runs(
            experiment_ids, f"tags.`{PARENT_RUN_TAG}` LIKE '%'", (), ViewType.ALL,
            max_results=1, count_total=False,
        )
        return bool(page.runs)

    def child_counts(
        self,
        experiment_ids: Sequence[str],
        parent_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        """How many runs matching ``filter_string`` have each of ``parent_ids`` as parent."""
        counts: dict[str, int] = {}
        for pid in parent_ids:
            clause = f"tags.`{PARENT_RUN_TAG}` = '{pid}'"
            text = f"{filter_string} AND {clause}" if filter_string.strip() else clause
            page = self.search_runs(experiment_ids, text, (), view, max_results=1)
            if page.total:
                counts[pid] = page.total
        return counts

    # traces (capabilities.traces) -------------------------------------------
    # MLflow 3's traces of LLM applications: a page of TraceInfos searched with
    # MLflow's trace grammar (``store.search.trace_filters``), then one trace's
    # spans. Without the capability every method raises a one-line StoreError
    # except :meth:`has_traces`, which says False.
    def search_traces(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = (),
        max_results: int = 100,
        page_token: str | None = None,
        count_total: bool = False,
    ) -> TracePage:
        """Traces of ``experiment_ids`` matching ``filter_string`` in ``order_by`` order
        (default: newest first, then by id), ``max_results`` from ``page_token``,
        shaped as ``MlflowClient.search_traces`` is asked. Raises InvalidSearch for a
        bad filter, order_by or page token (in that order, as MLflow). Backends
        implement :meth:`query_traces`; this decodes the token."""
        if page_token:
            try:
                offset = decode_page_token(page_token)
            except InvalidSearch:
                parse_trace_filter(filter_string)
                parse_trace_order_by(order_by)
                raise
        else:
            offset = 0
        return self.query_traces(TraceQuery.of(experiment_ids, filter_string, order_by),
                                 max_results=max_results, offset=offset,
                                 count_total=count_total)

    def query_traces(
        self, query: TraceQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = False,
    ) -> TracePage:
        """One page of ``query``: up to ``max_results`` TraceInfos (with tags, request
        metadata and assessments) from ``offset``, a next page token when more
        follow, and the total when ``count_total`` and the backend can count (SQL and
        file can; a tracking server cannot: None). Raises InvalidSearch before
        anything is read, and for clauses the backend cannot answer (span and
        assessment filters need a database, as in MLflow)."""
        self._unsupported("traces")

    def count_traces(self, experiment_ids: Sequence[str], filter_string: str = "") -> int:
        """How many traces match (one COUNT on SQL; every page on a tracking server,
        so call it from a background worker)."""
        total = 0
        offset = 0
        query = TraceQuery.of(experiment_ids, filter_string)
        while True:
            page = self.query_traces(query, max_results=500, offset=offset)
            total += len(page.traces)
            offset += len(page.traces)
            if not page.next_page_token or not page.traces:
                return total

    def has_traces(self, experiment_ids: Sequence[str]) -> bool:
        """Whether these experiments hold any trace: the cheap check before offering
        the traces screen. False (never an error) when the backend or the schema
        has no traces."""
        return False

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        """One trace without its spans. Raises ResourceNotFound."""
        self._unsupported("traces")

    def get_trace_spans(self, trace_id: str, info: TraceInfo | None = None) -> list[Span]:
        """Every span of one trace, roots first then by start time, whole (a 5 MB
        input included). Read from the ``spans`` table when the trace's tag
        ``mlflow.trace.spansLocation`` is ``TRACKING_STORE``, else from its
        ``traces.json`` artifact. ``info`` (from a search) spares reading it again.
        The spans are returned as stored: parents may be missing or form cycles
        (``span_tree.span_tree`` orders them safely). Raises ResourceNotFound for
        an unknown trace or a missing ``traces.json``."""
        self._unsupported("traces")

    def get_trace(self, trace_id: str) -> Trace:
        """A trace with its spans (:meth:`get_trace_info` then :meth:`get_trace_spans`)."""
        info = self.get_trace_info(trace_id)
        return Trace(info, tuple(self.get_trace_spans(trace_id, info)))

    # artifacts -------------------------------------------------------------
    # Paths are relative to the artifact root, with "/" separators; "" is the root.
    # A path with ".." raises StoreError before anything is read. Reads never
    # transfer more than asked (a tail of a 2 GB log costs the tail), except from
    # a tracking server that ignores HTTP Range (see ``read_artifact_range``).
    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactEntry]:
        """Entries directly under ``path`` of the run's artifacts, folders first then by
        name, files with their size. ``[]`` for a run that logged nothing. Raises
        ResourceNotFound for a missing folder, StoreError for a file, no access, or a
        cloud URI this install cannot read (the message names the extra)."""
        return self._run_artifacts(run_id).entries(path)

    def read_artifact(self, run_id: str, path: str, max_bytes: int = 8 << 20) -> bytes:
        """The first ``max_bytes`` of one artifact file."""
        return self._run_artifacts(run_id).read(path, 0, max_bytes)

    def artifact_size(self, run_id: str, path: str) -> int:
        """The size in bytes of one artifact file. Raises ResourceNotFound when there
        is no file at ``path`` (a folder included)."""
        return self._run_artifacts(run_id).size(path)

    def read_artifact_range(self, run_id: str, path: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of one artifact file from byte ``offset``: fewer at
        the end of the file, ``b""`` past it. Local and cloud files are read at the
        offset; a tracking server is asked with an HTTP Range header, and one that
        ignores it (the servers of MLflow 2.9 and 3.10 do) is read from the start, the
        skipped bytes discarded, up to ``rest.artifacts.MAX_SKIP`` (beyond it a
        StoreError says so). Raises ResourceNotFound when there is no such file."""
        if offset < 0 or length < 0:
            raise InvalidValue(f"Invalid byte range {offset}+{length}")
        return self._run_artifacts(run_id).read(path, offset, length)

    def list_model_artifacts(self, model: LoggedModel, path: str = "") -> list[ArtifactEntry]:
        """:meth:`list_artifacts` for an MLflow 3 logged model (as
        :meth:`list_logged_models` returns it): ``mlflow.<flavor>.log_model`` puts the
        model's files there, not among the run's artifacts (capabilities.logged_models)."""
        return self._model_artifacts(model).entries(path)

    def model_artifact_size(self, model: LoggedModel, path: str) -> int:
        """:meth:`artifact_size` for a logged model's file."""
        return self._model_artifacts(model).size(path)

    def read_model_artifact_range(
        self, model: LoggedModel, path: str, offset: int, length: int
    ) -> bytes:
        """:meth:`read_artifact_range` for a logged model's file."""
        if offset < 0 or length < 0:
            raise InvalidValue(f"Invalid byte range {offset}+{length}")
        return self._model_artifacts(model).read(path, offset, length)

    # how a backend reaches artifacts: the methods above are written on these two
    def _run_artifacts(self, run_id: str) -> ArtifactReader:
        """The reader of a run's artifact root (its ``artifact_uri``)."""
        return reader_for(self.get_run(run_id).run.artifact_uri)

    def _model_artifacts(self, model: LoggedModel) -> ArtifactReader:
        """The reader of a logged model's artifact root."""
        if not model.artifact_location:
            raise ResourceNotFound(f"Logged model {model.model_id} has no artifact location")
        return reader_for(model.artifact_location)

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        """MLflow's soft delete of each run (lifecycle ``deleted``, deleted_time set).
        Checks that every run exists before changing any. Raises ResourceNotFound."""
        self._unsupported("deleting runs")

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        """Undo :meth:`delete_runs` (as ``MlflowClient.restore_run``)."""
        self._unsupported("restoring runs")

    # registry (capabilities.registry) -------------------------------------
    def search_registered_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        """Registered models by name (``name_like``: an MLflow LIKE pattern, case
        insensitive), each with its latest version per stage and its aliases.
        Prompts (MLflow 3's prompt registry) only with ``include_prompts``."""
        self._unsupported("the model registry")

    def get_registered_model(self, name: str) -> RegisteredModel:
        """One model. Raises ResourceNotFound."""
        self._unsupported("the model registry")

    def get_model_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The versions of a model, newest first, optionally of some stages only."""
        self._unsupported("the model registry")

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """One version. Raises ResourceNotFound."""
        self._unsupported("the model registry")

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at (``latest`` as MLflow resolves it)."""
        self._unsupported("the model registry")

    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        """MLflow 3's live logged models of an experiment, newest first, each with
        its tags, params and metrics (capabilities.logged_models)."""
        self._unsupported("logged models")

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """One live logged model by id (``m-…``), as ``MlflowClient.get_logged_model``:
        what a registered version's ``models:/m-…`` source points at. Raises
        ResourceNotFound."""
        self._unsupported("logged models")

    # experiment and run edits (the everyday edits): each leaves the store as the
    # MlflowClient call named in its docstring leaves it, on every backend; one
    # transaction on SQL; check_writable first. ``expected_*`` as for the registry.
    def create_experiment(
        self, name: str, artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """``MlflowClient.create_experiment``: the new experiment's id. Raises
        InvalidValue with MLflow's message for an empty, too long or duplicate name."""
        self._unsupported("creating experiments")

    def rename_experiment(self, experiment_id: str, new_name: str,
                          expected_name=ANY) -> None:
        """``MlflowClient.rename_experiment``; ConflictError when its name is no
        longer ``expected_name``."""
        self._unsupported("renaming experiments")

    def delete_experiment(self, experiment_id: str) -> None:
        """``MlflowClient.delete_experiment``: soft delete (lifecycle ``deleted``,
        last_update_time; the file store moves the folder to ``.trash``)."""
        self._unsupported("deleting experiments")

    def restore_experiment(self, experiment_id: str) -> None:
        """``MlflowClient.restore_experiment``."""
        self._unsupported("restoring experiments")

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        """``MlflowClient.set_experiment_tag`` (the description is the tag
        ``mlflow.note.content``)."""
        self._unsupported("experiment tags")

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        """``MlflowClient.delete_experiment_tag``."""
        self._unsupported("experiment tags")

    def rename_run(self, run_id: str, new_name: str) -> None:
        """``MlflowClient.update_run(run_id, name=...)``: run_name and the tag
        ``mlflow.runName``."""
        self._unsupported("renaming runs")

    def set_run_tags(self, run_ids: Sequence[str], key: str, value: str) -> None:
        """``MlflowClient.set_tag`` on each run (the note is ``mlflow.note.content``);
        one transaction on SQL, so 50 marked runs change together or not at all."""
        self._unsupported("run tags")

    def delete_run_tags(self, run_ids: Sequence[str], key: str) -> None:
        """``MlflowClient.delete_tag`` on each run that has ``key``; ResourceNotFound
        when none of them has it."""
        self._unsupported("run tags")

    # registry entries created, renamed and deleted
    def create_registered_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        """``MlflowClient.create_registered_model``; InvalidValue (MLflow's message)
        for an empty or taken name."""
        self._unsupported("creating registered models")

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        """``MlflowClient.rename_registered_model`` (versions and aliases follow)."""
        self._unsupported("renaming registered models")

    def delete_registered_model(self, name: str) -> None:
        """``MlflowClient.delete_registered_model``: a hard delete of the model, its
        versions, tags and aliases; MLflow cannot undo it."""
        self._unsupported("deleting registered models")

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        description: str = "", tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """``MlflowClient.create_model_version``: ``source`` is ``runs:/ID/PATH``, a
        ``models:/m-...`` logged model or an artifact URI."""
        self._unsupported("creating model versions")

    def delete_model_version(self, name: str, version: int) -> None:
        """``MlflowClient.delete_model_version`` (its aliases go with it)."""
        self._unsupported("deleting model versions")

    # registry writes: every backend makes them as MLflow's own store would.
    # ``expected_*`` arguments carry what the user saw; a backend that can
    # raises ConflictError when the row changed in between.
    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False,
        expected_last_updated=ANY,
    ) -> ModelVersion:
        self._unsupported("stage transitions")

    def set_alias(self, name: str, alias: str, version: int, expected_previous=ANY) -> None:
        self._unsupported("aliases")

    def delete_alias(self, name: str, alias: str, expected_version=ANY) -> None:
        self._unsupported("aliases")

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self._unsupported("model tags")

    def delete_model_tag(self, name: str, key: str) -> None:
        self._unsupported("model tags")

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        self._unsupported("version tags")

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        self._unsupported("version tags")

    def update_model_description(
        self, name: str, description: str, expected_last_updated=ANY
    ) -> None:
        self._unsupported("editing descriptions")

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated=ANY
    ) -> None:
        self._unsupported("editing descriptions")

    # helpers ---------------------------------------------------------------
    def check_writable(self, what: str = "this change") -> None:
        """Raises ReadOnlyError under ``--read-only``; every write calls it first."""
        if self.read_only:
            raise ReadOnlyError(f"Read-only mode: refused {what} (started with --read-only)")

    def _unsupported(self, what: str) -> NoReturn:
        raise StoreError(f"This {self.kind} store does not support {what}")


def field_value(run: Run, kind: str, key: str):
    """The value of one ``(kind, key)`` field of ``run`` (see ``query_values``)."""
    if kind == METRIC:
        return run.metric_value(key)
    if kind == PARAM:
        return run.params.get(key)
    if kind == TAG:
        return run.tags.get(key)
    if key not in VALUE_ATTRIBUTES:
        raise InvalidValue(f"'{key}' is not a run attribute one can plot "
                           f"(use one of {', '.join(VALUE_ATTRIBUTES)})")
    return getattr(run, key)


VALUE_ATTRIBUTES = ("start_time", "end_time", "status", "run_name", "user_id", "run_id")


def encode_page_token(offset: int) -> str:
    """MLflow's page token format: base64 of ``{"offset": n}``."""
    return base64.b64encode(json.dumps({"offset": offset}).encode()).decode()


def decode_page_token(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = int(json.loads(base64.b64decode(token))["offset"])
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        raise InvalidSearch(f"Invalid page token {token!r}") from None
    if offset < 0:
        raise InvalidSearch(f"Invalid page token {token!r}")
    return offset
