"""What a mutation pass over ``views/run_pages.py`` and ``views/run_rows.py`` found
no test for (issue 17, point 6): marking more runs than one question asks about
(the ids go to the store 500 at a time), and ``mltui runs --max 0``.

The runs are those of the pages store's ``pages-many`` experiment
(``support/pages_builder.py``, made by the real mlflow client: 1,150 runs), and
every expectation is what
``MlflowClient`` returns for the same question.
"""

from __future__ import annotations

import csv

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType

from mltui.columns import parse_columns
from mltui.store import open_store
from mltui.store.entities import ViewType
from mltui.store.query import RunQuery
from mltui.views.export import export_runs
from mltui.views.run_pages import first_runs, runs_by_id
from support.builders import cached_store

ORDER = "metrics.acc DESC"
MARKED = 1100
"""More than two chunks of 500 ids: runs 500 and 1000 sit on a chunk's edge."""


@pytest.fixture(scope="module")
def pages():
    uri = f"sqlite:///{cached_store('pages-sqlite') / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("pages-many").experiment_id
    every, token = [], None
    while True:
        page = client.search_runs([exp], "", run_view_type=MlflowViewType.ALL,
                                  max_results=1000, order_by=[ORDER], page_token=token)
        every.extend(page)
        token = page.token
        if not token:
            break
    store = open_store(uri)
    yield store, exp, every
    store.close()


def _ids(runs) -> list[str]:
    return [getattr(r, "run_id", None) or r.info.run_id for r in runs]


def _marked(every) -> list[str]:
    """Ids marked in an order of their own (by run name, deleted runs among them),
    not the query's."""
    chosen = sorted(every, key=lambda r: r.info.run_name)[:MARKED]
    assert any(r.info.lifecycle_stage == "deleted" for r in chosen)
    return [r.info.run_id for r in chosen]


def _export(store, exp, marked, path) -> list[str]:
    """Run ids of the CSV that exporting the ``marked`` runs of the table writes."""
    query = RunQuery.of([exp], order_by=[ORDER])
    written = export_runs(store, query, parse_columns("metrics.acc"), path, marked)
    with open(path, newline="") as fh:
        ids = [row["run_id"] for row in csv.DictReader(fh)]
    assert written == len(ids)
    return ids


def test_exporting_over_a_thousand_marked_runs_writes_each_once(pages, tmp_path):
    store, exp, every = pages
    marked = _marked(every)
    got = _export(store, exp, marked, tmp_path / "marked.csv")
    # every marked run once: none lost at the edge of a chunk of ids, none twice
    assert len(got) == len(set(got)) == MARKED
    assert set(got) == set(marked)


@pytest.mark.parametrize("in_memory", [True, False], ids=["sorted", "walked"])
def test_exporting_over_five_hundred_marked_runs_keeps_the_querys_order(
        pages, tmp_path, monkeypatch, in_memory):
    from mltui.views import run_pages

    if not in_memory:  # past SORT_IN_MEMORY runs the query itself is walked
        monkeypatch.setattr(run_pages, "SORT_IN_MEMORY", 10)
    store, exp, every = pages
    marked = _marked(every)
    wanted = set(marked)
    expected = [r.info.run_id for r in every if r.info.run_id in wanted]
    assert _export(store, exp, marked, tmp_path / "marked.csv") == expected


def test_over_a_thousand_marked_runs_scrolled_away_are_read_back_in_the_order_marked(pages):
    store, exp, every = pages
    marked = _marked(every)
    known = store.search_runs([exp], "attributes.run_name = 'many-0000'").runs
    assert len(known) == 1 and known[0].run_id in marked
    found = runs_by_id(store, [exp], [*marked, "not-a-run", "x' OR '1'='1"], known)
    assert _ids(found) == marked  # none lost at a chunk's edge; unknown ids left out
    assert next(r for r in found if r.run_id == known[0].run_id) is known[0]
    names = {r.info.run_id: r.info.run_name for r in every}
    assert [r.run_name for r in found] == [names[rid] for rid in marked]


def test_runs_max_zero_asks_nothing_and_claims_no_count(pages, monkeypatch):
    """``mltui runs --max 0``: no rows, and no "(0 of N runs)" footer built from a
    count that was never asked for."""
    store, exp, _ = pages
    asked = []
    monkeypatch.setattr(store, "query_runs", lambda *a, **k: asked.append(a))
    assert first_runs(store, RunQuery.of([exp], view=ViewType.ALL), 0) == ([], None)
    assert asked == []
