"""The trace search grammar against MLflow's own parser, and the pure parts of the
trace store: span dictionaries of every MLflow era, times, OTLP values, the span
tree over hostile parent ids. No store is opened here."""

from __future__ import annotations

import base64
import math

import pytest

from mltui.store.errors import InvalidSearch
from mltui.store.rest.trace_decode import any_value, otel_span
from mltui.store.search.trace_filters import parse_trace_filter
from mltui.store.search.trace_order import parse_trace_order_by
from mltui.store.span_tree import span_tree
from mltui.store.trace_decode import (
    assessment_from_dict,
    duration_ms,
    iso_ms,
    span_from_dict,
    spans_from_json,
    trace_info_from_dict,
)
from mltui.store.trace_entities import Span

ACCEPTED = [
    "status = 'OK'", "name = 'x'", "trace.status = 'OK'", "timestamp_ms > 5", "timestamp > 5",
    "execution_time_ms > 5", "execution_time > 5.5", "tags.team = 'a'",
    "metadata.`mlflow.sourceRun` = 'x'", "request_metadata.mlflow.user = 'root'",
    "span.name = 'add'", "span.type = 'TOOL'", "span.status = 'ERROR'",
    "span.attributes.mlflow.spanFunctionName LIKE '%add%'", "feedback.quality > 0.5",
    "expectation.expected = '2'", "run_id = 'x'", "client_request_id = 'x'",
    "status IN ('OK','ERROR')", "tags.x IS NULL", "end_time_ms > 5", "trace.name = 'x'",
    "tags.Name = 'x'", "attributes.request_id = 'x'", 'status = "OK"', "status RLIKE 'O.*'",
    "metadata.x IS NOT NULL", "span.content LIKE '%a%'", "issue.id = 'x'", "prompt = 'a/1'",
    "tags.team = 'a' AND status = 'OK'", "status = 'OK' status = 'ERROR'",
    "timestamp_ms > 5 AND timestamp_ms < 10", "tags.`a b` = 'x'", "tag.x LIKE 'a%'",
    "status != 'OK'", "attributes.name ILIKE '%root%'", "attributes.text ILIKE '%x%'",
    "span.name IN ('a','b')", "feedback.q IS NULL", "issue.name = 'x'", "feedback.q <= 1",
    "AND status = 'OK' AND", "span.status NOT IN ('OK')",
]
REJECTED_BY_MLFLOW_PARSER = [
    "timestamp >= 5.5", "text ILIKE '%bad%'", "status = OK", "tags.x = 5", "feedback.q = 1",
    "feedback.q > '1'", "span.foo = 'x'", "foo.bar = 'x'", "experiment_id = '1'",
    "status = 'OK' OR status = 'ERROR'", "status", "status =", "(status = 'OK')",
    "status = 'OK'; name = 'x'", "span.attributes. = 'x'", "status IN ()",
    "span.content = 'x'",
]
REJECTED_BY_MLFLOW_STORE = [
    # MLflow parses these, then its stores refuse them: refused while parsing here
    "name IN ('a')", "tags.x IN ('a')", "run_id IN ('a')", "execution_time_ms IS NULL",
    "status IS NULL", "prompt = 'x'", "prompt != 'a/1'", "issue.other = 'x'",
    "timestamp_ms LIKE 'x%'",
]


def mlflow_parse(text: str):
    from mlflow.utils.search_utils import SearchTraceUtils

    return [(c["type"], c["key"], c["comparator"], c["value"])
            for c in SearchTraceUtils.parse_search_filter_for_search_traces(text)]


def ours(text: str):
    return [(c.kind, c.key, c.comparator, c.value) for c in parse_trace_filter(text)]


@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_as_mlflow_parses(text):
    assert ours(text) == mlflow_parse(text)


@pytest.mark.parametrize("text", REJECTED_BY_MLFLOW_PARSER)
def test_rejected_as_mlflow(text):
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException):
        mlflow_parse(text)
    with pytest.raises(InvalidSearch):
        parse_trace_filter(text)


@pytest.mark.parametrize("text", REJECTED_BY_MLFLOW_STORE)
def test_store_refusals_come_first(text):
    mlflow_parse(text)  # MLflow's parser takes it; its store refuses
    with pytest.raises(InvalidSearch):
        parse_trace_filter(text)


def test_error_position_and_hint():
    with pytest.raises(InvalidSearch) as err:
        parse_trace_filter("tags.team = 'a' AND status = OK")
    assert err.value.position == len("tags.team = 'a' AND status = ")
    with pytest.raises(InvalidSearch, match=r"attributes\.text"):
        parse_trace_filter("text LIKE '%a%'")
    with pytest.raises(InvalidSearch, match="number"):
        parse_trace_filter("execution_time_ms > '5'")


@pytest.mark.parametrize("order", [
    "timestamp_ms DESC", "execution_time_ms", "name ASC", "tags.x", "metadata.`mlflow.user` DESC",
    "run_id", "status DESC", "timestamp", "experiment_id", "request_id desc", "tags.`a b` ASC",
])
def test_order_by_as_mlflow(order):
    from mlflow.utils.search_utils import SearchTraceUtils

    key = parse_trace_order_by([order])[0]
    assert (key.kind, key.key, key.ascending) == \
        SearchTraceUtils.parse_order_by_for_search_traces(order)


@pytest.mark.parametrize("order", ["foo", " timestamp_ms", "timestamp_ms DESC ",
                                   "timestamp_ms up", "span.name", "a b c"])
def test_order_by_refused(order):
    with pytest.raises(InvalidSearch):
        parse_trace_order_by([order])


# -- span dictionaries of each era ----------------------------------------------------------

def _b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def test_span_dict_v3_base64():
    span = span_from_dict({
        "trace_id": _b64("0" * 31 + "1"), "span_id": _b64("00000000000000ab"),
        "parent_span_id": _b64("00000000000000cd"), "name": "n",
        "start_time_unix_nano": 5, "end_time_unix_nano": 9,
        "status": {"code": "STATUS_CODE_ERROR", "message": "bad"},
        "attributes": {"mlflow.spanType": '"LLM"', "mlflow.spanInputs": '{"q": 1}',
                       "raw": "not json", "n": 3},
        "events": [{"name": "e", "time_unix_nano": 7, "attributes": {"k": "v"}}],
    }, "tr-1")
    assert (span.span_id, span.parent_id) == ("00000000000000ab", "00000000000000cd")
    assert (span.span_type, span.status_code, span.status_message) == ("LLM", "ERROR", "bad")
    assert span.inputs == {"q": 1} and span.attributes["raw"] == "not json"
    assert span.attributes["n"] == 3 and span.duration_ns == 4
    assert span.events[0].timestamp_ns == 7


def test_span_dict_hex_and_v2():
    hexed = span_from_dict({"trace_id": "tr-abc", "span_id": "ab", "parent_span_id": None,
                            "name": "h", "start_time_unix_nano": "1",
                            "status": {"code": "OK"}, "attributes": {}}, "tr-abc")
    assert hexed.span_id == "00000000000000ab" and hexed.status_code == "OK"
    old = span_from_dict({
        "name": "old", "context": {"span_id": "0x00000000000000ef", "trace_id": "0x1"},
        "parent_id": "0x0000000000000001", "start_time": 1, "end_time": 2,
        "status_code": "ERROR", "status_message": "m",
        "attributes": {"mlflow.spanOutputs": "[1, 2]"},
        "events": [{"name": "x", "timestamp": 3, "attributes": {}}],
    }, "tr-old")
    assert (old.span_id, old.parent_id, old.outputs) == ("00000000000000ef",
                                                         "0000000000000001", [1, 2])
    assert old.status_code == "ERROR" and old.events[0].timestamp_ns == 3


def test_traces_json_order_and_junk():
    spans = spans_from_json(b'{"spans": [{"name": "child", "span_id": "02", "parent_span_id":'
                            b' "01", "start_time_unix_nano": 1, "trace_id": "tr-x"},'
                            b' 5, {"name": "root", "span_id": "01", "start_time_unix_nano": 2,'
                            b' "parent_span_id": null, "trace_id": "tr-x"}]}', "tr-x")
    assert [s.name for s in spans] == ["root", "child"]
    with pytest.raises(ValueError):
        spans_from_json(b"nope", "tr-x")


def test_times():
    assert iso_ms("1970-01-01T00:00:01.5Z") == 1500
    assert iso_ms("1970-01-01T00:00:01.123456789Z") == 1123
    assert iso_ms("1970-01-01T00:00:02Z") == 2000
    assert iso_ms("1970-01-01T01:00:00+01:00") == 0
    assert iso_ms("garbage") is None and iso_ms(None) is None and iso_ms(42) == 42
    assert duration_ms("0.332s") == 332 and duration_ms("3s") == 3000
    assert duration_ms("x") is None and duration_ms(7) == 7


def test_trace_info_dicts():
    v3 = trace_info_from_dict({
        "trace_id": "tr-1", "trace_location": {"mlflow_experiment": {"experiment_id": "4"}},
        "request_time": "1970-01-01T00:00:01Z", "execution_duration": "0.5s", "state": "OK",
        "tags": {"a": "b"}, "trace_metadata": {"mlflow.trace.tokenUsage": '{"total_tokens": 3}'},
        "assessments": [{"assessment_id": "a-1", "assessment_name": "q", "feedback": {
            "error": {"error_code": "E", "error_message": "boom"}}, "valid": False}],
    })
    assert (v3.experiment_id, v3.request_time, v3.execution_duration) == ("4", 1000, 500)
    assert v3.token_usage == {"total_tokens": 3}
    assert v3.assessments[0].error == "boom" and not v3.assessments[0].valid
    v2 = trace_info_from_dict({"request_id": "tr-2", "experiment_id": "1", "timestamp_ms": 5,
                               "execution_time_ms": 6, "status": "TRACE_STATUS_UNSPECIFIED",
                               "tags": [{"key": "k", "value": "v"}]})
    assert (v2.trace_id, v2.state, v2.tags) == ("tr-2", "STATE_UNSPECIFIED", {"k": "v"})
    assert v2.token_usage is None


def test_assessment_dicts():
    serialized = assessment_from_dict({"assessment_id": "a", "assessment_name": "facts",
                                       "expectation": {"serialized_value": {
                                           "serialization_format": "JSON_FORMAT",
                                           "value": '{"x": [1]}'}}})
    assert serialized is not None and serialized.value == {"x": [1]}
    assert serialized.kind == "expectation" and serialized.valid
    assert assessment_from_dict({"assessment_name": "neither"}) is None


def test_otlp_values():
    assert any_value({"int_value": "9007199254740993"}) == 9007199254740993
    assert math.isnan(any_value({"double_value": "NaN"}))
    assert any_value({"array_value": {"values": [{"bool_value": True}, {}]}}) == [True, None]
    assert any_value({"kvlist_value": {"values": [{"key": "k", "value": {"string_value": "v"}}]}}) \
        == {"k": "v"}
    assert any_value({"bytes_value": base64.b64encode(b"\x00\x01").decode()}) == b"\x00\x01"
    attributes = [{"key": "mlflow.spanType", "value": {"string_value": "TOOL"}},
                  {"key": "mlflow.spanInputs", "value": {"string_value": "{}"}}]
    span = otel_span({"span_id": _b64("00000000000000aa"), "name": "s",
                      "start_time_unix_nano": "10", "status": {"code": "STATUS_CODE_UNSET"},
                      "attributes": attributes}, "tr-1")
    assert (span.span_id, span.parent_id, span.span_type, span.inputs) == \
        ("00000000000000aa", None, "TOOL", "{}")


# -- the span tree over hostile ids ----------------------------------------------------------

def _span(sid: str, parent: str | None, start: int = 0) -> Span:
    return Span(trace_id="tr", span_id=sid, parent_id=parent, name=sid, start_time_ns=start)


def test_tree_orders_children_by_start():
    nodes = span_tree([_span("c2", "r", 3), _span("r", None, 0), _span("c1", "r", 1),
                       _span("g", "c1", 2)])
    assert [(n.span.span_id, n.depth, n.child_count) for n in nodes] == [
        ("r", 0, 2), ("c1", 1, 1), ("g", 2, 0), ("c2", 1, 0)]


def test_tree_orphans_cycles_self_parents_duplicates():
    spans = [_span("r", None, 0), _span("lost", "missing", 1), _span("a", "b", 2),
             _span("b", "a", 3), _span("me", "me", 4), _span("r", None, 5), _span("k", "r", 6)]
    nodes = span_tree(spans)
    assert len(nodes) == len(spans)
    assert sorted(id(n.span) for n in nodes) == sorted(id(s) for s in spans)
    orphans = {n.span.span_id for n in nodes if n.orphan}
    assert {"lost", "a", "me"} <= orphans and "r" not in orphans


def test_tree_deep_chain_without_recursion():
    chain = [_span("0", None, 0)] + [_span(str(i), str(i - 1), i) for i in range(1, 20_000)]
    nodes = span_tree(list(reversed(chain)))
    assert [n.depth for n in nodes] == list(range(20_000))
