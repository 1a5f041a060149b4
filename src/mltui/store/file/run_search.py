"""Searching the runs of an ``mlruns`` folder with MLflow's filter and order_by.

There is no index to ask, so every search looks at every run of the view; what
keeps a 10,000-run folder fast is reading as little as possible per run. Runs
start as their cached ``meta.yaml`` alone; each filter clause then reads one file
per run still in (attribute clauses first, dataset clauses last: they open the
most files), a sort reads its one key, and only the runs of the requested page are
read whole. The grammar and the comparisons are :mod:`mltui.store.search`'s, the
same as every backend's, which order runs as MLflow does.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from ..base import encode_page_token
from ..entities import PARENT_RUN_TAG, Run, RunKeys, RunPage, ViewType
from ..query import RunQuery
from ..search import ATTRIBUTE, DATASET, TAG, parse_filter, parse_order_by, run_matches, sort_runs
from .layout import METRICS, PARAMS, TAGS, list_keys
from .run_data import RunData
from .run_index import RunIndex, RunMeta


class RunSearch:
    """Run searches over the runs ``index`` finds, reading values through ``data``."""

    def __init__(self, index: RunIndex, data: RunData) -> None:
        self._index = index
        self._data = data

    def query(
        self, query: RunQuery, *, max_results: int = 100, offset: int = 0,
        count_total: bool = True,
    ) -> RunPage:
        """One page of ``query`` (see ``BaseStore.query_runs``)."""
        parse_order_by(query.order_by)  # reject a bad order_by before reading anything
        pairs = self._filtered(query.experiment_ids, query.filter, query.view, query.top_level)
        metas = self._sorted(pairs, query.order_by)
        end = offset + max(0, max_results)
        page = [self._data.full_run(m) for m in metas[offset:end]]
        token = encode_page_token(end) if end < len(metas) else None
        total = len(metas) if count_total else None
        return RunPage(runs=page, total=total, next_page_token=token, offset=offset)

    def run_ids(
        self, experiment_ids: Sequence[str], filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        """Ids of every matching run, in MLflow's default order, without reading any
        run whole (for "mark all")."""
        pairs = self._filtered(experiment_ids, filter_string, view)
        return [m.run_id for m in self._sorted(pairs, ())]

    def child_counts(
        self,
        experiment_ids: Sequence[str],
        parent_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        """How many matching runs each of ``parent_ids`` has, in one pass over the
        runs rather than one search per parent."""
        wanted = set(parent_ids)
        counts: dict[str, int] = {}
        if not wanted:
            return counts
        pairs = self._filtered(experiment_ids, filter_string, view)
        self._data.load_key(pairs, TAG, PARENT_RUN_TAG)
        for run, _ in pairs:
            parent = run.tags.get(PARENT_RUN_TAG)
            if parent in wanted:
                counts[parent] = counts.get(parent, 0) + 1
        return counts

    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        """Every metric, param and tag key of the runs (any view), from folder
        listings alone: no value is read."""
        metrics: set[str] = set()
        params: set[str] = set()
        tags: set[str] = set()
        for meta in self._index.of_experiments(experiment_ids, ViewType.ALL):
            metrics.update(list_keys(os.path.join(meta.dir, METRICS)))
            params.update(list_keys(os.path.join(meta.dir, PARAMS)))
            tags.update(list_keys(os.path.join(meta.dir, TAGS)))
        return RunKeys(sorted(metrics), sorted(params), sorted(tags))

    def _filtered(
        self, experiment_ids: Sequence[str], filter_string: str, view: ViewType,
        top_level: bool = False,
    ) -> list[tuple[Run, RunMeta]]:
        clauses = parse_filter(filter_string)
        data = self._data
        pairs = [(data.light_run(m), m) for m in self._index.of_experiments(experiment_ids, view)]
        if top_level:
            # no parent among the runs shown: a deleted parent's children stay visible
            present = {m.run_id for _, m in pairs}
            data.load_key(pairs, TAG, PARENT_RUN_TAG)
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
                    if run_matches(run, [clause], data.dataset_inputs(meta))
                ]
                continue
            if clause.kind != ATTRIBUTE:
                data.load_key(pairs, clause.kind, clause.key)
            pairs = [(run, meta) for run, meta in pairs if run_matches(run, [clause])]
        return pairs

    def _sorted(self, pairs: list[tuple[Run, RunMeta]], order_by: Sequence[str]) -> list[RunMeta]:
        order = parse_order_by(order_by)
        for key in order:
            if key.kind != ATTRIBUTE:
                self._data.load_key(pairs, key.kind, key.key)
        by_run = {id(run): meta for run, meta in pairs}
        return [by_run[id(run)] for run in sort_runs([run for run, _ in pairs], order)]
