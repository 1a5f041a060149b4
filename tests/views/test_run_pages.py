"""The views layer without an app: the book of pages the runs table keeps, and the
loaders it runs in workers, on the store made by the real mlflow client."""

from __future__ import annotations

import csv

import pytest
from mlflow.entities import ViewType as MlflowViewType

from mltui.columns import parse_columns
from mltui.store.entities import ViewType
from mltui.store.errors import StoreError
from mltui.store.query import RunQuery
from mltui.views.export import export_runs, problem_with_path
from mltui.views.registry import load_model_view
from mltui.views.run_detail import NameCache, load_run_view
from mltui.views.run_pages import (
    MAX_IN_FLIGHT,
    LoadedPage,
    PageBook,
    count_rows,
    first_runs,
    iter_marked,
    load_children,
    load_page,
    reload_pages,
    runs_by_id,
)

# -- the book ------------------------------------------------------------------------


def test_a_new_query_forgets_pages_and_the_count_of_the_last_one():
    book = PageBook(size=10)
    gen = book.restart()
    book.start(0)
    book.first_arrived(LoadedPage(0, [object()] * 10, total=95, more=True))
    assert (book.total, book.total_known) == (95, True)
    assert book.request(3, loaded=False)
    new = book.restart()
    assert new == gen + 1 and not book.current(gen) and book.current(new)
    assert book.in_flight == set() and book.queued == []
    # the count of the previous query must not pass for this one's
    assert (book.total, book.total_known) == (None, False)


def test_a_new_order_keeps_a_known_count():
    book = PageBook(size=10)
    book.restart()
    book.counted(95)
    book.restart(keep_total=True)
    assert (book.total, book.total_known) == (95, True)
    book.total_known = False
    book.restart(keep_total=True)
    assert book.total is None  # an estimate is not kept


def test_at_most_two_pages_in_flight_the_rest_wait_and_drop_when_scrolled_away():
    book = PageBook(size=10)
    book.restart()
    assert MAX_IN_FLIGHT == 2
    assert book.request(1, loaded=False) and book.request(2, loaded=False)
    assert not book.request(2, loaded=False)  # already coming
    assert not book.request(5, loaded=True)  # already here
    assert not book.request(3, loaded=False) and not book.request(4, loaded=False)
    assert book.queued == [3, 4]
    book.done(1)
    # 4 is still on screen (newest request first), 3 was scrolled away
    fetch, dropped = book.next_pages(wanted={4, 7}, loaded=set())
    assert fetch == [4] and dropped == [3] and book.queued == []
    assert book.in_flight == {2, 4}


def test_totals_from_the_first_page_exact_estimated_or_single():
    book = PageBook(size=10)
    book.restart()
    assert not book.first_arrived(LoadedPage(0, [None] * 10, total=42, more=True))
    assert (book.total, book.total_known) == (42, True)
    book.restart()
    # a store that cannot count: one page more than it has, and a count is needed
    assert book.first_arrived(LoadedPage(0, [None] * 10, total=None, more=True))
    assert (book.total, book.total_known) == (20, False)
    book.later_arrived(LoadedPage(3, [None] * 10, more=True))
    assert book.total == 50  # pages 0..3 seen, one more promised
    book.later_arrived(LoadedPage(1, [None] * 10, more=True))
    assert book.total == 50  # never shrinks on an earlier page
    book.counted(47)
    assert (book.total, book.total_known) == (47, True)
    book.later_arrived(LoadedPage(5, [None] * 10, more=True))
    assert book.total == 47  # an exact count is not grown
    book.restart()
    assert not book.first_arrived(LoadedPage(0, [None] * 4, total=None, more=False))
    assert (book.total, book.total_known) == (4, True)


# -- the loaders, against MlflowClient -----------------------------------------------


@pytest.fixture(scope="module")
def sweep(mlflow_client):
    return mlflow_client.get_experiment_by_name("sweep").experiment_id


def _names(runs) -> list[str]:
    return [getattr(r, "run_name", None) or r.info.run_name for r in runs]


def test_pages_of_a_tree_and_the_children_counts(store, mlflow_client, sweep):
    query = RunQuery.of([sweep], top_level=True)
    page = load_page(store, query, 0, 1)
    assert page.nested is True and page.more
    every = mlflow_client.search_runs([sweep], "", max_results=100)
    top = [r for r in every if "mlflow.parentRunId" not in r.data.tags]
    assert len(top) == 2 and _names(page.runs) == _names(top)[:1]
    parent = next(r for r in top if r.info.run_name == "sweep-parent")
    rest = reload_pages(store, query, [1, 0], 1, nested=True)
    assert [p.page for p in rest] == [1, 0]
    counts = {k: v for p in [page, *rest] for k, v in p.counts.items()}
    children = [r for r in every if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert counts == {parent.info.run_id: len(children)}
    assert rest[0].total == len(top)  # the first page of a refresh is counted
    assert count_rows(store, query, nested=True) == len(top)


def test_a_tree_without_nested_runs_is_a_flat_list(store, mlflow_client):
    edge = mlflow_client.get_experiment_by_name("edge cases").experiment_id
    page = load_page(store, RunQuery.of([edge], top_level=True), 0, 100, count=True)
    assert page.nested is False and page.counts == {}
    assert page.total == len(mlflow_client.search_runs([edge]))


def test_children_in_the_query_order_and_what_is_left(store, mlflow_client, sweep):
    parent = mlflow_client.search_runs([sweep], "attributes.run_name = 'sweep-parent'")[0]
    query = RunQuery.of([sweep], order_by=["metrics.acc DESC"])
    children, more = load_children(store, query, parent.info.run_id, limit=4)
    expected = mlflow_client.search_runs(
        [sweep], f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        order_by=["metrics.acc DESC"])
    assert _names(children) == _names(expected)[:4] and more == len(expected) - 4
    with pytest.raises(StoreError):
        load_children(store, query, "x' OR '1'='1")


def test_marked_runs_by_id_in_any_view(store, mlflow_client, sweep):
    every = mlflow_client.search_runs([sweep], run_view_type=MlflowViewType.ALL)
    by_name = {r.info.run_name: r.info.run_id for r in every}
    wanted = [by_name["deleted-run"], by_name["child-3"], "not-a-run", by_name["bare"]]
    known = [r for r in store.search_runs([sweep], "attributes.run_name = 'bare'").runs]
    found = runs_by_id(store, [sweep], wanted, known)
    assert _names(found) == ["deleted-run", "child-3", "bare"]
    assert found[2] is known[0]  # a loaded run is used as it is
    query = RunQuery.of([sweep], order_by=["attributes.run_name DESC"])
    # the query's order, whatever the order marked in
    assert _names(iter_marked(store, query, wanted)) == ["deleted-run", "child-3", "bare"]
    assert _names(iter_marked(store, query.replace(order_by=("attributes.run_name",)),
                              wanted)) == ["bare", "child-3", "deleted-run"]


def test_export_writes_the_query_or_the_marked_runs(store, mlflow_client, sweep, tmp_path):
    columns = parse_columns("metrics.acc,params.lr")
    query = RunQuery.of([sweep], "metrics.acc > 0.6", ["metrics.acc DESC"])
    path = tmp_path / "runs.csv"
    expected = mlflow_client.search_runs([sweep], "metrics.acc > 0.6",
                                         order_by=["metrics.acc DESC"])
    assert len(expected) > 2
    assert export_runs(store, query, columns, path) == len(expected)
    with open(path, newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["run_id"] for r in rows] == [r.info.run_id for r in expected]
    assert [float(r["metrics.acc"]) for r in rows] == [r.data.metrics["acc"] for r in expected]
    assert list(rows[0]) == ["run_id", "run_name", "status", "metrics.acc", "params.lr"]
    marked = [expected[2].info.run_id, expected[0].info.run_id]
    assert export_runs(store, query, columns, path, marked) == 2
    with open(path, newline="") as fh:
        assert [r["run_id"] for r in csv.DictReader(fh)] == [expected[0].info.run_id,
                                                              expected[2].info.run_id]


def test_export_errors_are_one_line_and_leave_nothing(store, sweep, tmp_path):
    # a file where a folder should be: the write fails, also for root
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    with pytest.raises(StoreError) as err:
        export_runs(store, RunQuery.of([sweep]), [], blocker / "x.csv")
    assert "Cannot write" in str(err.value) and "\n" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]
    assert problem_with_path("") == "Give a file name"
    assert problem_with_path(str(tmp_path)).endswith("is a directory")
    assert problem_with_path(str(tmp_path / "no" / "x.csv")).startswith("No such directory")
    assert problem_with_path(str(tmp_path / "ok.csv")) is None


def test_a_run_with_its_experiment_and_parent_names(store, mlflow_client, sweep):
    child = mlflow_client.search_runs([sweep], "attributes.run_name = 'child-1'")[0]
    names = NameCache()
    view = load_run_view(store, child.info.run_id, names)
    assert (view.experiment_name, view.parent_name) == ("sweep", "sweep-parent")
    assert view.detail.run.run_id == child.info.run_id
    assert names.runs == {child.data.tags["mlflow.parentRunId"]: "sweep-parent"}


def test_a_model_with_its_versions_and_run_names_in_one_read(store, mlflow_client,
                                                             monkeypatch):
    calls = []
    real = store.get_runs
    monkeypatch.setattr(store, "get_runs", lambda ids: calls.append(list(ids)) or real(ids))
    view = load_model_view(store, "fraud-detector", {})
    versions = mlflow_client.search_model_versions("name = 'fraud-detector'")
    assert sorted(v.version for v in view.versions) == sorted(int(v.version) for v in versions)
    assert len(calls) == 1  # one call for every version's run, not one per version
    for mv in versions:
        assert view.run_names[mv.run_id] == mlflow_client.get_run(mv.run_id).info.run_name
    again = load_model_view(store, "fraud-detector", view.run_names)
    assert len(calls) == 1 and again.run_names == view.run_names  # names known: no read


# -- the book: what the mutation check found unpinned --------------------------------


def test_a_started_page_counts_as_in_flight():
    book = PageBook(size=10)
    book.restart()
    book.start(0)
    assert book.in_flight == {0}
    assert not book.request(0, loaded=False)  # already coming
    assert book.request(1, loaded=False)
    assert not book.request(2, loaded=False) and book.queued == [2]


def test_next_pages_with_nothing_queued_fetches_nothing():
    book = PageBook(size=10)
    book.restart()
    assert book.next_pages(wanted={0, 1}, loaded=set()) == ([], [])
    assert book.request(0, loaded=False)
    assert book.next_pages(wanted={0, 1}, loaded=set()) == ([], [])


def test_next_pages_fills_the_free_slots_only():
    book = PageBook(size=10)
    book.restart()
    assert book.request(1, loaded=False) and book.request(2, loaded=False)
    for page in (3, 4, 5):
        assert not book.request(page, loaded=False)
    # nothing finished: no slot free, everything stays queued
    assert book.next_pages(wanted={3, 4, 5}, loaded=set()) == ([], [])
    assert book.queued == [3, 4, 5]
    book.done(1)
    fetch, dropped = book.next_pages(wanted={3, 4, 5}, loaded=set())
    assert fetch == [5] and dropped == [] and book.queued == [3, 4]
    assert book.in_flight == {2, 5}


def test_queued_pages_loaded_or_scrolled_away_meanwhile_are_dropped_not_fetched():
    book = PageBook(size=10)
    book.restart()
    assert book.request(1, loaded=False) and book.request(2, loaded=False)
    for page in (3, 4, 5, 6):
        assert not book.request(page, loaded=False)
    book.done(1)
    book.done(2)
    # 6 scrolled away, 5 arrived with a refresh; 4 and 3 are wanted: fetched
    fetch, dropped = book.next_pages(wanted={3, 4}, loaded={5})
    assert fetch == [4, 3] and dropped == [6, 5] and book.queued == []
    # popped pages dropped and queued ones scrolled away are both reported
    book.restart()
    assert book.request(1, loaded=False) and book.request(2, loaded=False)
    for page in (3, 4, 5):
        assert not book.request(page, loaded=False)
    book.done(1)
    fetch, dropped = book.next_pages(wanted={4}, loaded=set())
    assert fetch == [4] and dropped == [5, 3] and book.queued == []


def test_a_last_page_of_an_uncounted_store_sets_the_total_it_shows():
    book = PageBook(size=10)
    book.restart()
    assert book.first_arrived(LoadedPage(0, [None] * 10, total=None, more=True))
    book.later_arrived(LoadedPage(2, [None] * 4, more=False))
    assert (book.total, book.total_known) == (24, False)


# -- the loaders: offsets, counts and queries asked ----------------------------------


def _spy_query_runs(monkeypatch, store, cap: int | None = None) -> list[tuple[int, int, bool]]:
    """Record (max_results, offset, count_total) of each ``query_runs``; with ``cap``,
    the store answers at most that many runs a page (with a next page token when
    more follow), as a server with a smaller page limit does."""
    calls: list[tuple[int, int, bool]] = []
    real = store.query_runs

    def query_runs(query, *, max_results=100, offset=0, count_total=True):
        calls.append((max_results, offset, count_total))
        size = min(max_results, cap) if cap else max_results
        return real(query, max_results=size, offset=offset, count_total=count_total)

    monkeypatch.setattr(store, "query_runs", query_runs)
    return calls


def _ids(runs) -> list[str]:
    return [getattr(r, "run_id", None) or r.info.run_id for r in runs]


def test_a_flat_page_at_its_offset_uncounted_with_no_tree_work(store, mlflow_client, sweep,
                                                               monkeypatch):
    every = mlflow_client.search_runs([sweep], "", max_results=100)
    assert len(every) > 6 and any(r.info.run_name == "sweep-parent" for r in every)
    asked = []
    monkeypatch.setattr(store, "has_nested_runs", lambda ids: asked.append(ids) or True)
    calls = _spy_query_runs(monkeypatch, store)
    page = load_page(store, RunQuery.of([sweep]), 1, 2)
    assert _ids(page.runs) == _ids(every[2:4]) and page.more
    assert page.total is None and calls == [(2, 2, False)]  # counting is another worker's
    assert page.nested is None and asked == []
    # the parent is on this page, but a flat list counts no children
    whole = load_page(store, RunQuery.of([sweep]), 0, 100, count=True)
    assert _ids(whole.runs) == _ids(every) and whole.counts == {}
    assert whole.total == len(every) and not whole.more


def test_a_tree_known_flat_is_read_as_a_flat_list(store, mlflow_client, sweep, monkeypatch):
    every = mlflow_client.search_runs([sweep], "", max_results=100)
    counted = []
    monkeypatch.setattr(store, "child_counts", lambda *a: counted.append(a) or {})
    queries = []
    real = store.query_runs
    monkeypatch.setattr(store, "query_runs",
                        lambda query, **kw: queries.append(query) or real(query, **kw))
    page = load_page(store, RunQuery.of([sweep], top_level=True), 0, 100, nested=False)
    assert page.nested is False and _ids(page.runs) == _ids(every)
    assert [q.top_level for q in queries] == [False] and counted == []


def test_children_are_counted_in_the_querys_view(writable_sql_uri):
    from mlflow import MlflowClient

    from mltui.store import open_store

    client = MlflowClient(writable_sql_uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    parent = client.search_runs([sweep], "attributes.run_name = 'sweep-parent'")[0].info.run_id
    child = client.search_runs([sweep], "attributes.run_name = 'child-0'")[0].info.run_id
    client.delete_run(child)
    of_parent = f"tags.mlflow.parentRunId = '{parent}'"
    active = client.search_runs([sweep], of_parent)
    every = client.search_runs([sweep], of_parent, run_view_type=MlflowViewType.ALL)
    assert len(every) == len(active) + 1
    store = open_store(writable_sql_uri)
    try:
        for view, expected in ((ViewType.ACTIVE, active), (ViewType.ALL, every)):
            query = RunQuery.of([sweep], view=view, top_level=True)
            counts = {k: v for p in reload_pages(store, query, [0], 100, nested=True)
                      for k, v in p.counts.items()}
            assert counts == {parent: len(expected)}
    finally:
        store.close()


def test_a_refresh_keeps_what_was_learnt_about_nesting(store, mlflow_client, sweep):
    every = mlflow_client.search_runs([sweep], "", max_results=100)
    query = RunQuery.of([sweep], top_level=True)
    (page,) = reload_pages(store, query, [0], 100, nested=False)
    assert page.nested is False and _ids(page.runs) == _ids(every) and page.counts == {}
    assert page.total == len(every)
    assert count_rows(store, query, nested=False) == len(every)
    assert count_rows(store, query, nested=None) == len(every)
    top = [r for r in every if "mlflow.parentRunId" not in r.data.tags]
    assert count_rows(store, query, nested=True) == len(top) < len(every)


def test_children_of_a_tree_query_and_of_a_childless_run(store, mlflow_client, sweep):
    parent = mlflow_client.search_runs([sweep], "attributes.run_name = 'sweep-parent'")[0]
    expected = mlflow_client.search_runs(
        [sweep], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert len(expected) > 2
    tree = RunQuery.of([sweep], top_level=True)
    children, more = load_children(store, tree, parent.info.run_id)
    assert _ids(children) == _ids(expected) and more == 0
    bare = mlflow_client.search_runs([sweep], "attributes.run_name = 'bare'")[0]
    assert load_children(store, tree, bare.info.run_id) == ([], 0)
    with pytest.raises(StoreError, match=r"Unexpected run id .*x' OR"):
        load_children(store, tree, "x' OR '1'='1")


@pytest.mark.parametrize(
    ("limit", "pages", "more"),
    [(5, [(5, 0, True), (3, 2, False), (1, 4, False)], 1),
     (100, [(100, 0, True), (98, 2, False), (96, 4, False)], 0)],
)
def test_children_over_short_pages(store, mlflow_client, sweep, monkeypatch, limit, pages,
                                   more):
    parent = mlflow_client.search_runs([sweep], "attributes.run_name = 'sweep-parent'")[0]
    expected = mlflow_client.search_runs(
        [sweep], f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
        order_by=["metrics.acc DESC"])
    assert len(expected) == 6
    calls = _spy_query_runs(monkeypatch, store, cap=2)
    query = RunQuery.of([sweep], order_by=["metrics.acc DESC"])
    children, left = load_children(store, query, parent.info.run_id, limit=limit)
    assert _ids(children) == _ids(expected)[:limit] and left == more
    assert calls == pages  # one question a page, counted once, never past the limit


@pytest.mark.parametrize(
    ("limit", "pages"),
    [(3, [(3, 0, True)]),
     (5, [(5, 0, True), (3, 2, False), (1, 4, False)]),
     (100, [(100, 0, True), (98, 2, False), (96, 4, False), (94, 6, False)])],
)
def test_first_runs_over_short_pages(store, mlflow_client, sweep, monkeypatch, limit, pages):
    every = mlflow_client.search_runs([sweep], "", order_by=["attributes.run_name"])
    assert len(every) == 8
    calls = _spy_query_runs(monkeypatch, store, cap=2 if limit > 3 else None)
    runs, total = first_runs(store, RunQuery.of([sweep], order_by=["attributes.run_name"]),
                             limit)
    assert _ids(runs) == _ids(every)[:limit] and total == len(every)
    assert calls == pages


def test_marked_runs_are_read_in_one_query_whatever_the_tree(store, mlflow_client, sweep,
                                                             monkeypatch):
    every = mlflow_client.search_runs([sweep], "", order_by=["attributes.run_name"])
    by_name = {r.info.run_name: r.info.run_id for r in every}
    wanted = [by_name["child-3"], by_name["bare"], by_name["child-1"]]
    reads = []
    real = store.iter_query
    monkeypatch.setattr(store, "iter_query", lambda q, *a: reads.append(q) or real(q, *a))
    assert _names(runs_by_id(store, [sweep], wanted)) == ["child-3", "bare", "child-1"]
    assert len(reads) == 1
    tree = RunQuery.of([sweep], order_by=["attributes.run_name"], top_level=True)
    assert _names(iter_marked(store, tree, wanted)) == ["bare", "child-1", "child-3"]
