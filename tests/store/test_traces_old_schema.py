"""Traces in a database MLflow 3.10.1 wrote (its own client, in its own virtualenv):
the trace name and ``team`` tags live in ``trace_tags``, the session and token
usage in ``trace_request_metadata`` (MLflow 3.17 keeps them in ``trace_info``
columns). Every trace, its spans and a set of searches must read as that
release's ``MlflowClient`` read them (``support/old_traces.py``).
"""

from __future__ import annotations

import json

import pytest

from mltui.store import open_store
from support.old_traces import SEARCHES, old_trace_store
from support.traces_match import info_view, span_view

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world():
    folder = old_trace_store()
    expected = json.loads((folder / "dump.json").read_text())
    with open_store(f"sqlite:///{folder / 'mlflow.db'}") as store:
        yield store, expected


def _plain(value):
    """Our views as the JSON dump holds theirs (tuples as lists, bytes as repr)."""
    return json.loads(json.dumps(value, default=repr))


def test_old_schema_has_no_promoted_columns(world):
    store, expected = world
    assert expected["mlflow"] == "3.10.1"
    assert store.capabilities.traces
    assert not store.schema.has("trace_info", "trace_name")


def test_every_trace_and_span_as_mlflow_3_10_reads_it(world):
    store, expected = world
    assert expected["experiments"]["traces-main"]
    for name, traces in expected["experiments"].items():
        experiment = store.get_experiment_by_name(name).experiment_id
        ours = store.search_traces([experiment], max_results=500).traces
        assert [t.trace_id for t in ours] == [t["info"]["trace_id"] for t in traces]
        for mine, ref in zip(ours, traces, strict=True):
            assert _plain(info_view(mine)) == ref["info"]
            spans = _plain([span_view(s) for s in store.get_trace_spans(mine.trace_id, mine)])
            assert {s["span_id"]: s for s in spans} == {s["span_id"]: s for s in ref["spans"]}


@pytest.mark.parametrize("index", range(len(SEARCHES)), ids=lambda i: repr(SEARCHES[i]))
def test_searches_as_mlflow_3_10(world, index):
    store, expected = world
    text, order = SEARCHES[index]
    reference = expected["searches"][index]
    experiment = store.get_experiment_by_name("traces-main").experiment_id
    ours = [t.trace_id for t in store.search_traces([experiment], text, order,
                                                    max_results=500).traces]
    if isinstance(reference, str):
        # MLflow 3.10 predates the numeric feedback comparisons of 3.17's grammar,
        # which mltui follows: check the answer by hand
        assert "Expected a quoted string value for feedback" in reference
        relevant = {t.trace_id for t in store.search_traces([experiment], max_results=500).traces
                    if any(a.name == "relevance" and a.valid and isinstance(a.value, float)
                           and a.value > 0.3 for a in t.assessments)}
        assert set(ours) == relevant and ours
    else:
        assert ours == reference
