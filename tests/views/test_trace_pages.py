"""The traces table's cells, query and order, without a terminal."""

from __future__ import annotations

import pytest

from mltui.store.errors import InvalidSearch
from mltui.store.search.trace_filters import parse_trace_filter
from mltui.store.trace_entities import Assessment, TraceInfo
from mltui.views.run_pages import PageBook
from mltui.views.trace_pages import (
    COLUMN,
    LoadedTraces,
    SortState,
    TraceRows,
    assessments_text,
    cell_text,
    cost_text,
    preview_text,
    tokens_text,
    trace_query,
)


def info(**kwargs) -> TraceInfo:
    return TraceInfo(trace_id=kwargs.pop("trace_id", "tr-1"), experiment_id="1",
                     request_time=1_700_000_000_000, **kwargs)


def test_tokens_and_cost_where_logged():
    usage = '{"input_tokens": 1200, "output_tokens": 34, "total_tokens": 1234}'
    assert tokens_text(info(trace_metadata={"mlflow.trace.tokenUsage": usage})) == "1,234"
    only_parts = '{"input_tokens": 10, "output_tokens": 5}'
    assert tokens_text(info(trace_metadata={"mlflow.trace.tokenUsage": only_parts})) == "15"
    assert tokens_text(info()) == ""
    assert tokens_text(info(trace_metadata={"mlflow.trace.tokenUsage": "not json"})) == ""
    cost = '{"input_cost": 0.001, "output_cost": 0.0002, "total_cost": 0.0012}'
    assert cost_text(info(trace_metadata={"mlflow.trace.cost": cost})) == "$0.0012"
    assert cost_text(info(trace_metadata={"mlflow.trace.cost": '{"total_cost": 12.5}'})) == \
        "$12.50"
    assert cost_text(info()) == ""


def test_assessments_summary_leaves_overridden_out():
    a = [
        Assessment("a1", "tr-1", "relevance", "feedback", 0.5, valid=False),
        Assessment("a2", "tr-1", "relevance", "feedback", 0.9, overrides="a1"),
        Assessment("a3", "tr-1", "correct", "feedback", True),
        Assessment("a4", "tr-1", "judge", "feedback", None, error="timed out"),
        Assessment("a5", "tr-1", "expected", "expectation", {"facts": ["a"]}),
    ]
    assert assessments_text(info(assessments=tuple(a))) == \
        'correct: yes  judge: error  relevance: 0.9  expected: {"facts": ["a"]}'


def test_previews_are_one_inert_line():
    assert preview_text('"answer to it"') == "answer to it"
    assert preview_text('{"q": "x"}') == '{"q": "x"}'
    hostile = "\x1b[2J[bold]x[/]\nline"
    shown = cell_text(COLUMN["request"], info(request_preview=hostile))
    assert "\x1b" not in shown and "\n" not in shown and "[bold]x[/]" in shown


def test_a_runs_traces_and_the_users_filter_make_one_valid_filter():
    query = trace_query(["1"], "tags.team = 'red'", ["timestamp_ms DESC"], run_id="abc123")
    assert query.filter == "run_id = 'abc123' AND tags.team = 'red'"
    assert len(parse_trace_filter(query.filter)) == 2
    assert trace_query(["1"], run_id="abc").filter == "run_id = 'abc'"
    with pytest.raises(InvalidSearch):
        trace_query(["1"], run_id="x' OR '1")


def test_sort_by_a_column_then_flip_and_cycle_from_others():
    sort = SortState()
    assert sort.order_by == [] and sort.label == "newest first"
    assert sort.by(COLUMN["duration"])
    assert sort.order_by == ["execution_time_ms DESC"]  # slowest first
    sort.by(COLUMN["duration"])
    assert sort.order_by == ["execution_time_ms ASC"]
    assert not sort.by(COLUMN["request"])  # MLflow cannot sort by a preview
    assert sort.cycle().key == "status" and sort.order_by == ["status ASC"]
    assert sort.cycle().key == "name"
    assert sort.cycle().key == "time" and sort.order_by == ["timestamp_ms DESC"]
    sort.reset()
    assert sort.cycle().key == "duration"  # from the default (time) the next step


def test_rows_and_the_page_book_over_trace_pages():
    rows = TraceRows(page_size=2)
    book = PageBook(size=2)
    page = LoadedTraces(0, [info(trace_id="tr-a"), info(trace_id="tr-b")], None, more=True)
    assert book.first_arrived(page)  # no count: asked for separately
    assert book.total == 4 and not book.total_known
    rows.total = book.total
    rows.set_page(0, page.traces)
    assert rows.trace_at(1).trace_id == "tr-b" and rows.trace_at(2) is None
    assert rows.pages_needed(0, 10) == {0, 1}
    book.later_arrived(LoadedTraces(1, [info(trace_id="tr-c")], more=False))
    assert book.total == 4  # never shrinks before the count
    book.counted(3)
    assert book.total == 3 and book.total_known
    assert rows.find("tr-b") == 1
