"""Pages of runs for the runs table: what to ask the store, and the book of
what has been asked.

The table never holds every run: it draws what is on screen and asks for the
pages it lacks. :class:`PageBook` keeps, for the current query, which pages
are loaded, in flight or waiting, and the total (exact, or "at least" while
a store that cannot count is still counting). Loading functions run in
worker threads; the book is touched on the UI thread only. No Textual here:
the screen starts workers and draws, this module decides.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..store.base import BaseStore
from ..store.entities import PARENT_RUN_TAG, Run, ViewType
from ..store.errors import InvalidSearch
from ..store.query import RunQuery
from ..store.search import parse_order_by, sort_runs

MAX_CHILDREN = 5000
"""Children listed under one parent (the rest: 'N more, flat view shows all')."""
MAX_IN_FLIGHT = 2
"""Pages fetched at once: more would only queue up in the store."""
_SAFE_ID = re.compile(r"^[\w\-]+$")


@dataclass
class LoadedPage:
    """One page of the table as the store returned it."""

    page: int
    runs: list[Run]
    counts: dict[str, int] = field(default_factory=dict)
    """Children per parent run on this page (tree view)."""
    total: int | None = None
    """Rows of the whole query, when the store counted."""
    more: bool = False
    """Pages follow this one."""
    nested: bool | None = None
    """Whether any run of the experiments has a parent (learnt on the first page)."""

    @property
    def row_count(self) -> int:
        """Rows on this page (what :class:`PageBook` counts, whatever the rows are)."""
        return len(self.runs)


class PageAnswer(Protocol):
    """What :class:`PageBook` reads of a page the store returned: the runs table's
    :class:`LoadedPage`, the traces table's ``views.trace_pages.LoadedTraces``."""

    page: int
    total: int | None
    more: bool

    @property
    def row_count(self) -> int: ...


def load_page(
    store: BaseStore, query: RunQuery, page: int, size: int, *, count: bool = False,
    nested: bool | None = None,
) -> LoadedPage:
    """Page ``page`` of ``query``. For a tree (``query.top_level``) it learns first
    whether anything is nested; if nothing is, the tree is a flat list and the
    parent check is skipped. Children are counted for the page's runs."""
    if query.top_level and nested is None:
        nested = store.has_nested_runs(query.experiment_ids)
    if query.top_level and nested is False:
        query = query.replace(top_level=False)
    result = store.query_runs(query, max_results=size, offset=page * size, count_total=count)
    counts: dict[str, int] = {}
    if query.top_level and result.runs:
        counts = store.child_counts(query.experiment_ids, [r.run_id for r in result.runs], "",
                                    query.view)
    return LoadedPage(page, result.runs, counts, result.total,
                      bool(result.next_page_token), nested)


def first_runs(store: BaseStore, query: RunQuery, limit: int) -> tuple[list[Run], int | None]:
    """The first ``limit`` runs of ``query`` and how many match in all (None when the
    store cannot count): what ``mltui runs --max`` prints."""
    runs: list[Run] = []
    total: int | None = None
    while len(runs) < limit:
        page = store.query_runs(query, max_results=min(1000, limit - len(runs)),
                                offset=len(runs), count_total=not runs)
        if not runs:
            total = page.total
        runs.extend(page.runs)
        if not page.next_page_token or not page.runs:
            break
    return runs, total


def reload_pages(
    store: BaseStore, query: RunQuery, pages: Sequence[int], size: int, nested: bool | None,
) -> list[LoadedPage]:
    """The pages on screen again (a live refresh); the first is counted."""
    return [load_page(store, query, page, size, count=i == 0, nested=nested)
            for i, page in enumerate(pages)]


def count_rows(store: BaseStore, query: RunQuery, nested: bool | None) -> int:
    """Rows of the whole query (slow on stores that cannot count: a worker's job)."""
    if query.top_level and not nested:
        query = query.replace(top_level=False)
    return store.query_count(query)


def load_children(
    store: BaseStore, query: RunQuery, parent_id: str, limit: int = MAX_CHILDREN
) -> tuple[list[Run], int]:
    """The children of ``parent_id`` in the query's order and view, and how many
    more exist beyond ``limit``."""
    if not _SAFE_ID.match(parent_id):
        raise InvalidSearch(f"Unexpected run id {parent_id!r}")
    children_query = query.replace(filter=f"tags.`{PARENT_RUN_TAG}` = '{parent_id}'",
                                   top_level=False)
    children: list[Run] = []
    offset = 0
    total = 0
    while len(children) < limit:
        page = store.query_runs(children_query, max_results=min(1000, limit - len(children)),
                                offset=offset, count_total=not children)
        if not children:
            total = page.total or 0
        children.extend(page.runs)
        offset += len(page.runs)
        if not page.next_page_token or not page.runs:
            break
    return children, max(0, total - len(children))


def runs_by_id(
    store: BaseStore, experiment_ids: Sequence[str], ids: Sequence[str], known: Iterable[Run] = ()
) -> list[Run]:
    """The runs behind ``ids``, in that order: those in ``known`` as they are, the
    others (scrolled away, marked with "mark all") read from the store, any view."""
    found = {r.run_id: r for r in known}
    missing = [rid for rid in ids if rid not in found and _SAFE_ID.match(rid)]
    for i in range(0, len(missing), 500):
        chunk = ", ".join(f"'{rid}'" for rid in missing[i : i + 500])
        query = RunQuery.of(experiment_ids, f"attributes.run_id IN ({chunk})",
                            view=ViewType.ALL)
        for run in store.iter_query(query):
            found[run.run_id] = run
    return [found[rid] for rid in ids if rid in found]


def iter_marked(store: BaseStore, query: RunQuery, marked: Sequence[str]) -> Iterable[Run]:
    """The marked runs in the query's order (any view: a marked run may have been
    deleted or filtered out since). The store is asked 500 ids at a time; past one
    chunk the chunks' runs are put in order here, as MLflow's SQL store orders
    (``sort_runs``), or, past ``SORT_IN_MEMORY`` runs, picked out while walking
    every run of the query's experiments in its order."""
    chunks = [[rid for rid in marked[i : i + 500] if _SAFE_ID.match(rid)]
              for i in range(0, len(marked), 500)]
    chunks = [chunk for chunk in chunks if chunk]

    def by_ids(ids: Sequence[str]) -> Iterable[Run]:
        listed = ", ".join(f"'{rid}'" for rid in ids)
        return store.iter_query(query.replace(
            filter=f"attributes.run_id IN ({listed})", view=ViewType.ALL, top_level=False))

    if len(chunks) <= 1:
        for chunk in chunks:
            yield from by_ids(chunk)
        return
    if len(marked) <= SORT_IN_MEMORY:
        found = [run for chunk in chunks for run in by_ids(chunk)]
        yield from sort_runs(found, parse_order_by(query.order_by))
        return
    wanted = {rid for chunk in chunks for rid in chunk}
    seen: set[str] = set()
    # every run of the experiments in the query's order, as the chunks are asked
    for run in store.iter_query(query.replace(filter="", view=ViewType.ALL, top_level=False)):
        if run.run_id in wanted:
            seen.add(run.run_id)
            yield run
    for chunk in chunks:
        rest = [rid for rid in chunk if rid not in seen]
        if rest:
            yield from by_ids(rest)


SORT_IN_MEMORY = 20_000
"""Marked runs up to which an export sorts them in memory (about 100 MB at most)."""


# -- the book of pages ---------------------------------------------------------------


@dataclass
class PageBook:
    """What a paged table (runs, traces) has asked for the current query. A new
    query starts a new generation; answers of older generations are ignored."""

    size: int
    generation: int = 0
    total: int | None = None
    """Rows of the query: exact when ``total_known``, else what is seen so far."""
    total_known: bool = False
    in_flight: set[int] = field(default_factory=set)
    queued: list[int] = field(default_factory=list)

    def restart(self, keep_total: bool = False) -> int:
        """A new query (or the same one read again): forget what was asked. The
        total survives only when told (a new order of the same rows)."""
        self.generation += 1
        self.in_flight.clear()
        self.queued.clear()
        if not (keep_total and self.total_known):
            # a count of the previous query must not pass for this one's
            self.total, self.total_known = None, False
        return self.generation

    def current(self, generation: int) -> bool:
        return generation == self.generation

    def request(self, page: int, loaded: bool) -> bool:
        """A drawn line needs ``page``: True if it should be fetched now; else it is
        loaded, already coming, or queued behind the pages in flight."""
        if loaded or page in self.in_flight:
            return False
        if len(self.in_flight) >= MAX_IN_FLIGHT:
            if page not in self.queued:
                self.queued.append(page)
            return False
        self.in_flight.add(page)
        return True

    def start(self, page: int) -> None:
        self.in_flight.add(page)

    def done(self, page: int) -> None:
        self.in_flight.discard(page)

    def next_pages(self, wanted: set[int], loaded: set[int]) -> tuple[list[int], list[int]]:
        """After an answer: the queued pages to fetch now (still on screen, newest
        request first) and those dropped (scrolled away: drawing them again must ask
        again)."""
        fetch: list[int] = []
        dropped: list[int] = []
        while self.queued and len(self.in_flight) < MAX_IN_FLIGHT:
            page = self.queued.pop()
            if page in wanted and page not in loaded:
                self.in_flight.add(page)
                fetch.append(page)
            else:
                dropped.append(page)
        dropped += [p for p in self.queued if p not in wanted]
        self.queued = [p for p in self.queued if p in wanted]
        return fetch, dropped

    def first_arrived(self, page: PageAnswer) -> bool:
        """Take the total from the first page. True when the store could not count
        and a count must be asked for separately (the table meanwhile holds what
        it has and one page more)."""
        if page.total is not None:
            self.total, self.total_known = page.total, True
        elif page.more and not self.total_known:
            self.total = page.row_count + self.size
            return True
        elif not page.more:
            self.total, self.total_known = page.row_count, True
        return False

    def later_arrived(self, page: PageAnswer) -> None:
        """A store that cannot count: grow the total as pages show more rows."""
        if not self.total_known:
            seen = page.page * self.size + page.row_count + (self.size if page.more else 0)
            self.total = max(self.total or 0, seen)

    def counted(self, total: int) -> None:
        self.total, self.total_known = total, True
