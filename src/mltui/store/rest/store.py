""":class:`RestStore`: the store contract answered by a tracking server.

The store only composes: each public method hands its call to the part that
knows the endpoints (see the package notes for what each part does where the
REST API differs from the SQL backend); the hand-overs written alike on every
backend are inherited from :class:`~..composed.ComposedStore`. The parts are
built here and given what they use, so none reaches for an attribute another
part defines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx

from ..artifacts import ArtifactReader
from ..base import Capabilities
from ..composed import ComposedStore, StoreParts
from ..entities import (
    LoggedModel,
    RunDetail,
    RunKeys,
    RunPage,
    ViewType,
)
from ..errors import InvalidSearch, UnsupportedURI
from ..query import RunQuery
from ..shared import safe_uri
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


class RestStore(ComposedStore):
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
        self._parts = StoreParts(
            experiments=self.experiments,
            logged_models=self.experiments,
            experiment_writes=self.experiment_writes,
            run_writes=self.run_writes,
            run_lifecycle=self.lifecycle,
            histories=self.histories,
            registry=self.registry,
            registry_writes=self.registry_writes,
            traces=self.traces,
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

    # traces (REST API 3.0; see :mod:`.traces`) -------------------------------------
    def has_traces(self, experiment_ids: Sequence[str]) -> bool:
        """One search for one trace; False on a server without traces."""
        return self.traces.any([str(e) for e in experiment_ids])

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

    # artifacts and run lifecycle ---------------------------------------------------------
    def _run_artifacts(self, run_id: str) -> ArtifactReader:
        """From disk when the artifact root is a folder here, else through the server
        (ranges with HTTP Range: see :mod:`.artifacts`)."""
        return self.artifacts.for_run(run_id)

    def _model_artifacts(self, model: LoggedModel) -> ArtifactReader:
        return self.artifacts.for_model(model)
