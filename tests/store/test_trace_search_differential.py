"""Trace searches, differential: mltui's ``search_traces`` against
``MlflowClient.search_traces`` on sqlite, an mlruns folder, a real mlflow server
and PostgreSQL, over the traces ``support/traces_builder.py`` makes.

Each filter must match some but not all of the main experiment's traces (checked
on MLflow's own answer), so a filter that is ignored, or one that matches
nothing, cannot pass. Ids and order must be equal; filters MLflow refuses must be
refused. Where MLflow's file store fails on a valid search (``end_time``,
``RLIKE``: it raises; sorting by a tag or metadata: it refuses) mltui answers as
its SQL store does, checked against MLflow's unfiltered answer.
"""

from __future__ import annotations

import os
import re

import pytest

from mltui.store.errors import InvalidSearch
from support import trace_fixtures
from support.traces_builder import MAIN, MAIN_COUNT, OTHER, RUN_NAME

pytestmark = pytest.mark.slow

FILTERS = [
    "attributes.status = 'OK'",
    "trace.status = 'ERROR'",
    "status != 'OK'",
    "attributes.status IN ('ERROR', 'IN_PROGRESS')",
    "status NOT IN ('ERROR')",
    "status LIKE 'E%'",
    "tags.team = 'red'",
    "tags.team != 'blue'",
    "tags.priority IS NULL",
    "tags.priority IS NOT NULL",
    "tags.team LIKE 'r%'",
    "tags.team ILIKE 'R%'",
    "tags.team RLIKE '^(red|green)$'",
    "name = 'agent'",
    "trace.name LIKE 'look%'",
    "tags.`mlflow.traceName` = 'lookup-only'",
    "timestamp_ms > {t_mid}",
    "timestamp <= {t_mid}",
    "trace.timestamp_ms >= {t_mid} AND timestamp_ms < {t_late}",
    "execution_time_ms > {d_mid}",
    "execution_time < {d_mid}",
    "end_time_ms > {e_mid}",
    "run_id = '{run_id}'",
    "metadata.`mlflow.trace.user` = 'user-1'",
    "request_metadata.`mlflow.trace.session` = 'session-1'",
    "metadata.`mlflow.trace.session` != 'session-1'",
    "metadata.`mlflow.trace.session` IS NOT NULL",
    "metadata.`mlflow.trace.tokenUsage` IS NOT NULL",
    "metadata.`mlflow.trace.tokenUsage` IS NULL",
    "metadata.`mlflow.sourceRun` IS NULL",
    "client_request_id = 'req-8'",
    "client_request_id LIKE 'req-%'",
    "attributes.request_id = '{trace_id}'",
    "request_id IN ('{trace_id}', '{trace_id2}')",
    "span.name = 'flaky'",
    "span.type = 'CHAT_MODEL'",
    "span.status = 'ERROR'",
    "span.name = 'flaky' AND span.status = 'ERROR'",
    "span.name IN ('flaky', 'nothing')",
    "span.attributes.mlflow.spanFunctionName LIKE '%flaky%'",
    "attributes.text ILIKE '%gave up%'",
    "span.content LIKE '%flaky step%'",
    "feedback.relevance > 0.3",
    "feedback.relevance <= 0.3",
    "feedback.relevance IS NOT NULL",
    "feedback.relevance IS NULL",
    "feedback.correct = 'true'",
    "feedback.tone = 'friendly'",
    "expectation.expected_answer LIKE '%answer 1%'",
    "expectation.expected_answer IS NOT NULL",
    "tags.team = 'red' AND status = 'OK'",
    "name = 'agent' AND execution_time_ms > {d_mid} AND tags.priority IS NULL",
]

ORDERS = [
    [],
    ["timestamp_ms ASC"],
    ["execution_time_ms DESC"],
    ["execution_time ASC"],
    ["status DESC"],
    ["status ASC", "timestamp_ms ASC"],
    ["request_id DESC"],
    ["experiment_id"],
    ["name ASC"],
    ["name DESC", "execution_time_ms DESC"],
    ["tags.team DESC"],
    ["run_id"],
    ["metadata.`mlflow.trace.user` ASC", "timestamp ASC"],
]

REFUSED_FILTERS = [
    "name IN ('agent')",
    "tags.team IN ('red')",
    "run_id IN ('x')",
    "execution_time_ms IS NULL",
    "status IS NULL",
    "status = OK",
    "tags.team = 5",
    "feedback.relevance = 1",
    "feedback.relevance > '1'",
    "span.foo = 'x'",
    "span.content = 'x'",
    "foo.bar = 'x'",
    "experiment_id = '1'",
    "prompt = 'no-slash'",
    "text ILIKE '%x%'",
    "timestamp >= 5.5",
    "tags.team = 'red' OR tags.team = 'blue'",
    "status = 'OK'; status = 'ERROR'",
    "issue.other = 'x'",
    "status ~ 'OK'",
]

REFUSED_ORDERS = [
    ["foo"],
    ["tags.team DESC", "tags.team ASC"],
    ["metadata.`mlflow.trace.tokenUsage`"],
    ["timestamp_ms sideways"],
    ["span.name"],
]

MLFLOW_FILE_FAILS = ("end_time", "RLIKE")
"""Valid filters MLflow's file store crashes on (no such attribute; no RLIKE)."""


@pytest.fixture(scope="module", params=["sqlite", "file", "rest", "postgresql"])
def backend(request):
    kind = request.param
    if kind == "sqlite":
        return trace_fixtures.sqlite_backend()
    if kind == "file":
        return trace_fixtures.file_backend()
    if kind == "rest":
        return trace_fixtures.rest_backend()
    return trace_fixtures.pg_backend(request.getfixturevalue("postgres"))


@pytest.fixture(scope="module")
def store(backend):
    s = backend.open()
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(backend):
    return backend.client()


@pytest.fixture(scope="module")
def world(store, client):
    """The main experiment's id, MLflow's traces of it, and the values the filter
    templates need (times and ids differ between builds)."""
    exp = store.get_experiment_by_name(MAIN).experiment_id
    infos = [t.info for t in client.search_traces(locations=[exp], max_results=500,
                                                  include_spans=False)]
    assert len(infos) == MAIN_COUNT
    times = sorted(i.request_time for i in infos)
    durations = sorted(i.execution_duration for i in infos)
    ends = sorted(i.request_time + i.execution_duration for i in infos)
    run = client.search_runs([exp], f"attributes.run_name = '{RUN_NAME}'")[0]
    values = {
        "t_mid": times[len(times) // 2], "t_late": times[-3],
        "d_mid": _between(durations), "e_mid": ends[len(ends) // 3],
        "run_id": run.info.run_id, "trace_id": infos[3].trace_id,
        "trace_id2": infos[8].trace_id,
    }
    return exp, infos, values


def mlflow_ids(client, exps, text, order):
    found = client.search_traces(locations=exps, filter_string=text, order_by=order,
                                 max_results=500, include_spans=False)
    return [t.info.trace_id for t in found]


def mlflow_refuses(client, exps, text, order) -> None:
    """MLflow's client refuses the search. A tracking server answers such a search
    with a 500, which MLflow's client retries with backoff for about a minute: once
    is enough to know (the suite spent four minutes on five refused orders)."""
    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES",
                                            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR")}
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR"] = "0"
    try:
        with pytest.raises(Exception):  # noqa: B017 - whatever MLflow raises
            mlflow_ids(client, exps, text, order)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def our_ids(store, exps, text, order):
    return [t.trace_id for t in store.search_traces(exps, text, order, max_results=500).traces]


def _database_only(text: str) -> bool:
    return bool(re.search(r"\b(span|feedback|expectation|issue)\.|attributes\.text", text))


@pytest.mark.parametrize("template", FILTERS)
def test_filter(store, client, backend, world, template):
    exp, infos, values = world
    text = template.format(**values)
    if backend.kind == "file" and _database_only(text):
        with pytest.raises(InvalidSearch, match="need a database"):
            store.search_traces([exp], text)
        with pytest.raises(Exception):  # noqa: B017 - MLflow's file store refuses too
            mlflow_ids(client, [exp], text, [])
        return
    ours = our_ids(store, [exp], text, [])
    if backend.kind == "file" and any(word in text for word in MLFLOW_FILE_FAILS):
        expected = [i.trace_id for i in infos if _python_match(i, text, values)]
    else:
        expected = mlflow_ids(client, [exp], text, [])
    assert 0 < len(expected) < MAIN_COUNT, f"{text} must match some traces, not all"
    assert ours == expected


def _python_match(info, text: str, values: dict) -> bool:
    """The two filters MLflow's file store cannot answer, answered by hand."""
    if text.startswith("end_time_ms"):
        return info.request_time + info.execution_duration > values["e_mid"]
    if "RLIKE" in text:
        return info.tags.get("team") in ("red", "green")
    raise AssertionError(text)


@pytest.mark.parametrize("order", ORDERS, ids=lambda o: ",".join(o) or "default")
@pytest.mark.parametrize("text", ["", "attributes.status = 'OK'", "tags.team != 'green'"])
def test_order(store, client, backend, world, order, text):
    exp = world[0]
    ours = our_ids(store, [exp], text, order)
    if backend.kind == "file" and any(o.startswith(("name", "tags.", "run_id", "metadata."))
                                      for o in order):
        # MLflow's file store sorts by attributes only: compare with the SQL rule
        assert sorted(ours) == sorted(mlflow_ids(client, [exp], text, []))
        return
    assert ours == mlflow_ids(client, [exp], text, order)


def test_several_experiments(store, client):
    exps = [store.get_experiment_by_name(n).experiment_id for n in (MAIN, OTHER)]
    for text in ("", "tags.team = 'green'"):
        ours = our_ids(store, exps, text, ["timestamp_ms ASC"])
        assert ours == mlflow_ids(client, exps, text, ["timestamp_ms ASC"])
        assert len(ours) > (3 if text else MAIN_COUNT)


@pytest.mark.parametrize("order", [[], ["execution_time_ms DESC"], ["status ASC"]])
def test_pages(store, world, order):
    exp = world[0]
    whole = our_ids(store, [exp], "", order)
    got, token = [], None
    while True:
        page = store.search_traces([exp], order_by=order, max_results=5, page_token=token)
        got += [t.trace_id for t in page.traces]
        token = page.next_page_token
        if not token:
            break
    assert got == whole
    offset_page = store.query_traces(page_query(exp, order), max_results=4, offset=6)
    assert [t.trace_id for t in offset_page.traces] == whole[6:10]


def page_query(exp, order):
    from mltui.store.trace_entities import TraceQuery

    return TraceQuery.of([exp], "", order)


@pytest.mark.parametrize("text", REFUSED_FILTERS)
def test_refused_filter(store, client, backend, world, text):
    exp = world[0]
    with pytest.raises(InvalidSearch):
        store.search_traces([exp], text)
    if backend.kind != "file":  # the file store skips the checks of the SQL store
        mlflow_refuses(client, [exp], text, [])


def test_refused_by_the_database(store, client, backend, world):
    """Token usage is columns in MLflow 3.17's trace_info: LIKE cannot be asked of it
    there; on an mlruns folder it is a metadata text like any other."""
    exp, text = world[0], "metadata.`mlflow.trace.tokenUsage` LIKE '%total_tokens%'"
    if backend.kind == "file":
        assert our_ids(store, [exp], text, []) == mlflow_ids(client, [exp], text, [])
        return
    with pytest.raises(InvalidSearch, match="reserved metadata"):
        store.search_traces([exp], text)
    mlflow_refuses(client, [exp], text, [])


@pytest.mark.parametrize("order", REFUSED_ORDERS, ids=str)
def test_refused_order(store, client, backend, world, order):
    exp = world[0]
    with pytest.raises(InvalidSearch):
        store.search_traces([exp], "", order)
    mlflow_refuses(client, [exp], "", order)


def test_filter_error_comes_before_token_error(store, world):
    with pytest.raises(InvalidSearch, match="Invalid comparator"):
        store.search_traces([world[0]], "status IS NULL", page_token="garbage")
    with pytest.raises(InvalidSearch, match="page token"):
        store.search_traces([world[0]], "status = 'OK'", page_token="garbage")


def _between(durations: list[int]) -> int:
    """A duration some traces are under and some over: the median could be the
    shortest when most traces take the same few milliseconds (a busy machine), and
    'execution_time < median' then matched nothing."""
    distinct = sorted(set(durations))
    assert len(distinct) >= 3, f"the traces' durations hardly differ: {distinct}"
    return distinct[len(distinct) // 2]
