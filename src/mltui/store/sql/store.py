"""The SQL backend: MLflow's own schema (sqlite, PostgreSQL, MySQL), read with
SQLAlchemy Core.

:class:`SqlStore` is the :class:`BaseStore` contract and nothing else: each
method hands over to the part that owns the topic, all of them sharing one
:class:`Database` (the hand-overs written alike on every backend are inherited
from :class:`~..composed.ComposedStore`). Each call is one short transaction: a training job may be
writing to the same sqlite file, and a long read would block it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..base import Capabilities
from ..composed import ComposedStore, StoreParts
from ..entities import (
    Experiment,
    Run,
    RunDetail,
    RunKeys,
    RunPage,
    ViewType,
)
from ..query import RunQuery
from ..shared import safe_uri
from ..trace_entities import TraceQuery
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


class SqlStore(ComposedStore):
    """An MLflow tracking database, opened read-only until the first write."""

    kind = "sql"
    capabilities = Capabilities()

    def __init__(self, uri: str, *, read_only: bool = False):
        """Connect and reflect the schema. Raises StoreNotFound (no sqlite file;
        none is ever created), NotAnMlflowStore (no MLflow tables, or a database
        that refuses the connection) or UnsupportedURI (no such dialect)."""
        super().__init__(uri, read_only=read_only)
        self.db = Database(uri, self.check_writable)
        self._experiments = Experiments(self.db)  # find_experiment reads it too
        loader = RunLoader(self.db)
        self._run_rows = loader
        self._search = RunSearch(self.db, loader)
        self._histories = MetricHistories(self.db)
        self._traces = TraceReads(self.db)
        run_writes = RunWrites(self.db)
        registry = RegistryReader(self.db)
        self._parts = StoreParts(
            experiments=self._experiments,
            logged_models=LoggedModels(self.db),
            experiment_writes=ExperimentWrites(self.db),
            run_writes=run_writes,
            run_lifecycle=run_writes,
            histories=self._histories,
            registry=registry,
            registry_writes=RegistryWrites(self.db, registry),
            traces=self._traces,
        )
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
    def find_experiment(self, ref: str) -> Experiment:
        """By name, else by id, in one read and without run counts (cheap)."""
        return self._experiments.find(ref)

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

    # traces ----------------------------------------------------------------------
    def count_traces(self, experiment_ids: Sequence[str], filter_string: str = "") -> int:
        """One COUNT over the same conditions as :meth:`query_traces`."""
        return self._traces.count(TraceQuery.of(experiment_ids, filter_string))

    def has_traces(self, experiment_ids: Sequence[str]) -> bool:
        """One LIMIT 1 query; False on schemas without trace tables."""
        return self._traces.any(tuple(str(e) for e in experiment_ids))
