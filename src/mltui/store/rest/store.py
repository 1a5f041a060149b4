""":class:`RestStore`: the store contract answered by a tracking server.

The store only composes: each public method hands its call to the part that
knows the endpoints (see the package notes for what each part does where the
REST API differs from the SQL backend). The parts are built here and given
what they use, so none reaches for an attribute another part defines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

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
from ..errors import InvalidSearch, UnsupportedURI
from ..query import RunQuery
from ..registry_rules import ANY
from ..shared import safe_uri
from ..trace_entities import Span, TraceInfo, TracePage, TraceQuery
from .artifacts import Artifacts
from .client import RestClient
from .experiment_writes import ExperimentWrites
from .experiments import Experiments
from .histories import Histories
from .lifecycle import RunLifecycle
from .registry import RegistryReads
from .registry_writes import RegistryWrites
from .run_writes import RunWrites
from .runs import Runs
from .state import RestState
from .traces import RestTraces
from .versions import ServerVersion


class RestStore(BaseStore):
    """An MLflow tracking server at ``uri``; no request is made until the first read.

    Runs cannot be counted by the server (``capabilities.run_counts`` is False):
    a page's ``total`` is known on the last page only, and :meth:`count_runs`
    probes (for a background worker)."""

    kind = "rest"
    capabilities = Capabilities(run_counts=False, traces=True)

    def __init__(self, uri: str, *, read_only: bool = False,
                 env: Mapping[str, str] | None = None):
        super().__init__(uri, read_only=read_only)
        try:
            parsed = httpx.URL(uri)
            parsed.port  # noqa: B018 - a bad port raises only when read
        except (httpx.InvalidURL, ValueError):
            raise UnsupportedURI(f"Not a valid tracking server URL: {safe_uri(uri)}") from None
        if not parsed.host:
            raise UnsupportedURI(f"No host in tracking server URL: {safe_uri(uri)}")
        if parsed.port is not None and not 0 < parsed.port < 65536:
            raise UnsupportedURI(f"Not a valid port ({parsed.port}) in tracking server URL: "
                                 f"{safe_uri(uri)}")
        self.http = RestClient(uri, env)
        """The one HTTP client every part sends through (settings from ``env``,
        default ``os.environ``)."""
        self.state = RestState(ServerVersion(self.http.ask_version))
        self.experiments = Experiments(self.http)
        self.runs = Runs(self.http, self.state)
        self.histories = Histories(self.http)
        self.artifacts = Artifacts(self.http, self.runs)
        self.lifecycle = RunLifecycle(self.http, self.state, self.check_writable)
        self.experiment_writes = ExperimentWrites(
            self.http, self.experiments, self.state, self.check_writable
        )
        self.run_writes = RunWrites(self.http, self.state, self.check_writable)
        self.registry = RegistryReads(self.http, self.state.server_version)
        self.traces = RestTraces(self.http)
        self.registry_writes = RegistryWrites(
            self.http, self.registry, self.state.server_version, self.check_writable
        )

    @property
    def display_uri(self) -> str:
        """The URL with any password hidden."""
        return safe_uri(self.uri)

    def close(self) -> None:
        self.http.close()

    @property
    def server_version(self) -> str | None:
        """The MLflow version the server reports (None: it does not say); the first
        read asks the server, so read it in a worker."""
        return self.state.server_version.get()

    def check_filter(self, filter_string: str) -> InvalidSearch | None:
        """Why this server would reject a run filter that MLflow's newest grammar
        accepts (None: it would not); asks the version only when the filter needs it."""
        return self.state.server_version.check_filter(filter_string)

    # experiments -----------------------------------------------------------------
    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        """Experiments by id, without run counts (the API has none)."""
        return self.experiments.search(view)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.experiments.get(experiment_id)

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        """One request (``experiments/get-by-name``), not a listing."""
        return self.experiments.by_name(name)

    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        """Newest first; none from a server older than MLflow 3."""
        return self.experiments.logged_models(experiment_id)

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """``GET logged-models/{id}``."""
        return self.experiments.logged_model(model_id)

    # traces (REST API 3.0; see :mod:`.traces`) -------------------------------------
    def query_traces(
        self, query: TraceQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = False,
    ) -> TracePage:
        """Validated here, run by the server; ``total`` only on the last page."""
        return self.traces.page(query, max_results, offset, count_total)

    def has_traces(self, experiment_ids: Sequence[str]) -> bool:
        """One search for one trace; False on a server without traces."""
        return self.traces.any([str(e) for e in experiment_ids])

    def get_trace_info(self, trace_id: str) -> TraceInfo:
        return self.traces.info(trace_id)

    def get_trace_spans(self, trace_id: str, info: TraceInfo | None = None) -> list[Span]:
        """From traces/get (spans table), else the server's traces.json route."""
        return self.traces.spans(info if info is not None else self.traces.info(trace_id))

    # runs ----------------------------------------------------------------------
    def query_runs(
        self, query: RunQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = True,
    ) -> RunPage:
        """Validated here, run by the server; ``total`` only when exact (the last
        page); top-level runs scanned client-side (see :mod:`.runs`)."""
        return self.runs.page(query, max_results, offset, count_total)

    def query_count(self, query: RunQuery) -> int:
        """Probing searches (or a full top-level scan): for a background worker."""
        return self.runs.count(query)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
        top_level: bool = False,
        probe: int = 50,
    ) -> int:
        """How many runs match, found with searches of ``probe`` runs at growing
        offsets then a bisection; for a background worker (the API has no count)."""
        return self.runs.count(RunQuery.of(experiment_ids, filter_string, (), view, top_level),
                               probe)

    def search_run_ids(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        """Ids of every matching run, in pages of 10,000 (for "mark all")."""
        return self.runs.ids(RunQuery.of(experiment_ids, filter_string, (), view))

    def child_counts(
        self,
        experiment_ids: Sequence[str],
        parent_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        """Counted from one scan of the nested runs, per parent past a limit."""
        return self.runs.child_counts(RunQuery.of(experiment_ids, filter_string, (), view),
                                      parent_ids)

    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        """The keys of the newest runs (no endpoint lists them all)."""
        return self.runs.keys(experiment_ids)

    def get_run(self, run_id: str) -> RunDetail:
        return self.runs.get(run_id)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        min_step: int | None = None,
        max_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        """Downsampled as SQL does it, from the server's bulk endpoint or the full
        history; past a budget, from the server's sample (see :mod:`.histories`)."""
        return self.histories.get(run_id, key, min_step, max_step, max_points)

    # artifacts and run lifecycle ---------------------------------------------------------
    def _run_artifacts(self, run_id: str) -> ArtifactReader:
        """From disk when the artifact root is a folder here, else through the server
        (ranges with HTTP Range: see :mod:`.artifacts`)."""
        return self.artifacts.for_run(run_id)

    def _model_artifacts(self, model: LoggedModel) -> ArtifactReader:
        return self.artifacts.for_model(model)

    def delete_runs(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as ``MlflowClient.delete_run`` (the server sets deleted_time)."""
        self.lifecycle.delete(run_ids)

    def restore_runs(self, run_ids: Sequence[str]) -> None:
        self.lifecycle.restore(run_ids)

    # experiment and run edits (MLflow's endpoints) ----------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> str:
        return self.experiment_writes.create(name, artifact_location, tags)

    def rename_experiment(self, experiment_id: str, new_name: str,
                          expected_name: Any = ANY) -> None:
        self.experiment_writes.rename(experiment_id, new_name, expected_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self.experiment_writes.delete(experiment_id)

    def restore_experiment(self, experiment_id: str) -> None:
        self.experiment_writes.restore(experiment_id)

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        self.experiment_writes.set_tag(experiment_id, key, value)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.experiment_writes.delete_tag(experiment_id, key)

    def rename_run(self, run_id: str, new_name: str) -> None:
        self.run_writes.rename(run_id, new_name)

    def set_run_tags(self, run_ids: Sequence[str], key: str, value: str) -> None:
        self.run_writes.set_tags(run_ids, key, value)

    def delete_run_tags(self, run_ids: Sequence[str], key: str) -> None:
        self.run_writes.delete_tags(run_ids, key)

    # registry reads --------------------------------------------------------------
    def search_registered_models(
        self, name_like: str | None = None, include_prompts: bool = False
    ) -> list[RegisteredModel]:
        """Registered models by name; ``name_like`` is an ILIKE pattern (``%`` / ``_``)."""
        return self.registry.search_models(name_like, include_prompts)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self.registry.model(name)

    def get_model_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """Every version of a model, newest first, with tags and aliases."""
        return self.registry.versions(name, stages)

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        return self.registry.version_of(name, version)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self.registry.version_by_alias(name, alias)

    # registry writes (checked, then MLflow's own endpoints) --------------------------
    def transition_stage(
        self, name: str, version: int, stage: str, archive_existing: bool = False,
        expected_last_updated: Any = ANY,
    ) -> ModelVersion:
        return self.registry_writes.transition_stage(
            name, version, stage, archive_existing, expected_last_updated
        )

    def set_alias(
        self, name: str, alias: str, version: int, expected_previous: Any = ANY
    ) -> None:
        """Point ``alias`` at ``version``; ``expected_previous`` is the version the alias
        pointed to when the dialog opened (None: it did not exist)."""
        self.registry_writes.set_alias(name, alias, version, expected_previous)

    def delete_alias(self, name: str, alias: str, expected_version: Any = ANY) -> None:
        self.registry_writes.delete_alias(name, alias, expected_version)

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        self.registry_writes.set_model_tag(name, key, value)

    def delete_model_tag(self, name: str, key: str) -> None:
        self.registry_writes.delete_model_tag(name, key)

    def set_version_tag(self, name: str, version: int, key: str, value: str) -> None:
        self.registry_writes.set_version_tag(name, version, key, value)

    def delete_version_tag(self, name: str, version: int, key: str) -> None:
        self.registry_writes.delete_version_tag(name, version, key)

    def update_model_description(
        self, name: str, description: str, expected_last_updated: Any = ANY
    ) -> None:
        self.registry_writes.update_model_description(name, description, expected_last_updated)

    def update_version_description(
        self, name: str, version: int, description: str, expected_last_updated: Any = ANY
    ) -> None:
        self.registry_writes.update_version_description(
            name, version, description, expected_last_updated
        )

    # -- registry entries created, renamed, deleted ----------------------------------
    def create_registered_model(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> RegisteredModel:
        return self.registry_writes.create_registered_model(name, description, tags)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self.registry_writes.rename_registered_model(name, new_name)

    def delete_registered_model(self, name: str) -> None:
        self.registry_writes.delete_registered_model(name)

    def create_model_version(
        self, name: str, source: str, run_id: str | None = None,
        description: str = "", tags: dict[str, str] | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        return self.registry_writes.create_model_version(
            name, source, run_id, description, tags, model_id
        )

    def delete_model_version(self, name: str, version: int) -> None:
        self.registry_writes.delete_model_version(name, version)
