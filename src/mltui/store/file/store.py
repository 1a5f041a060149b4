"""The file store: :class:`FileStore` puts the parts of this package together.

Each part takes what it depends on in its constructor, so what a part uses is
visible where it is built, here: the :class:`Root` (paths and problem log), the
:class:`RunIndex` (``meta.yaml`` cache) and :class:`RunData` (value caches) shared
by the readers, and the store's own read-only guard for the writers. Every public
method is one delegation (those written alike on every backend are inherited from
:class:`~..composed.ComposedStore`); the behaviour lives in the parts.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from ..query import RunQuery
from ..trace_entities import TraceQuery
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


class FileStore(ComposedStore):
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
        self._traces = FileTraces(self._root)
        registry = Registry(self._root)
        self._parts = StoreParts(
            experiments=self._experiments,
            logged_models=self._experiments,
            experiment_writes=ExperimentWrites(self._root, index, uri, self.check_writable),
            run_writes=RunWrites(index, data, self.check_writable),
            run_lifecycle=self._runs,
            histories=self._runs,
            registry=registry,
            registry_writes=RegistryWrites(registry, self.check_writable),
            traces=self._traces,
        )

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

    # -- traces (the rest in ComposedStore) ---------------------------------------
    def count_traces(self, experiment_ids: Sequence[str], filter_string: str = "") -> int:
        return self._traces.count(TraceQuery.of(experiment_ids, filter_string))

    def has_traces(self, experiment_ids: Sequence[str]) -> bool:
        return self._traces.any(experiment_ids)

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

    def _run_artifacts(self, run_id: str) -> ArtifactReader:
        return self._runs.artifacts(run_id)

    def _model_artifacts(self, model: LoggedModel) -> ArtifactReader:
        return self._experiments.model_artifacts(model)
