"""The SQL backend: MLflow's own schema (sqlite, PostgreSQL, MySQL), read with
SQLAlchemy Core.

:class:`SqlStore` is the :class:`BaseStore` contract and nothing else: each
method hands over to the part that owns the topic, all of them sharing one
:class:`Database`. Each call is one short transaction: a training job may be
writing to the same sqlite file, and a long read would block it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..base import BaseStore, Capabilities
from ..entities import (
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
from ..query import RunQuery
from ..registry_rules import ANY
from ..shared import safe_uri
from ..trace_entities import Span, TraceInfo, TracePage, TraceQuery
from .database import Database
from .experiment_writes import ExperimentWrites
from .experiments import Experiments
from .histories import MetricHistories
from .logged_models import LoggedModels
from .registry import RegistryReader
from .registry_writes import RegistryWrites
from .run_rows import RunLoader
from .run_writes import RunWrites
from .runs import RunSearch
from .schema import Schema
from .traces import TraceReads


class SqlStore(BaseStore):
    """An MLflow tracking database, opened read-only until the first write."""

    kind = "sql"
    capabilities = Capabilities()

    def __init__(self, uri: str, *, read_only: bool = False):
        """Connect and reflect the schema. Raises StoreNotFound (no sqlite file;
        none is ever created), NotAnMlflowStore (no MLflow tables, or a database
        that refuses the connection) or UnsupportedURI (no such dialect)."""
        super().__init__(uri, read_only=read_only)
        self.db = Database(uri, self.check_writable)
        self._experiments = Experiments(self.db)
        loader = RunLoader(self.db)
        self._run_rows = loader
        self._search = RunSearch(self.db, loader)
        self._histories = MetricHistories(self.db)
        self._logged_models = LoggedModels(self.db)
        self._run_writes = RunWrites(self.db)
        self._experiment_writes = ExperimentWrites(self.db)
        self._registry = RegistryReader(self.db)
        self._registry_writes = RegistryWrites(self.db, self._registry)
        self._traces = TraceReads(self.db)
        # MLflow 3's tables: an older schema offers neither (no key in the UI)
        self.capabilities = Capabilities(traces=self._traces.available,
                                         logged_models=self.db.schema.has("logged_models"))

    @property
    def schema(self) -> Schema:
        """The reflected tables: tests and tools ask which MLflow schema this is."""
        return self.db.schema

    @property
    def engine(self) -> sa.Engine:
        """The read engine (read-only on sqlite)."""
        return self.db.engine

    @property
    def workspace(self) -> str:
        """The MLflow workspace whose rows this store shows."""
        return self.db.workspace

    @property
    def display_uri(self) -> str:
        """The URI with its password hidden, for the header and messages."""
        return safe_uri(self.uri)

    def close(self) -> None:
        """Dispose of the read engine and, if a write opened it, the write engine."""
        self.db.close()

    # experiments ---------------------------------------------------------------
    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        """Experiments of the workspace in ``view``, each with its active runs'
        count and newest start time."""
        return self._experiments.list_all(view)

    def get_experiment(self, experiment_id: str) -> Experiment:
        """One experiment with its run count; ResourceNotFound if unknown."""
        return self._experiments.get(experiment_id)

    def find_experiment(self, ref: str) -> Experiment:
        """By name, else by id, in one read and without run counts (cheap)."""
        return self._experiments.find(ref)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """The experiment called ``name``, or None."""
        return self._experiments.by_name(name)

    # runs ----------------------------------------------------------------------
    def query_runs(
        self, query: RunQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = True,
    ) -> RunPage:
        """One page of ``query`` compiled to SQL in MLflow's order; the filter is
        rejected before the order_by, as MLflow does."""
        return self._search.page(query, max_results, offset, count_total)

    def count_runs(
        self, experiment_ids: Sequence[str], filter_string: str = "",
        view: ViewType = ViewType.ACTIVE, top_level: bool = False,
    ) -> int:
        """One COUNT over the same conditions as :meth:`query_runs`."""
        return self._search.count(experiment_ids, filter_string, view, top_level)

    def search_run_ids(
        self, experiment_ids: Sequence[str], filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        """Ids of every matching run in one query, without loading the runs."""
        return self._search.ids(experiment_ids, filter_string, view)

    def child_counts(
        self, experiment_ids: Sequence[str], parent_ids: Sequence[str],
        filter_string: str = "", view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        """Matching children per parent, grouped in the database."""
        return self._search.child_counts(experiment_ids, parent_ids, filter_string, view)

    def has_nested_runs(self, experiment_ids: Sequence[str]) -> bool:
        """Whether any run of these experiments has a parent (one LIMIT 1 query)."""
        return self._search.has_nested(experiment_ids)

    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        """Metric, param and tag keys used by these experiments' runs."""
        return self._search.keys(experiment_ids)

    def get_run(self, run_id: str) -> RunDetail:
        """One run with its inputs and outputs; ResourceNotFound if unknown or in
        another workspace."""
        return self._run_rows.get_run(run_id)

    def get_runs(self, run_ids: Sequence[str]) -> dict[str, Run]:
        """The visible runs among ``run_ids``, four queries per 500 ids."""
        return self._run_rows.get_runs(run_ids)

    def get_metric_history(
        self, run_id: str, key: str, min_step: int | None = None,
        max_step: int | None = None, max_points: int | None = None,
    ) -> list[Metric]:
        """One metric's points, downsampled in the database above ``max_points``."""
        return self._histories.history(run_id, key, min_step, max_step, max_points)

    def metric_ranges(
        self, run_ids: Sequence[str], keys: Sequence[str]
    ) -> dict[tuple[str, str], tuple[float, float]]:
        """Each metric's finite extremes, grouped in the database."""
        return self._histories.ranges(run_ids, keys)

    def query_values(
        self, query: RunQuery, fields: Sequence[tuple[str, str]], limit: int | None = None
    ) -> list[tuple[str, tuple]]:
        """The fields of every matching run in one query (a column per field)."""
        return self._search.values(query, fields, limit)

    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        """The experiment's logged models, newest first (none on older schemas)."""
        return self._logged_models.list_for(experiment_id)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._logged_models.get(model_id)

    # traces ----------------------------------------------------------------------
    def query_traces(
        self, query: TraceQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = False,
    ) -> TracePage:
        """One page filtered and sorted in the database (MLflow's SQL store rules)."""
        return self._traces.page(query, max_results, offset, count_total)

    def count_traces(self, experiment_ids: Sequence[str], filter_string: str = "") -> int:
        """One COUNT over the same conditions as :meth:`query_traces`."""
        return self._traces.count(TraceQuery.of(experiment_ids, filter_string))

    def has_traces(self, experiment_ids: Sequence[str]) -> bool:
        """One LIMIT 1 query; False on schemas without trace tables."""
        return self._traces.any(tuple(str(e) for e in experiment_ids))

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        return self._traces.info(trace_id)

    def get_trace_spans(self, trace_id: str, info: TraceInfo | None = None) -> list[Span]:
        """From the spans table or the trace's traces.json, as its tag says."""
        return self._traces.spans(info if info is not None else self._traces.info(trace_id))

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as ``MlflowClient.delete_run``: lifecycle_stage and deleted_time."""
        self._run_writes.set_lifecycle(run_ids, "deleted")

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        """Undo a soft delete as ``MlflowClient.restore_run``."""
        self._run_writes.set_lifecycle(run_ids, "active")

    # experiment and run edits (see ``experiment_writes`` and ``run_writes``) ------
    def create_experiment(
        self, name: str, artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        """Insert an experiment as MLflow does; its id."""
        return self._experiment_writes.create(name, artifact_location, tags)

    def rename_experiment(self, experiment_id: str, new_name: str,
                          expected_name: Any = ANY) -> None:
        self._experiment_writes.rename(experiment_id, new_name, expected_name)

    def delete_experiment(self, experiment_id: str) -> None:
        """Soft delete, with every run of the experiment (as MLflow)."""
        self._experiment_writes.delete(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._experiment_writes.restore(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._experiment_writes.set_tag(experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._experiment_writes.delete_tag(experiment_id, key)

    def rename_run(self, run_id: str, new_name: str) -> None:
        self._run_writes.rename(run_id, new_name)

    def set_run_tags(self, run_ids: Sequence[str], key: str, value: str) -> None:
        self._run_writes.set_tags(run_ids, key, value)

    def delete_run_tags(self, run_ids: Sequence[str], key: str) -> None:
        self._run_writes.delete_tags(run_ids, key)

    # registry ------------------------------------------------------------------
    def search_registered_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        """Models by name (``name_like`` is an ILIKE pattern), prompts only if asked."""
        return self._registry.search_models(name_like, include_prompts)

    def get_registered_model(self, name: str) -> RegisteredModel:
        """One model with its latest versions; ResourceNotFound if unknown."""
        return self._registry.get_model(name)

    def get_model_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """A model's versions, newest first, with tags and aliases."""
        return self._registry.versions(name, stages)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        """One version; ResourceNotFound if unknown or deleted."""
        return self._registry.version(name, version)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        """The version an alias points at (``latest``: the highest version)."""
        return self._registry.version_by_alias(name, alias)

    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False,
        expected_last_updated: Any = ANY,
    ) -> ModelVersion:
        """Move a version to ``stage`` as MLflow's SQL store does; the version after."""
        return self._registry_writes.transition_stage(
            name, version, stage, archive_existing, expected_last_updated)

    def set_alias(
        self, name: str, alias: str, version: int, expected_previous: Any = ANY
    ) -> None:
        """Point ``alias`` at ``version``; ConflictError if it moved since shown."""
        self._registry_writes.set_alias(name, alias, version, expected_previous)

    def delete_alias(self, name: str, alias: str, expected_version: Any = ANY) -> None:
        """Remove ``alias``; ConflictError if it moved since shown."""
        self._registry_writes.delete_alias(name, alias, expected_version)

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        """Set a tag of a registered model (no timestamp changes, as MLflow)."""
        self._registry_writes.set_model_tag(name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        """Delete a tag of a registered model."""
        self._registry_writes.delete_model_tag(name, key)

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        """Set a tag of a model version."""
        self._registry_writes.set_version_tag(name, version, key, value)

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        """Delete a tag of a model version."""
        self._registry_writes.delete_version_tag(name, version, key)

    def update_model_description(
        self, name: str, description: str, expected_last_updated: Any = ANY
    ) -> None:
        """Edit a model's description; ConflictError if it changed since shown."""
        self._registry_writes.update_model_description(name, description,
                                                       expected_last_updated)

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated: Any = ANY
    ) -> None:
        """Edit a version's description; ConflictError if it changed since shown."""
        self._registry_writes.update_version_description(name, version, description,
                                                         expected_last_updated)

    # -- registry entries created, renamed, deleted ----------------------------------
    def create_registered_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        return self._registry_writes.create_registered_model(name, description, tags)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self._registry_writes.rename_registered_model(name, new_name)

    def delete_registered_model(self, name: str) -> None:
        self._registry_writes.delete_registered_model(name)

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        description: str = "", tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        return self._registry_writes.create_model_version(
            name, source, run_id, description, tags, model_id
        )

    def delete_model_version(self, name: str, version: int) -> None:
        self._registry_writes.delete_model_version(name, version)
