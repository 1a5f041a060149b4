"""The file store: :class:`FileStore` puts the parts of this package together.

Each part takes what it depends on in its constructor, so what a part uses is
visible where it is built, here: the :class:`Root` (paths and problem log), the
:class:`RunIndex` (``meta.yaml`` cache) and :class:`RunData` (value caches) shared
by the readers, and the store's own read-only guard for the writers. Every public
method is one delegation; the behaviour lives in the parts.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..artifacts import ArtifactReader
from ..base import BaseStore, Capabilities
from ..entities import (
    Experiment,
    LoggedModel,
    Metric,
    ModelVersion,
    RegisteredModel,
    RunDetail,
    RunKeys,
    RunPage,
    ViewType,
)
from ..query import RunQuery
from ..registry_rules import ANY
from ..trace_entities import Span, TraceInfo, TracePage, TraceQuery
from .experiment_writes import ExperimentWrites
from .experiments import Experiments
from .registry import Registry
from .registry_writes import RegistryWrites
from .root import Root
from .run_data import RunData
from .run_index import RunIndex
from .run_search import RunSearch
from .run_writes import RunWrites
from .runs import Runs
from .traces import FileTraces


class FileStore(BaseStore):
    """An ``mlruns`` folder (``file:///path/mlruns`` or a plain path).

    Raises ``StoreNotFound`` when the folder does not exist and
    ``NotAnMlflowStore`` when it holds no experiment or model MLflow wrote.
    """

    kind = "file"
    capabilities = Capabilities(traces=True)

    def __init__(self, uri: str, *, read_only: bool = False):
        super().__init__(uri, read_only=read_only)
        self._root = Root(uri)
        index = RunIndex(self._root)
        data = RunData(self._root.problems)
        self._experiments = Experiments(self._root, index)
        self._search = RunSearch(index, data)
        self._runs = Runs(self._root, index, data, self.check_writable)
        self._experiment_writes = ExperimentWrites(self._root, index, uri, self.check_writable)
        self._run_writes = RunWrites(index, data, self.check_writable)
        self._registry = Registry(self._root)
        self._registry_writes = RegistryWrites(self._registry, self.check_writable)
        self._traces = FileTraces(self._root)

    @property
    def display_uri(self) -> str:
        return self._root.path

    # -- what could not be read ----------------------------------------------------
    @property
    def unreadable(self) -> list[str]:
        """Paths of ``meta.yaml`` files skipped because they are empty or corrupt."""
        return self._root.problems.unreadable

    @property
    def problems(self) -> dict[str, str]:
        """Every file skipped or partly read, with the reason."""
        return self._root.problems.problems

    @property
    def warning(self) -> str | None:
        return self._root.problems.warning

    # -- experiments ---------------------------------------------------------------
    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        return self._experiments.in_view(view)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._experiments.get(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._experiments.by_name(name)

    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        return self._experiments.logged_models(experiment_id)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._experiments.logged_model(model_id)

    # -- traces (filtered and sorted in Python, as MLflow's file store) --------------
    def query_traces(
        self, query: TraceQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = False,
    ) -> TracePage:
        return self._traces.page(query, max_results, offset, count_total)

    def count_traces(self, experiment_ids: Sequence[str], filter_string: str = "") -> int:
        return self._traces.count(TraceQuery.of(experiment_ids, filter_string))

    def has_traces(self, experiment_ids: Sequence[str]) -> bool:
        return self._traces.any(experiment_ids)

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        return self._traces.info(trace_id)

    def get_trace_spans(self, trace_id: str, info: TraceInfo | None = None) -> list[Span]:
        """Always from traces.json: the file store keeps no span rows."""
        return self._traces.spans(info if info is not None else self._traces.info(trace_id))

    # -- runs ----------------------------------------------------------------------
    def query_runs(
        self, query: RunQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = True,
    ) -> RunPage:
        return self._search.query(
            query, max_results=max_results, offset=offset, count_total=count_total
        )

    def search_run_ids(
        self, experiment_ids: Sequence[str], filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        return self._search.run_ids(experiment_ids, filter_string, view)

    def child_counts(
        self, experiment_ids: Sequence[str], parent_ids: Sequence[str],
        filter_string: str = "", view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        return self._search.child_counts(experiment_ids, parent_ids, filter_string, view)

    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        return self._search.run_keys(experiment_ids)

    def get_run(self, run_id: str) -> RunDetail:
        return self._runs.get(run_id)

    def get_metric_history(
        self, run_id: str, key: str, min_step: int | None = None,
        max_step: int | None = None, max_points: int | None = None,
    ) -> list[Metric]:
        return self._runs.metric_history(run_id, key, min_step, max_step, max_points)

    def _run_artifacts(self, run_id: str) -> ArtifactReader:
        return self._runs.artifacts(run_id)

    def _model_artifacts(self, model: LoggedModel) -> ArtifactReader:
        return self._experiments.model_artifacts(model)

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        self._runs.delete(run_ids)

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        self._runs.restore(run_ids)

    # -- experiment and run edits ---------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        return self._experiment_writes.create(name, artifact_location, tags)

    def rename_experiment(self, experiment_id: str, new_name: str,
                          expected_name: object = ANY) -> None:
        self._experiment_writes.rename(experiment_id, new_name, expected_name)

    def delete_experiment(self, experiment_id: str) -> None:
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

    # -- registry reads ------------------------------------------------------------
    def search_registered_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        return self._registry.search_registered_models(name_like, include_prompts)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._registry.get_registered_model(name)

    def get_model_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        return self._registry.get_model_versions(name, stages)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self._registry.get_model_version(name, version)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._registry.get_model_version_by_alias(name, alias)

    # -- registry writes -----------------------------------------------------------
    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False,
        expected_last_updated: object = ANY,
    ) -> ModelVersion:
        return self._registry_writes.transition_stage(
            name, version, stage, archive_existing, expected_last_updated
        )

    def set_alias(
        self, name: str, alias: str, version: int, expected_previous: object = ANY
    ) -> None:
        self._registry_writes.set_alias(name, alias, version, expected_previous)

    def delete_alias(self, name: str, alias: str, expected_version: object = ANY) -> None:
        self._registry_writes.delete_alias(name, alias, expected_version)

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self._registry_writes.set_model_tag(name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        self._registry_writes.delete_model_tag(name, key)

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        self._registry_writes.set_version_tag(name, version, key, value)

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        self._registry_writes.delete_version_tag(name, version, key)

    def update_model_description(
        self, name: str, description: str, expected_last_updated: object = ANY
    ) -> None:
        self._registry_writes.update_model_description(name, description, expected_last_updated)

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated: object = ANY
    ) -> None:
        self._registry_writes.update_version_description(
            name, version, description, expected_last_updated
        )

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
