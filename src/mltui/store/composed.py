""":class:`ComposedStore`: the store methods every backend hands to a part unchanged.

The SQL, file and REST stores each build parts of the same shapes
(:mod:`.parts`): experiment reads and edits, logged model reads, run edits,
run delete / restore, metric histories, registry reads and writes, trace
reads. Handing a call to its part is the same line on every backend, so it is
written here once; a backend only builds its parts and gives them to the store
as one :class:`StoreParts`. What a method promises is its docstring in
:class:`~.base.BaseStore`; how a backend keeps the promise is its part's
docstring.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from . import parts
from .base import BaseStore
from .entities import Experiment, LoggedModel, Metric, ModelVersion, RegisteredModel, ViewType
from .registry_rules import ANY
from .trace_entities import Span, TraceInfo, TracePage, TraceQuery


@dataclass(frozen=True)
class StoreParts:
    """The parts a backend built; one may serve as two (SQL's run writes also
    delete and restore runs)."""

    experiments: parts.ExperimentReads
    logged_models: parts.LoggedModelReads
    experiment_writes: parts.ExperimentWrites
    run_writes: parts.RunWrites
    run_lifecycle: parts.RunLifecycle
    histories: parts.MetricHistories
    registry: parts.RegistryReads
    registry_writes: parts.RegistryWrites
    traces: parts.TraceReads


class ComposedStore(BaseStore):
    """A :class:`BaseStore` whose experiment and logged model reads, edits,
    histories, registry and trace reads are answered by the backend's
    :class:`StoreParts`."""

    _parts: StoreParts
    """Set by the backend's constructor once its parts are built (after
    ``BaseStore.__init__``: the writers take the store's ``check_writable``)."""

    # -- experiments -----------------------------------------------------------------
    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        return self._parts.experiments.in_view(view)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self._parts.experiments.get(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self._parts.experiments.by_name(name)

    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        return self._parts.logged_models.logged_models(experiment_id)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        return self._parts.logged_models.logged_model(model_id)

    # -- runs ------------------------------------------------------------------------
    def get_metric_history(self, run_id: str, key: str, min_step: int | None = None,
                           max_step: int | None = None,
                           max_points: int | None = None) -> list[Metric]:
        return self._parts.histories.metric_history(run_id, key, min_step, max_step,
                                                   max_points)

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        self._parts.run_lifecycle.delete(run_ids)

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        self._parts.run_lifecycle.restore(run_ids)

    # -- traces ----------------------------------------------------------------------
    def query_traces(
        self, query: TraceQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = False,
    ) -> TracePage:
        return self._parts.traces.page(query, max_results, offset, count_total)

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        return self._parts.traces.info(trace_id)

    def get_trace_spans(self, trace_id: str, info: TraceInfo | None = None) -> list[Span]:
        traces = self._parts.traces
        return traces.spans(info if info is not None else traces.info(trace_id))

    # -- experiment and run edits ----------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        return self._parts.experiment_writes.create(name, artifact_location, tags)

    def rename_experiment(self, experiment_id: str, new_name: str,
                          expected_name: object = ANY) -> None:
        self._parts.experiment_writes.rename(experiment_id, new_name, expected_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self._parts.experiment_writes.delete(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self._parts.experiment_writes.restore(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self._parts.experiment_writes.set_tag(experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._parts.experiment_writes.delete_tag(experiment_id, key)

    def rename_run(self, run_id: str, new_name: str) -> None:
        self._parts.run_writes.rename(run_id, new_name)

    def set_run_tags(self, run_ids: Sequence[str], key: str, value: str) -> None:
        self._parts.run_writes.set_tags(run_ids, key, value)

    def delete_run_tags(self, run_ids: Sequence[str], key: str) -> None:
        self._parts.run_writes.delete_tags(run_ids, key)

    # -- registry reads --------------------------------------------------------------
    def search_registered_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        return self._parts.registry.search_models(name_like, include_prompts)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._parts.registry.model(name)

    def get_model_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        return self._parts.registry.versions(name, stages)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self._parts.registry.version(name, version)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self._parts.registry.version_by_alias(name, alias)

    # -- registry writes -------------------------------------------------------------
    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False,
        expected_last_updated: object = ANY,
    ) -> ModelVersion:
        return self._parts.registry_writes.transition_stage(
            name, version, stage, archive_existing, expected_last_updated
        )

    def set_alias(
        self, name: str, alias: str, version: int, expected_previous: object = ANY
    ) -> None:
        self._parts.registry_writes.set_alias(name, alias, version, expected_previous)

    def delete_alias(self, name: str, alias: str, expected_version: object = ANY) -> None:
        self._parts.registry_writes.delete_alias(name, alias, expected_version)

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self._parts.registry_writes.set_model_tag(name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        self._parts.registry_writes.delete_model_tag(name, key)

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        self._parts.registry_writes.set_version_tag(name, version, key, value)

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        self._parts.registry_writes.delete_version_tag(name, version, key)

    def update_model_description(
        self, name: str, description: str, expected_last_updated: object = ANY
    ) -> None:
        self._parts.registry_writes.update_model_description(
            name, description, expected_last_updated
        )

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated: object = ANY
    ) -> None:
        self._parts.registry_writes.update_version_description(
            name, version, description, expected_last_updated
        )

    # -- registry entries created, renamed, deleted ----------------------------------
    def create_registered_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        return self._parts.registry_writes.create_registered_model(name, description, tags)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self._parts.registry_writes.rename_registered_model(name, new_name)

    def delete_registered_model(self, name: str) -> None:
        self._parts.registry_writes.delete_registered_model(name)

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        description: str = "", tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        return self._parts.registry_writes.create_model_version(
            name, source, run_id, description, tags, model_id
        )

    def delete_model_version(self, name: str, version: int) -> None:
        self._parts.registry_writes.delete_model_version(name, version)
