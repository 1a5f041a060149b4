"""Run searches, counts, children, keys and single runs from a tracking server.

The REST API answers searches but cannot count, cannot say "top-level", and
has no list of keys, so this is what happens instead:

- **Searches** are validated locally first (:mod:`mltui.store.search`), so
  errors are immediate and worded as the SQL backend words them, and a filter
  the server's version lacks is refused before it is sent (:mod:`.versions`);
  the server then runs the same filter and order_by.
- **Offsets.** MLflow's page token is base64 JSON ``{"offset": n}``; an offset
  is sent as such a token. Each page asks for one run more than wanted, so
  ``next_page_token`` is exact, as in the SQL backend. ``total`` is None
  unless the page is the last one (then ``offset + len(runs)`` is exact).
- **count** probes with a few tiny searches (for a background worker).
- **Top-level runs** (the tree view) are scanned client-side (:mod:`.top_level`).
- **run_keys** come from the newest :data:`RUN_KEYS_SAMPLE` runs (any lifecycle stage).
- **child_counts** reads the nested runs of the search (up to
  :data:`CHILD_SCAN_LIMIT`) and counts them by parent; past that it asks per
  parent, a few requests at a time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from ..base import encode_page_token
from ..entities import PARENT_RUN_TAG, Run, RunDetail, RunKeys, RunPage, ViewType
from ..errors import InvalidSearch, InvalidValue, RemoteError, ResourceNotFound
from ..query import RunQuery
from ..search import parse_filter, parse_order_by
from . import decode
from .client import RestClient
from .filters import HAS_PARENT, VIEWS, all_of, quoted
from .state import RestState
from .top_level import Fetch, Present

SEARCH_PAGE_MAX = 50_000
"""Largest ``max_results`` MLflow's ``runs/search`` accepts."""
RUN_KEYS_SAMPLE = 1000
CHILD_SCAN_LIMIT = 5000
IDS_PAGE = 10_000
"""Runs per request when only their ids are wanted."""


class Runs:
    """Run reads. ``state.server_version`` decides which filters the server takes;
    ``state.top`` keeps the top-level scans. The artifact URI of every run read
    is kept, so artifact browsing does not read the run again."""

    def __init__(self, client: RestClient, state: RestState):
        self.client = client
        self.state = state
        self._artifact_uris: dict[str, str] = {}

    # searching -------------------------------------------------------------
    def fetch(
        self, experiment_ids: Sequence[str], filter_string: str, order_by: Sequence[str],
        view: ViewType, offset: int, limit: int,
    ) -> list[Run]:
        """Up to ``limit`` runs from ``offset`` in the server's order (several requests
        past 50,000)."""
        problem = self.state.server_version.check_filter(filter_string)
        if problem is not None:
            raise problem
        runs: list[Run] = []
        while len(runs) < limit:
            want = min(SEARCH_PAGE_MAX, limit - len(runs))
            start = offset + len(runs)
            data = self.client.call(
                "POST",
                "runs/search",
                body={
                    "experiment_ids": [str(e) for e in experiment_ids],
                    "filter": filter_string or None,
                    "run_view_type": VIEWS[view],
                    "max_results": want,
                    "order_by": list(order_by) or None,
                    "page_token": encode_page_token(start) if start else None,
                },
                invalid=InvalidSearch,
            )
            got = [decode.run(r) for r in data.get("runs") or ()]
            runs.extend(got)
            if len(got) < want or not data.get("next_page_token"):
                break
        return runs

    def page(
        self, query: RunQuery, max_results: int, offset: int, count_total: bool
    ) -> RunPage:
        """One page of ``query`` (see the module notes on totals and tokens)."""
        parse_filter(query.filter)
        parse_order_by(query.order_by)
        if not query.experiment_ids:
            return RunPage(runs=[], total=0 if count_total else None, offset=offset)
        max_results = max(0, int(max_results))
        if query.top_level:
            runs, more, total = self.state.top.page(
                *self._top_level_scan(query), offset, max_results
            )
            token = encode_page_token(offset + max_results) if more else None
            return RunPage(runs=runs, total=total if count_total else None,
                           next_page_token=token, offset=offset)
        runs = self.fetch(query.experiment_ids, query.filter, query.order_by, query.view,
                          offset, max_results + 1)
        more = len(runs) > max_results
        runs = runs[:max_results]
        total = None
        if count_total and not more and (runs or offset == 0):
            total = offset + len(runs)
        token = encode_page_token(offset + max_results) if more else None
        return RunPage(runs=runs, total=total, next_page_token=token, offset=offset)

    def count(self, query: RunQuery, probe: int = 50) -> int:
        """How many runs match, found with small searches at growing offsets then a
        bisection (about ``2 * log2(total / probe)`` requests of ``probe`` runs).
        Top-level runs are counted by reading them all (from the last checkpoint)."""
        parse_filter(query.filter)
        query = query.replace(order_by=())
        if query.top_level:
            if not query.experiment_ids:
                return 0
            return self.state.top.count(*self._top_level_scan(query))
        flat = query.replace(top_level=False)

        def at(offset: int) -> tuple[int, bool]:
            page = self.page(flat, probe, offset, count_total=False)
            return len(page.runs), page.next_page_token is not None

        n, more = at(0)
        if not more:
            return n
        lo = probe  # total >= lo + 1
        hi = None  # total <= hi
        offset = probe * 2
        for _ in range(200):  # runs deleted while counting could make it chase forever
            if hi is not None:
                offset = lo if hi - lo <= probe else (lo + hi) // 2
            n, more = at(offset)
            if n and not more:
                return offset + n
            if n == 0:
                if offset <= lo:  # the runs shrank below what was seen: start over low
                    lo = 0
                hi = offset
            else:
                lo = offset + probe
                if hi is None:
                    offset *= 2
        raise RemoteError("Could not count the runs: they kept changing while counted")

    def _top_level_scan(self, query: RunQuery) -> tuple[RunQuery, Fetch, Present]:
        """The key, fetch and parent check of one top-level scan."""
        ids, view = query.experiment_ids, query.view

        def fetch(offset: int, limit: int) -> list[Run]:
            return self.fetch(ids, query.filter, query.order_by, view, offset, limit)

        def present(run_ids: Sequence[str]) -> set[str]:
            found: set[str] = set()
            literals = [q for q in map(quoted, run_ids) if q is not None]
            for i in range(0, len(literals), 100):
                chunk = literals[i : i + 100]
                text = f"attributes.run_id IN ({', '.join(chunk)})"
                found.update(r.run_id for r in self.fetch(ids, text, (), view, 0, len(chunk)))
            return found

        return query, fetch, present

    def ids(self, query: RunQuery) -> list[str]:
        """Ids of every run of ``query`` (its order and ``top_level`` ignored)."""
        parse_filter(query.filter)
        flat = query.replace(order_by=(), top_level=False)
        ids: list[str] = []
        offset = 0
        while query.experiment_ids:
            page = self.page(flat, IDS_PAGE, offset, count_total=False)
            ids.extend(r.run_id for r in page.runs)
            if not page.next_page_token:
                break
            offset += len(page.runs)
        return ids

    def child_counts(self, query: RunQuery, parent_ids: Sequence[str]) -> dict[str, int]:
        """How many runs of ``query`` have each of ``parent_ids`` as parent (those
        with none are left out)."""
        parse_filter(query.filter)
        wanted = set(parent_ids)
        if not wanted or not query.experiment_ids:
            return {}
        own = query.filter if query.filter.strip() else None
        nested = query.replace(filter=all_of(own, HAS_PARENT), order_by=(), top_level=False)
        counts: Counter[str] = Counter()
        offset = 0
        while True:
            page = self.page(nested, 1000, offset, count_total=False)
            for run in page.runs:
                parent = run.tags.get(PARENT_RUN_TAG)
                if parent in wanted:
                    counts[parent] += 1
            if not page.next_page_token:
                return dict(counts)
            offset += len(page.runs)
            if offset >= CHILD_SCAN_LIMIT:
                break

        def count(parent: str) -> tuple[str, int]:
            literal = quoted(parent)
            if literal is None:
                return parent, 0
            text = all_of(own, f"tags.`{PARENT_RUN_TAG}` = {literal}")
            return parent, len(self.ids(query.replace(filter=text)))

        with ThreadPoolExecutor(max_workers=4) as pool:
            found = dict(pool.map(count, list(dict.fromkeys(parent_ids))))
        return {pid: n for pid, n in found.items() if n}

    def keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        """Metric, param and tag keys of the newest :data:`RUN_KEYS_SAMPLE` runs."""
        if not experiment_ids:
            return RunKeys()
        sample = RunQuery.of(experiment_ids, view=ViewType.ALL)
        page = self.page(sample, RUN_KEYS_SAMPLE, 0, count_total=False)
        metrics: set[str] = set()
        params: set[str] = set()
        tags: set[str] = set()
        for run in page.runs:
            metrics.update(run.metrics)
            params.update(run.params)
            tags.update(run.tags)
        return RunKeys(sorted(metrics), sorted(params), sorted(tags))

    # one run ------------------------------------------------------------------
    def get(self, run_id: str) -> RunDetail:
        try:
            data = self.client.call("GET", "runs/get", params={"run_id": run_id})
        except (ResourceNotFound, InvalidValue):
            raise ResourceNotFound(f"No run with id {run_id!r}") from None
        detail = decode.run_detail(data.get("run") or {})
        self._artifact_uris[detail.run.run_id] = detail.run.artifact_uri
        return detail

    def artifact_uri(self, run_id: str) -> str:
        """Where the run's artifacts live (read once per run)."""
        uri = self._artifact_uris.get(run_id)
        if uri is None:
            uri = self.get(run_id).run.artifact_uri
        return uri
