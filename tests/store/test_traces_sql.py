"""Traces on the SQL backend (sqlite and PostgreSQL), against MlflowClient.

The store is ``support/traces_builder.py``'s, made by the real mlflow client:
every trace's info (tags, request metadata with the token usage MLflow 3.17 keeps
in columns, assessments) and its span tree (from the ``spans`` table, or from
``traces.json`` for the traces whose spans went there) must read as
``MlflowClient.get_trace`` reads them. Then hostile data on a private copy: a
5 MB input, 1,000 nested spans, a lost parent, a parent cycle, span rows whose
content is garbage, a deleted ``traces.json``; and an old schema without traces.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from mltui.store import open_store
from mltui.store.errors import InvalidSearch, ResourceNotFound, StoreError
from mltui.store.span_tree import span_tree
from mltui.store.trace_entities import ARTIFACT_REPO, TRACKING_STORE
from support import trace_fixtures
from support.traces_builder import (
    ARTIFACTS,
    BIG_INPUT,
    DEEP,
    EMPTY,
    HOSTILE,
    HOSTILE_NAME,
    MAIN,
    MAIN_COUNT,
    OTHER,
    RUN_NAME,
)
from support.traces_match import all_traces, assert_same_info, assert_same_spans, eid, mlflow_spans

LEGACY_DB = Path(__file__).resolve().parents[1] / "data" / "mlflow-2.9.2.db"


@pytest.fixture(scope="module", params=["sqlite", "postgresql", "mysql"])
def sql_backend(request):
    if request.param == "sqlite":
        return trace_fixtures.sqlite_backend()
    if request.param == "mysql":
        return trace_fixtures.mysql_backend(request.getfixturevalue("mariadb"))
    return trace_fixtures.pg_backend(request.getfixturevalue("postgres"))


@pytest.fixture(scope="module")
def store(sql_backend):
    s = sql_backend.open()
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(sql_backend):
    return sql_backend.client()


def test_capability_and_counts(store):
    assert store.capabilities.traces
    assert store.has_traces([eid(store, MAIN)])
    assert not store.has_traces([eid(store, EMPTY)])
    assert store.count_traces([eid(store, MAIN)]) == MAIN_COUNT
    assert store.count_traces([eid(store, MAIN), eid(store, OTHER)]) == MAIN_COUNT + 2
    page = store.search_traces([eid(store, MAIN)], count_total=True, max_results=5)
    assert page.total == MAIN_COUNT and len(page.traces) == 5 and page.next_page_token


@pytest.mark.parametrize("name", [MAIN, OTHER, EMPTY, HOSTILE, ARTIFACTS])
def test_infos_match_mlflow(store, client, name):
    ours = all_traces(store, name)
    theirs = client.search_traces(locations=[eid(store, name)], max_results=1000,
                                  include_spans=False)
    assert [t.trace_id for t in ours] == [t.info.trace_id for t in theirs]
    for mine, ref in zip(ours, theirs, strict=True):
        assert_same_info(mine, ref.info)
        assert_same_info(store.get_trace_info(mine.trace_id), ref.info)


def test_main_experiment_content(store):
    traces = all_traces(store, MAIN)
    assert len(traces) == MAIN_COUNT
    assert {t.state for t in traces} == {"OK", "ERROR"}
    assert {t.name for t in traces} == {"agent", "lookup-only"}
    assert sum(1 for t in traces if t.run_id) == 4
    usage = [t.token_usage for t in traces if t.name == "agent" and t.state == "OK"]
    assert usage and all(u and u["total_tokens"] > 0 for u in usage)
    kinds = {a.kind for t in traces for a in t.assessments}
    assert kinds == {"feedback", "expectation"}
    assert any(not a.valid for t in traces for a in t.assessments)  # the overridden one
    assert any(a.error == "judge timed out" for t in traces for a in t.assessments)
    assert any(isinstance(a.value, dict) for t in traces for a in t.assessments)
    assert all(t.spans_location == TRACKING_STORE for t in traces)


@pytest.mark.parametrize("name", [MAIN, OTHER, HOSTILE, ARTIFACTS])
def test_spans_match_mlflow(store, client, name):
    for info in all_traces(store, name):
        ours = store.get_trace_spans(info.trace_id, info)
        assert_same_spans(ours, mlflow_spans(client, info.trace_id))
        assert store.get_trace_spans(info.trace_id) == ours


def test_span_tree_of_a_trace(store):
    trace = next(t for t in all_traces(store, MAIN) if t.name == "agent"
                 and t.trace_metadata.get("mlflow.trace.session") == "session-0")
    nodes = span_tree(store.get_trace_spans(trace.trace_id))
    assert nodes[0].span.name == "agent" and nodes[0].depth == 0
    assert [n.span.name for n in nodes[1:]] == ["lookup", "flaky", "chat"]
    assert all(n.depth == 1 for n in nodes[1:])
    flaky = nodes[2].span
    assert flaky.status_code == "ERROR" and "flaky step" in flaky.status_message
    assert flaky.events[0].name == "exception"
    assert nodes[3].span.span_type == "CHAT_MODEL"


def test_artifact_traces_read_traces_json(store, client):
    traces = all_traces(store, ARTIFACTS)
    assert len(traces) == 3
    for info in traces:
        assert info.spans_location == ARTIFACT_REPO
        spans = store.get_trace_spans(info.trace_id)
        assert spans and spans[0].name == "agent"


def test_run_link(store, client):
    run = client.search_runs([eid(store, MAIN)], f"attributes.run_name = '{RUN_NAME}'")[0]
    linked = store.search_traces([eid(store, MAIN)], f"run_id = '{run.info.run_id}'").traces
    assert len(linked) == 4 and all(t.run_id == run.info.run_id for t in linked)


def test_hostile_payloads_come_back_whole(store, client):
    traces = {t.name: t for t in all_traces(store, HOSTILE)}
    big = store.get_trace_spans(traces["big-input"].trace_id)
    assert len(big[0].inputs["prompt"]) == BIG_INPUT
    deep = store.get_trace_spans(traces["level-0"].trace_id)
    assert len(deep) == DEEP
    nodes = span_tree(deep)
    assert [n.depth for n in nodes] == list(range(DEEP))
    odd = store.get_trace_spans(traces[HOSTILE_NAME].trace_id)
    assert odd[0].name == HOSTILE_NAME and odd[0].inputs == {"[b]key[/b]": "\x1b[2J\x07"}


def test_unknown_trace(store):
    with pytest.raises(ResourceNotFound):
        store.get_trace_info("tr-00000000000000000000000000000000")
    with pytest.raises(ResourceNotFound):
        store.get_trace_spans("tr-00000000000000000000000000000000")


def test_bad_search_fails_before_reading(store):
    with pytest.raises(InvalidSearch) as err:
        store.search_traces([eid(store, MAIN)], "tags.team = red")
    assert err.value.position is not None
    with pytest.raises(InvalidSearch):
        store.search_traces([eid(store, MAIN)], order_by=["foo DESC"])
    with pytest.raises(InvalidSearch):
        store.search_traces([eid(store, MAIN)], page_token="not a token")


# -- hostile data on a private sqlite copy ----------------------------------------------


@pytest.fixture
def copy_db(tmp_path):
    uri = trace_fixtures.copy_of("sqlite", tmp_path)
    return uri, uri.removeprefix("sqlite:///")


def _a_trace(db: str, name: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT request_id FROM trace_info WHERE trace_name = ? "
                            "ORDER BY timestamp_ms LIMIT 1", (name,)).fetchone()[0]


def test_lost_parent_and_cycle(copy_db):
    uri, db = copy_db
    tid = _a_trace(db, "agent")
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT span_id, parent_span_id, name FROM spans WHERE trace_id = ?",
                            (tid,)).fetchall()
        by_name = {name: (sid, parent) for sid, parent, name in rows}
        # the root is lost; lookup and chat point at each other
        conn.execute("DELETE FROM spans WHERE trace_id = ? AND name = 'agent'", (tid,))
        conn.execute("UPDATE spans SET parent_span_id = ? WHERE trace_id = ? AND name = 'lookup'",
                     (by_name["chat"][0], tid))
        conn.execute("UPDATE spans SET parent_span_id = ? WHERE trace_id = ? AND name = 'chat'",
                     (by_name["lookup"][0], tid))
    with open_store(uri) as store:
        spans = store.get_trace_spans(tid)
    assert {s.name for s in spans} == set(by_name) - {"agent"}
    nodes = span_tree(spans)
    assert sorted(n.span.name for n in nodes) == sorted(s.name for s in spans)
    assert all(n.orphan for n in nodes if n.depth == 0)


def test_garbage_span_content(copy_db):
    uri, db = copy_db
    tid = _a_trace(db, "agent")
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE spans SET content = '{not json' WHERE trace_id = ? "
                     "AND name = 'lookup'", (tid,))
        conn.execute("UPDATE spans SET content = '[1, 2]' WHERE trace_id = ? AND name = 'chat'",
                     (tid,))
    with open_store(uri) as store:
        spans = {s.name: s for s in store.get_trace_spans(tid)}
    assert spans["lookup"].span_type == "TOOL" and spans["lookup"].attributes == {}
    assert spans["chat"].parent_id == spans["agent"].span_id
    assert spans["agent"].inputs  # the others still whole


def test_missing_or_broken_traces_json(copy_db, tmp_path):
    uri, db = copy_db
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT t.request_id FROM trace_info t JOIN experiments e "
            "ON e.experiment_id = t.experiment_id WHERE e.name = ? ORDER BY t.timestamp_ms",
            (ARTIFACTS,)).fetchall()
        gone, broken = rows[0][0], rows[1][0]
        for tid, where in ((gone, tmp_path / "gone"), (broken, tmp_path / "broken")):
            where.mkdir()
            conn.execute("UPDATE trace_tags SET value = ? WHERE request_id = ? "
                         "AND key = 'mlflow.artifactLocation'", (where.as_uri(), tid))
    (tmp_path / "broken" / "traces.json").write_text('{"spans": ')
    with open_store(uri) as store:
        with pytest.raises(ResourceNotFound, match=r"traces\.json"):
            store.get_trace_spans(gone)
        with pytest.raises(StoreError, match="not MLflow's format"):
            store.get_trace_spans(broken)
        (tmp_path / "broken" / "traces.json").write_text(json.dumps(
            {"spans": [{"name": "x", "trace_id": "tr-x", "span_id": 7, "events": "no",
                        "attributes": None, "status": "?"}, "not a span", 3]}))
        odd = store.get_trace_spans(broken)
    assert [s.name for s in odd] == ["x"]


def test_schema_without_traces():
    with open_store(f"sqlite:///{LEGACY_DB}") as store:
        assert not store.capabilities.traces
        assert not store.has_traces(["0"])
        with pytest.raises(StoreError, match="no traces"):
            store.search_traces(["0"])
        with pytest.raises(StoreError, match="no traces"):
            store.get_trace_info("tr-1")
