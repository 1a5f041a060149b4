"""What a mutation pass over ``store/search`` found no test for (issue 17, point 6).

Each case compares mltui with MLflow itself: a filter or order_by string with what
MLflow's own parser makes of it (``SearchUtils``, as ``test_search_grammar.py``
does), and a search of the builders' store (made by the real mlflow client) with
``MlflowClient.search_runs``, through mltui's Python evaluator (``run_matches`` +
``sort_runs``: the file store's search) and through the SQL store.
"""

from __future__ import annotations

import pytest
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException
from mlflow.utils.search_utils import SearchUtils

from mltui.columns import parse_columns
from mltui.store.entities import ViewType
from mltui.store.errors import InvalidSearch
from mltui.store.search import (
    ATTRIBUTE,
    METRIC,
    PARAM,
    TAG,
    OrderKey,
    order_by_string,
    parse_filter,
    parse_order_by,
    quote_key,
    run_matches,
    sort_runs,
)
from support.search_cases import resolve

# -- MLflow's parser, the reference -----------------------------------------------------

REJECTED = "rejected"


def mlflow_filter(text: str):
    """(kind, key, comparator, value) of each clause as MLflow's SQL store takes it, or
    REJECTED."""
    try:
        parsed = SearchUtils.parse_search_filter(text)
    except (MlflowException, ValueError, SyntaxError):
        return REJECTED
    out = []
    for clause in parsed:
        kind, comparator = clause["type"], clause["comparator"].upper()
        key = SearchUtils.translate_key_alias(clause["key"])
        try:
            known = (
                SearchUtils.is_string_attribute(kind, key, comparator)
                or SearchUtils.is_numeric_attribute(kind, key, comparator)
                or SearchUtils.is_metric(kind, comparator)
                or SearchUtils.is_param(kind, comparator)
                or SearchUtils.is_tag(kind, comparator)
                or SearchUtils.is_dataset(kind, comparator)
            )
        except MlflowException:
            return REJECTED
        if not known:
            return REJECTED
        value = float(clause["value"]) if kind == "metric" else clause["value"]
        out.append((kind, key, comparator, value))
    return out


def mltui_filter(text: str):
    try:
        return [(c.kind, c.key, c.comparator, c.value) for c in parse_filter(text)]
    except InvalidSearch:
        return REJECTED


def mlflow_order_by(order_by: list[str]):
    out, seen = [], set()
    for clause in order_by:
        try:
            kind, key, ascending = SearchUtils.parse_order_by_for_search_runs(clause)
        except (MlflowException, ValueError):
            return REJECTED
        key = SearchUtils.translate_key_alias(key)
        if kind == "dataset" or (kind, key) in seen:
            return REJECTED
        seen.add((kind, key))
        out.append((kind, key, ascending))
    return out


def mltui_order_by(order_by: list[str]):
    try:
        return [(k.kind, k.key, k.ascending) for k in parse_order_by(order_by)]
    except InvalidSearch:
        return REJECTED


# -- filters and order_by: the same decision and the same clauses as MLflow ------------

FILTERS = [
    # "as" after a dot: sqlparse's alias grouping joins what follows only when it is
    # a word, a `backticked` or a "quoted" part, and not another keyword
    "params.as. IS NULL",
    "params.as.",
    "params.as.`b` IS NULL",
    'params.as."b" IS NULL',
    "params.as.'b' IS NULL",
    "params.as.from IS NULL",
    "params.as.FROM IS NULL",
    "params.as.values IS NOT NULL",
    "params.as.in IS NULL",
    "tags.x.as.`b c` IS NOT NULL",
]

ORDER_BYS = [
    ["params.as."],
    ["params.as.`b`"],
    ['params.as."b"'],
    ["params.as.`b` DESC"],
    ["params.as.'b'"],
    ["params.as.from"],
    ["params.as.using DESC"],
]


@pytest.mark.parametrize("text", FILTERS, ids=repr)
def test_filter_as_mlflow_parses_it(text):
    assert mltui_filter(text) == mlflow_filter(text)


@pytest.mark.parametrize("order_by", ORDER_BYS, ids=repr)
def test_order_by_as_mlflow_parses_it(order_by):
    assert mltui_order_by(order_by) == mlflow_order_by(order_by)


@pytest.mark.xfail(strict=True, reason="MLflow takes a number after 'as.' into the key "
                   "('params.as.1' is the param 'as.1'); mltui rejects it")
@pytest.mark.parametrize("text", ["params.as.1 IS NULL", ["params.as.1"]], ids=repr)
def test_a_number_after_as_dot_is_part_of_the_key(text):
    if isinstance(text, list):
        assert mltui_order_by(text) == mlflow_order_by(text)
    else:
        assert mltui_filter(text) == mlflow_filter(text)


# -- keys written back: completion and the sort key --------------------------------------


@pytest.mark.parametrize(
    ("kind", "key", "typed"),
    [
        (METRIC, "loss", "metrics.loss"),
        (METRIC, "Loss", "metrics.Loss"),
        (PARAM, "_lr", "params._lr"),
        (METRIC, "val.loss", "metrics.val.loss"),
        (TAG, "mlflow.runName", "tags.mlflow.runName"),
        (ATTRIBUTE, "run_name", "attributes.run_name"),
        (METRIC, "val loss", "metrics.`val loss`"),
        (METRIC, "1st", "metrics.`1st`"),
        (PARAM, "from", "params.`from`"),
        (TAG, "a.in.b", "tags.`a.in.b`"),
    ],
)
def test_completion_quotes_a_key_only_when_it_must(kind, key, typed):
    """What completion types for a key: backticks only where a plain key would not
    parse, and MLflow reads it back as the same key."""
    assert quote_key(kind, key) == typed
    parsed = mlflow_filter(f"{typed} = 'x'" if kind != METRIC else f"{typed} = 1")
    assert parsed != REJECTED and parsed[0][:2] == (kind, key)


# -- searches of the builders' store, against MlflowClient -----------------------------


@pytest.fixture(scope="module")
def world(sql_uri):
    from mlflow import MlflowClient

    from mltui.store import open_store

    client = MlflowClient(sql_uri)
    ids = [client.get_experiment_by_name(n).experiment_id for n in ("sweep", "edge cases")]
    everything = client.search_runs(ids, run_view_type=MlflowViewType.ALL, max_results=1000)
    store = open_store(sql_uri)
    runs = store.search_runs(ids, view=ViewType.ALL, max_results=1000).runs
    inputs = {run.run_id: store.get_run(run.run_id).inputs for run in runs}
    yield {"client": client, "store": store, "ids": ids, "everything": everything,
           "runs": runs, "inputs": inputs,
           "names": {r.info.run_id: r.info.run_name for r in everything}}
    store.close()


def _mlflow_names(world, filter_string, order_by=()):
    found = world["client"].search_runs(world["ids"], filter_string,
                                        run_view_type=MlflowViewType.ALL, max_results=1000,
                                        order_by=list(order_by))
    return [r.info.run_name for r in found]


def _evaluated_names(world, filter_string, order_by=()):
    clauses, order = parse_filter(filter_string), parse_order_by(list(order_by))
    chosen = [r for r in world["runs"] if run_matches(r, clauses, world["inputs"][r.run_id])]
    return [world["names"][r.run_id] for r in sort_runs(chosen, order)]


def _sql_names(world, filter_string, order_by=()):
    page = world["store"].search_runs(world["ids"], filter_string, list(order_by),
                                      view=ViewType.ALL, max_results=1000)
    return [world["names"][r.run_id] for r in page.runs]


EVALUATED = [
    # LIKE without % is anchored at both ends: '_2' is "32", not "128"
    "params.batch_size LIKE '_2'",
    "params.batch_size ILIKE '_6'",
]


@pytest.mark.parametrize("filter_string", EVALUATED, ids=repr)
@pytest.mark.parametrize("evaluate", [_evaluated_names, _sql_names], ids=["python", "sql"])
def test_search_selects_what_mlflow_selects(world, filter_string, evaluate):
    text = resolve(filter_string, world["everything"])
    expected = _mlflow_names(world, text)
    assert 0 < len(expected) < len(world["runs"])
    assert evaluate(world, text) == expected


@pytest.mark.parametrize("spec", ["start_time", "run_name", "metrics.acc", "params.lr"])
@pytest.mark.parametrize("ascending", [True, False], ids=["asc", "desc"])
def test_sorting_by_a_column_orders_as_mlflow(world, spec, ascending):
    """``s`` on a column: the order_by the table sends sorts as MLflow's own."""
    column = parse_columns(spec)[0]
    order = column.order_by(ascending)
    key = parse_order_by([order])[0]
    assert (key.kind, key.ascending) == (column.kind, ascending)
    prefix = {METRIC: "metrics", PARAM: "params", ATTRIBUTE: "attributes"}[column.kind]
    plain = f"{prefix}.{column.order_key} {'ASC' if ascending else 'DESC'}"
    expected = _mlflow_names(world, "", [plain])
    assert _sql_names(world, "", [order]) == expected
    assert _evaluated_names(world, "", [order]) == expected
    assert order == order_by_string(OrderKey(column.kind, column.order_key, ascending))
