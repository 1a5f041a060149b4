"""The trace screen's rows, bars and detail computed without a terminal, on spans
built directly: the shapes MLflow never writes but a store may hold (a lost
parent, a cycle of parents, 10,000 nested spans, a 5 MB input, hostile names)."""

from __future__ import annotations

import re
import time

from mltui.store.trace_entities import (
    SPAN_INPUTS,
    Assessment,
    Span,
    SpanEvent,
    TraceInfo,
)
from mltui.views.trace_detail import (
    TEXT_LIMIT,
    VALUE_LIMIT,
    assessment_groups,
    section,
    span_detail,
    trace_summary,
    whole_text,
)
from mltui.views.trace_view import TraceTree, format_ns, indent, waterfall_layout
from mltui.widgets.text_lines import fold

MS = 1_000_000
T0 = 1_700_000_000_000 * MS
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def span(sid: str, parent: str | None, start_ms: float, end_ms: float | None, name: str = "",
         **kw) -> Span:
    return Span("tr-1", sid, parent, name or sid, start_time_ns=T0 + int(start_ms * MS),
                end_time_ns=None if end_ms is None else T0 + int(end_ms * MS), **kw)


def small() -> list[Span]:
    # root 0-100 ms: a (10-40) with a1 (15-20), b (50-100, failed)
    return [
        span("b", "root", 50, 100, status_code="ERROR", span_type="TOOL"),
        span("a1", "a", 15, 20),
        span("root", None, 0, 100, span_type="AGENT"),
        span("a", "root", 10, 40),
    ]


def names(tree: TraceTree) -> list[tuple[int, str]]:
    return [(tree.row(i).depth, tree.row(i).span.name) for i in range(len(tree))]


def test_rows_are_the_tree_in_order_with_offsets_from_the_trace_start():
    tree = TraceTree(small())
    assert names(tree) == [(0, "root"), (1, "a"), (2, "a1"), (1, "b")]
    a1 = tree.row(2)
    assert a1.offset_ns == 15 * MS and a1.duration_ns == 5 * MS
    assert tree.total_ns == 100 * MS
    assert [tree.parent[tree.row(i).index] for i in range(4)] == [-1, 0, 1, 0]
    assert tree.row(0).has_children and not tree.row(2).has_children


def test_folding_hides_the_subtree_and_reveal_opens_the_parents():
    tree = TraceTree(small())
    tree.collapse(0)
    assert names(tree) == [(0, "root")]
    assert not tree.row(0).expanded
    assert not tree.collapse(0)  # already folded
    line = tree.reveal(2)  # a1: opens root (a was not folded)
    assert names(tree)[line] == (2, "a1") and len(tree) == 4
    tree.collapse(1)
    assert names(tree) == [(0, "root"), (1, "a"), (1, "b")]
    assert tree.row_of(2) is None
    tree.toggle(1)
    assert len(tree) == 4
    tree.collapse_below(0)
    assert len(tree) == 1
    tree.expand_all()
    assert len(tree) == 4


def test_bars_share_one_timeline():
    tree = TraceTree(small())
    bars = {tree.row(i).span.name: tree.bar(tree.row(i).index, 100) for i in range(4)}
    assert bars == {"root": (0, 100), "a": (10, 40), "a1": (15, 20), "b": (50, 100)}
    # narrow: every span keeps at least one cell, none goes past the end
    for width in (1, 3, 7):
        for i in range(4):
            first, last = tree.bar(tree.row(i).index, width)
            assert 0 <= first < last <= width
    assert tree.bar(0, 0) == (0, 0)


def test_open_spans_run_to_the_end_and_zero_length_traces_fill_the_bar():
    tree = TraceTree([span("r", None, 0, 10), span("open", "r", 5, None)])
    row = tree.row(1)
    assert row.duration_ns is None and format_ns(row.duration_ns) == "…"
    assert tree.bar(row.index, 10) == (5, 10)
    flat = TraceTree([span("x", None, 0, 0), span("y", "x", 0, 0)])
    assert flat.bar(1, 20) == (0, 20)
    assert len(TraceTree([])) == 0


def test_find_by_name_or_type_wraps_and_goes_backwards():
    tree = TraceTree(small())
    assert tree.find("A1") == 2
    assert tree.find("tool") == 3  # the type
    assert tree.find("a", after=3) == 0  # wraps to root, whose type AGENT holds an a
    assert tree.find("a", after=0) == 1
    assert tree.find("a1", after=0, backwards=True) == 2  # wraps backwards past b
    assert tree.find("nothing") is None and tree.find("") is None
    assert tree.first_error() == 3


def test_a_lost_parent_and_a_cycle_place_every_span_once_without_hanging():
    spans = [
        span("root", None, 0, 10),
        span("lost", "gone", 1, 2),  # its parent is not in the trace
        span("c1", "c2", 3, 4),  # c1 and c2 name each other
        span("c2", "c1", 3.5, 4),
        span("self", "self", 5, 6),
    ]
    start = time.perf_counter()
    tree = TraceTree(spans)
    assert time.perf_counter() - start < 1
    shown = sorted(tree.row(i).span.span_id for i in range(len(tree)))
    assert shown == sorted(s.span_id for s in spans)
    orphans = {tree.row(i).span.span_id for i in range(len(tree)) if tree.row(i).node.orphan}
    assert {"lost", "c1", "self"} <= orphans
    detail = span_detail(tree.nodes[tree.find("lost")], tree.start_ns)
    assert dict(detail.summary)["parent"] == "gone (not in this trace)"


def test_ten_thousand_nested_spans_need_no_recursion_and_indent_is_capped():
    depth = 10_000  # far past Python's recursion limit
    spans = [span(f"s{i}", f"s{i - 1}" if i else None, i * 0.001, 20) for i in range(depth)]
    tree = TraceTree(spans)
    assert len(tree) == depth and tree.row(depth - 1).depth == depth - 1
    tree.collapse(5000)
    assert len(tree) == 5001
    assert tree.reveal(depth - 1) == depth - 1
    # the indentation stays inside its cells, the depth shown as a number
    for d in (0, 3, 10, 999, 9999):
        text = indent(d, 20)
        assert len(text) <= 20
    assert indent(3, 20) == "      "
    assert indent(999, 20).strip() == "…999"
    assert len(indent(10**9, 4)) == 4


def test_five_thousand_spans_in_well_under_a_second():
    spans = [span("root", None, 0, 5000)]
    spans += [span(f"step{i}", "root", i, i + 1) for i in range(100)]
    spans += [span(f"tool{i}", f"step{i % 100}", i * 0.01, i * 0.01 + 1) for i in range(4899)]
    start = time.perf_counter()
    tree = TraceTree(spans)
    for line in range(len(tree)):  # every line, not just a screenful
        tree.bar(tree.row(line).index, 80)
    assert time.perf_counter() - start < 1.0
    assert len(tree) == 5000


def test_layout_fits_the_width():
    for width in (0, 10, 40, 80, 160, 400):
        for hint in (None, 5, 500):
            lay = waterfall_layout(width, hint)
            if width >= 30:
                assert lay.name + lay.kind + lay.duration + lay.bar + 3 * lay.gap <= width
            assert lay.bar == 0 or lay.bar >= 10
    assert waterfall_layout(160, 12).name == 16  # short names: a narrow name column
    assert waterfall_layout(40).kind == 0  # the type column goes before the bar


def test_durations_read_well():
    assert [format_ns(n) for n in (870, 12_400, 4_500_000, 230_000_000, 1_250_000_000,
                                   123_000_000_000)] == ["870ns", "12µs", "4.5ms", "230ms",
                                                         "1.25s", "2m03s"]


def test_a_five_megabyte_input_is_cut_and_whole_one_key_away():
    big = "x" * (5 * 1024 * 1024)
    s = span("big", None, 0, 1, inputs={"prompt": big, "n": 1},
             attributes={SPAN_INPUTS: {"prompt": big}, "model": "m"})
    start = time.perf_counter()
    detail = span_detail(TraceTree([s]).nodes[0], T0)
    assert time.perf_counter() - start < 0.5
    inputs = detail.sections["Inputs"]
    assert inputs.cuts == 1 and len(inputs.text) < VALUE_LIMIT + 200
    assert "(+5,240,880 characters)" in inputs.text
    assert len(whole_text(inputs.value)) > len(big)
    # the inputs are not shown a second time under the attributes
    assert "prompt" not in detail.sections["Attributes"].text
    assert '"model": "m"' in detail.sections["Attributes"].text


def test_deep_and_wide_values_are_bounded():
    deep: object = "bottom"
    for _ in range(5000):
        deep = [deep]
    part = section("Inputs", deep)
    assert "nested deeper" in part.text and part.cuts
    wide = {f"k{i}": "v" * 1000 for i in range(10_000)}
    part = section("Attributes", wide)
    assert len(part.text) <= TEXT_LIMIT + 100 and part.text.endswith("characters)")
    part = section("Attributes", {f"k{i}": i for i in range(10_000)})
    assert "9,800 more keys" in part.text
    assert whole_text("plain") == "plain"


def test_hostile_text_is_inert():
    hostile = "[bold red]boom[/] \x1b[31mred\x1b[0m \u202e \x9b \x00"
    s = span("h", None, 0, 1, name=hostile, span_type=hostile, status_message=hostile,
             inputs={hostile: hostile}, events=(SpanEvent(hostile, T0, {"m": hostile}),))
    detail = span_detail(TraceTree([s]).nodes[0], T0)
    for _label, text in detail.summary:
        assert not RAW_CONTROL.search(text), text
    assert "[bold red]boom[/]" in dict(detail.summary)["span"]  # shown as it is, not styled
    for part in detail.sections.values():
        assert not RAW_CONTROL.search(part.text), part.title
    assert "exception" not in detail.sections["Events"].text
    assert detail.sections["Events"].text.count("[bold red]") == 2


def test_events_show_their_time_from_the_trace_start():
    s = span("e", None, 0, 10, events=(SpanEvent("exception", T0 + 3 * MS,
                                                 {"exception.message": "boom"}),))
    text = span_detail(TraceTree([s]).nodes[0], T0).sections["Events"].text
    assert '"at": "3.0ms"' in text and "exception.message" in text


def _assessment(aid: str, name: str, kind: str, **kw) -> Assessment:
    return Assessment(aid, "tr-1", name, kind, **kw)


def test_assessments_are_grouped_feedback_then_expectations():
    items = [
        _assessment("3", "expected", "expectation", value={"facts": ["a"]}, source_type="HUMAN",
                    source_id="alice"),
        _assessment("2", "relevance", "feedback", value=0.9, source_type="LLM_JUDGE",
                    rationale="fine", create_time=2),
        _assessment("1", "relevance", "feedback", value=0.1, valid=False, create_time=1),
        _assessment("4", "timeout", "feedback", error="judge timed out"),
        _assessment("5", "x\x1b[2J", "feedback", value="y" * 500),
    ]
    groups = assessment_groups(items)
    assert [title for title, _ in groups] == ["Feedback", "Expectations"]
    feedback = groups[0][1]
    assert [(f.name, f.value, f.valid) for f in feedback[:3]] == [
        ("relevance", "0.1", False), ("relevance", "0.9", True), ("timeout", "—", True)]
    assert feedback[1].source == "LLM_JUDGE" and feedback[1].rationale == "fine"
    assert feedback[2].error == "judge timed out"
    assert feedback[3].name == "x␛[2J" and len(feedback[3].value) <= 120
    assert groups[1][1][0].value == '{"facts": ["a"]}'
    assert groups[1][1][0].source == "HUMAN alice"
    assert assessment_groups([]) == []


def test_the_header_summarises_the_trace():
    info = TraceInfo("tr-9", "1", 1_700_000_000_000, 1234, "ERROR",
                     tags={"mlflow.traceName": "agent", "team": "red\x1b"},
                     trace_metadata={"mlflow.trace.tokenUsage": '{"input_tokens": 5, '
                                     '"output_tokens": 2, "total_tokens": 7}',
                                     "mlflow.sourceRun": "abc"})
    summary = dict(trace_summary(info, 12))
    assert summary["trace"] == "tr-9" and summary["name"] == "agent"
    assert summary["state"] == "ERROR" and summary["duration"] == "1.2s"
    assert summary["spans"] == "12" and summary["tokens"] == "input 5 · output 2 · total 7"
    assert summary["run"] == "abc" and summary["tags"] == "team=red␛"
    running = dict(trace_summary(TraceInfo("tr-8", "1", 0, None, "IN_PROGRESS")))
    assert running["duration"] == "in progress" and "tokens" not in running


def test_a_long_value_folds_to_the_width_for_the_viewer():
    assert fold("abcdefg\n\nxy\tz", 3) == ["abc", "def", "g", "", "xy ", " z"]
    assert fold("日本語テキスト", 4) == ["日本", "語テ", "キス", "ト"]
    start = time.perf_counter()
    assert len(fold("x" * (5 * 1024 * 1024), 100)) == 52429
    assert time.perf_counter() - start < 0.5
