"""Traces through a real ``mlflow server`` (REST API 3.0), against MlflowClient.

The server runs on 127.0.0.1 over a copy of the traces sqlite store. Infos come
from ``traces/search`` and ``traces/<id>``; spans from ``traces/get`` (the spans
table) or the server's ``traces.json`` route; each must read as MlflowClient
(talking to the same server) reads it.
"""

from __future__ import annotations

import pytest

from mltui.store.errors import InvalidSearch, ResourceNotFound
from mltui.store.span_tree import span_tree
from mltui.store.trace_entities import ARTIFACT_REPO, TRACKING_STORE
from support import trace_fixtures
from support.traces_builder import (
    ARTIFACTS,
    BIG_INPUT,
    DEEP,
    EMPTY,
    HOSTILE,
    MAIN,
    MAIN_COUNT,
    OTHER,
)
from support.traces_match import all_traces, assert_same_info, assert_same_spans, eid

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend():
    return trace_fixtures.rest_backend()


@pytest.fixture(scope="module")
def store(backend):
    s = backend.open()
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(backend):
    return backend.client()


def test_capability(store):
    assert store.capabilities.traces
    assert store.has_traces([eid(store, MAIN)])
    assert not store.has_traces([eid(store, EMPTY)])
    assert store.count_traces([eid(store, MAIN)]) == MAIN_COUNT


@pytest.mark.parametrize("name", [MAIN, OTHER, EMPTY, HOSTILE, ARTIFACTS])
def test_infos_and_spans_match_mlflow(store, client, name):
    ours = all_traces(store, name)
    theirs = client.search_traces(locations=[eid(store, name)], max_results=500,
                                  include_spans=False)
    assert [t.trace_id for t in ours] == [t.info.trace_id for t in theirs]
    for mine, ref in zip(ours, theirs, strict=True):
        assert_same_info(mine, ref.info)
        assert_same_info(store.get_trace_info(mine.trace_id), ref.info)
        assert_same_spans(store.get_trace_spans(mine.trace_id, mine),
                          client.get_trace(mine.trace_id).data.spans)


def test_both_span_routes(store):
    stored = all_traces(store, MAIN)[0]
    artifact = all_traces(store, ARTIFACTS)[0]
    assert stored.spans_location == TRACKING_STORE
    assert artifact.spans_location == ARTIFACT_REPO
    # the spans table through traces/get, and the same spans through the server's
    # traces.json route (which serves table-backed traces too)
    assert store.traces._artifact_spans(stored.trace_id) == store.get_trace_spans(stored.trace_id)
    assert store.get_trace_spans(artifact.trace_id)


def test_pages_follow_tokens(store):
    experiment = eid(store, MAIN)
    whole = [t.trace_id for t in all_traces(store, MAIN)]
    got, token, totals = [], None, []
    while True:
        page = store.search_traces([experiment], max_results=4, page_token=token,
                                   count_total=True)
        got += [t.trace_id for t in page.traces]
        totals.append(page.total)
        token = page.next_page_token
        if not token:
            break
    assert got == whole
    assert totals[:-1] == [None] * (len(totals) - 1) and totals[-1] == MAIN_COUNT


def test_hostile_payloads(store):
    traces = {t.name: t for t in all_traces(store, HOSTILE)}
    big = store.get_trace_spans(traces["big-input"].trace_id)
    assert len(big[0].inputs["prompt"]) == BIG_INPUT
    assert [n.depth for n in span_tree(store.get_trace_spans(traces["level-0"].trace_id))] \
        == list(range(DEEP))


def test_errors(store):
    with pytest.raises(ResourceNotFound):
        store.get_trace_info("tr-00000000000000000000000000000000")
    with pytest.raises(ResourceNotFound):
        store.get_trace_spans("tr-00000000000000000000000000000000")
    with pytest.raises(InvalidSearch) as err:  # parsed here, with the position
        store.search_traces([eid(store, MAIN)], "status = OK")
    assert err.value.position == len("status = ")
    with pytest.raises(InvalidSearch):  # what only the server knows is refused too
        store.search_traces([eid(store, MAIN)], "metadata.`mlflow.trace.tokenUsage` LIKE '%'")
