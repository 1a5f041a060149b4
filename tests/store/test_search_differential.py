"""Differential tests: mltui's run search against ``MlflowClient.search_runs``.

One sqlite database made by real mlflow (``tests/support/builders.py``), every
experiment in it (including the deleted one). For each filter string and each
order_by list, mltui's SQL store must return the same run ids in the same
order as MLflow, page by page, or reject the string where MLflow raises. The
same strings also go through mltui's Python evaluator (``run_matches`` +
``sort_runs``, which serves the file store), again compared with MLflow.

``{run-name}`` in a string is replaced by that run's id, ``{start:run-name}`` by
its start time, before searching. Every valid filter selects some runs but not
all (a test checks it), so no comparison is ``[] == []``; every rejected string
gets MLflow's message (or a documented better one) and a position for the caret.
"""

from __future__ import annotations

import re

import pytest
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException

from mltui.store.entities import ViewType
from mltui.store.errors import InvalidSearch, StoreError
from mltui.store.search import parse_filter, parse_order_by, run_matches, sort_runs
from support.search_cases import FILTERS, INVALID_FILTERS, ORDER_BYS, VALID_FILTERS, resolve

VIEWS = {
    ViewType.ACTIVE: MlflowViewType.ACTIVE_ONLY,
    ViewType.DELETED: MlflowViewType.DELETED_ONLY,
    ViewType.ALL: MlflowViewType.ALL,
}

def _id(value) -> str:
    return repr(value)


@pytest.fixture(scope="module")
def world(sql_uri):
    """Experiment ids, run ids by name, and every run as mltui loads it."""
    from mlflow import MlflowClient

    from mltui.store import open_store

    client = MlflowClient(sql_uri)
    experiment_ids = [
        e.experiment_id for e in client.search_experiments(view_type=MlflowViewType.ALL)
    ]
    everything = client.search_runs(
        experiment_ids, run_view_type=MlflowViewType.ALL, max_results=1000
    )
    ids = {r.info.run_name: r.info.run_id for r in everything}
    store = open_store(sql_uri)
    runs = store.search_runs(experiment_ids, view=ViewType.ALL, max_results=1000).runs
    inputs = {run.run_id: store.get_run(run.run_id).inputs for run in runs}
    assert len(runs) == len(everything) > 15
    yield {
        "client": client,
        "store": store,
        "experiment_ids": experiment_ids,
        "ids": ids,
        "everything": list(everything),
        "runs": runs,
        "inputs": inputs,
        "mlflow_answers": {},
    }
    store.close()


def _mlflow_ids(world, filter_string, order_by, view):
    """MLflow's answer, computed once per search (the evaluators share it)."""
    cache = world["mlflow_answers"]
    key = (filter_string, tuple(order_by), view)
    if key not in cache:
        try:
            runs = world["client"].search_runs(
                world["experiment_ids"],
                filter_string,
                run_view_type=VIEWS[view],
                max_results=1000,
                order_by=order_by,
            )
            cache[key] = [r.info.run_id for r in runs]
        except MlflowException as err:
            cache[key] = err
    if isinstance(cache[key], MlflowException):
        raise cache[key]
    return cache[key]


def _mltui_ids(world, filter_string, order_by, view):
    page = world["store"].search_runs(
        world["experiment_ids"], filter_string, order_by, view=view, max_results=1000
    )
    assert page.next_page_token is None
    assert page.total == len(page.runs)
    return [r.run_id for r in page.runs]


def _python_ids(world, filter_string, order_by, view):
    clauses = parse_filter(filter_string)
    order = parse_order_by(order_by)
    selected = [
        run
        for run in world["runs"]
        if run.lifecycle_stage in view.stages
        and run_matches(run, clauses, world["inputs"][run.run_id])
    ]
    return [r.run_id for r in sort_runs(selected, order)]


# Where mltui's message is better than MLflow's on purpose (MLflow leaks a Python
# or database error, or names the wrong token); each still points at the spot.
OUR_OWN_MESSAGES = {
    "run_id IN (a)": "expected a non-empty list of string values, but got ill-formed list",
    "run_id = ('a', 'b')": "A list of values needs IN or NOT IN",
    "params.lr = 'unterminated": "Unclosed quote",
    "params.from = 'x'": "is an SQL keyword to MLflow",
}


def _same_message(ours: StoreError, theirs: MlflowException, text: str) -> None:
    """MLflow's message, up to its first quote or colon, leads ours; ours also says
    where the mistake is (the filter bar's caret)."""
    if text in OUR_OWN_MESSAGES:
        assert OUR_OWN_MESSAGES[text] in str(ours)
    else:
        head = re.split(r"[:'{]", theirs.message)[0].strip()
        assert head and head in str(ours), (head, str(ours))
    assert "\n" not in str(ours)
    assert getattr(ours, "position", None) is not None


def _assert_same(world, filter_string, order_by, view=ViewType.ALL, evaluate=_mltui_ids):
    filter_string = resolve(filter_string, world["everything"])
    try:
        expected = _mlflow_ids(world, filter_string, order_by, view)
    except MlflowException as mlflow_error:
        with pytest.raises(StoreError) as ours:
            evaluate(world, filter_string, order_by, view)
        _same_message(ours.value, mlflow_error, filter_string)
        return None
    got = evaluate(world, filter_string, order_by, view)
    names = {v: k for k, v in world["ids"].items()}
    assert [names[i] for i in got] == [names[i] for i in expected]
    return expected


# -- the SQL store -------------------------------------------------------------


@pytest.mark.parametrize("filter_string", VALID_FILTERS, ids=_id)
def test_valid_filter_matches_mlflow(world, filter_string):
    expected = _assert_same(world, filter_string, [])
    # some runs but not all: a filter that selects nothing (or everything) would
    # agree with MLflow whatever mltui did with it
    assert expected is not None and 0 < len(expected) < len(world["runs"])


def test_no_filter_matches_mlflow(world):
    assert len(_assert_same(world, "", [])) == len(world["runs"])


@pytest.mark.parametrize("filter_string", INVALID_FILTERS, ids=_id)
def test_invalid_filter_is_rejected_like_mlflow(world, filter_string):
    assert _assert_same(world, filter_string, []) is None
    with pytest.raises(InvalidSearch):
        parse_filter(filter_string)


@pytest.mark.parametrize("order_by", ORDER_BYS, ids=_id)
def test_order_by_matches_mlflow(world, order_by):
    _assert_same(world, "", order_by)


@pytest.mark.parametrize(
    "filter_string",
    [
        "",
        "metrics.acc > 0.6",
        "run_id IN ('{deleted-run}', '{old-run}', '{bare}')",
        "attributes.run_name LIKE '%run%'",
        "tags.mlflow.runName IS NOT NULL",
    ],
    ids=_id,
)
@pytest.mark.parametrize("view", list(VIEWS), ids=lambda v: v.value)
def test_view_types_match_mlflow(world, filter_string, view):
    _assert_same(world, filter_string, ["metrics.acc DESC"], view)


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("", []),
        ("", ["metrics.score DESC", "attributes.run_name"]),
        ("metrics.loss < 1", ["params.lr", "metrics.acc DESC"]),
        ("attributes.run_name LIKE '%-%'", ["tags.owner"]),
        ("params.lr IS NULL", ["end_time DESC"]),
        ("tags.kind = 'child'", ["metrics.`val/loss` DESC"]),
    ],
    ids=_id,
)
def test_pages_match_mlflow(world, filter_string, order_by):
    """Page by page with page tokens, three runs at a time."""
    client, store = world["client"], world["store"]
    mlflow_token = mltui_token = None
    pages = 0
    while True:
        expected = client.search_runs(
            world["experiment_ids"],
            filter_string,
            run_view_type=MlflowViewType.ALL,
            max_results=3,
            order_by=order_by,
            page_token=mlflow_token,
        )
        got = store.search_runs(
            world["experiment_ids"],
            filter_string,
            order_by,
            view=ViewType.ALL,
            max_results=3,
            page_token=mltui_token,
        )
        assert [r.run_id for r in got.runs] == [r.info.run_id for r in expected]
        assert bool(got.next_page_token) == bool(expected.token)
        pages += 1
        if not expected.token:
            break
        mlflow_token, mltui_token = expected.token, got.next_page_token
    assert pages > 1  # each case matches more than one page of three


# -- the Python evaluator (file store) -----------------------------------------


@pytest.mark.parametrize("filter_string", FILTERS, ids=_id)
def test_python_evaluator_filter_matches_mlflow(world, filter_string):
    _assert_same(world, filter_string, [], evaluate=_python_ids)


@pytest.mark.parametrize("order_by", ORDER_BYS, ids=_id)
def test_python_evaluator_order_matches_mlflow(world, order_by):
    _assert_same(world, "", order_by, evaluate=_python_ids)


@pytest.mark.parametrize("view", list(VIEWS), ids=lambda v: v.value)
def test_python_evaluator_views_match_mlflow(world, view):
    _assert_same(world, "metrics.acc >= 0", ["metrics.acc"], view, evaluate=_python_ids)

