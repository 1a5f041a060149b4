"""One trace on screen, driven with Pilot, on traces the real mlflow client made
(``support/traces_builder.py``): the span tree drawn is MlflowClient.get_trace's
(names, order, parentage) on sqlite, the mlruns folder and a real ``mlflow
server``; the detail, the assessments, folding, find and the whole value; hostile
spans (a 5 MB input, 1,000 nested spans, markup and escape codes) shown inert;
an unknown trace and a missing traces.json as one line."""

from __future__ import annotations

import sqlite3
import time

import pytest

from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.trace import TraceScreen
from mltui.screens.value_viewer import ValueViewer
from mltui.store.trace_entities import ARTIFACT_LOCATION_TAG
from mltui.textfmt import safe_text
from mltui.widgets.span_waterfall import SpanWaterfall
from support import trace_fixtures
from support.apphelp import (
    make_app,
    screen_segments_text,
    screen_text,
    settle,
    wait_for,
    wait_screen,
)
from support.traces_builder import ARTIFACTS, BIG_INPUT, DEEP, HOSTILE, HOSTILE_NAME, MAIN
from support.traces_match import all_traces, mlflow_spans

SIZE = (160, 45)


def backend_of(kind: str):
    return {"sqlite": trace_fixtures.sqlite_backend, "file": trace_fixtures.file_backend,
            "rest": trace_fixtures.rest_backend}[kind]()


async def open_trace(pilot, trace_id: str, info=None) -> TraceScreen:
    """Push the trace screen and wait for its spans and the first span's detail."""
    app = pilot.app
    if isinstance(app.screen, TraceScreen):
        app.pop_screen()
    await wait_screen(pilot, ExperimentsScreen)
    app.push_screen(TraceScreen(trace_id, info))
    screen = await wait_for(pilot, lambda: isinstance(app.screen, TraceScreen) and app.screen)
    await wait_for(pilot, lambda: screen.loaded is not None or screen.error is not None,
                   "the trace read")
    if screen.loaded is not None and screen.loaded.tree.nodes:
        await wait_for(pilot, lambda: screen.detail is not None, "the first span's detail")
    await settle(pilot)
    return screen


def shown_tree(screen: TraceScreen) -> list[tuple[str, str | None, str]]:
    """(span id, parent span id, name) per line, the parent read from the depth of
    the lines above (what the indentation tells a person)."""
    tree = screen.trace_tree
    assert tree is not None
    out: list[tuple[str, str | None, str]] = []
    stack: list[tuple[int, str]] = []
    for line in range(len(tree)):
        row = tree.row(line)
        while stack and stack[-1][0] >= row.depth:
            stack.pop()
        out.append((row.span.span_id, stack[-1][1] if stack else None, row.span.name))
        stack.append((row.depth, row.span.span_id))
    return out


def assert_tree_is_mlflows(screen: TraceScreen, theirs) -> None:
    """The same spans, each under the parent MLflow names (a root where MLflow has
    none), siblings in start order: a preorder of MLflow's tree."""
    shown = shown_tree(screen)
    ref = {s.span_id: s for s in theirs}
    assert sorted(sid for sid, _p, _n in shown) == sorted(ref), "spans shown"
    starts: dict[str | None, list[int]] = {}
    for sid, parent, name in shown:
        span = ref[sid]
        assert name == span.name
        assert parent == span.parent_id, f"{name}: drawn under {parent}, MLflow {span.parent_id}"
        starts.setdefault(parent, []).append(span.start_time_ns)
    for parent, times in starts.items():
        assert times == sorted(times), f"children of {parent} not in start order"


def waterfall_lines(screen: TraceScreen) -> list[str]:
    waterfall = screen.waterfall
    return [waterfall.render_line(y).text for y in range(waterfall.size.height)]


def assert_lines_show_names(screen: TraceScreen) -> None:
    """The lines on screen draw the spans of the tree, in its order."""
    tree = screen.trace_tree
    lines = waterfall_lines(screen)[1:]  # line 0 is the ruler
    top = int(screen.waterfall.scroll_y)
    for y, text in enumerate(lines):
        if top + y >= len(tree):
            break
        name = safe_text(tree.row(top + y).span.name)
        assert name[:10] in text, (name, text)


# -- the tree is MLflow's, on every backend ---------------------------------------------------
@pytest.mark.parametrize("kind", ["sqlite", "file",
                                  pytest.param("rest", marks=pytest.mark.slow)])
async def test_every_trace_draws_mlflows_span_tree(kind):
    backend = backend_of(kind)
    client = backend.client()
    app = make_app(backend.uri)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        for name in (MAIN, ARTIFACTS, HOSTILE):
            for n, info in enumerate(all_traces(app.store, name)):
                # half as the traces table pushes it (with its info), half by id alone
                screen = await open_trace(pilot, info.trace_id, info if n % 2 else None)
                assert screen.error is None, screen.error
                assert_tree_is_mlflows(screen, mlflow_spans(client, info.trace_id))
                assert_lines_show_names(screen)
                assert "\x1b" not in screen_segments_text(app)


# -- the detail, assessments, keys --------------------------------------------------------------
@pytest.fixture(scope="module")
def sqlite_backend():
    return trace_fixtures.sqlite_backend()


def trace_with(app, span_name: str):
    for info in all_traces(app.store, MAIN):
        if any(s.name == span_name for s in app.store.get_trace_spans(info.trace_id, info)):
            return info
    raise AssertionError(span_name)


async def test_spans_detail_failed_span_find_and_folding(sqlite_backend):
    app = make_app(sqlite_backend.uri)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        info = trace_with(app, "flaky")
        screen = await open_trace(pilot, info.trace_id, info)
        waterfall = screen.waterfall
        text = screen_text(app)
        # the header: id, state, token usage as MLflow counted it
        usage = sqlite_backend.client().get_trace(info.trace_id).info.token_usage
        assert info.trace_id in text and "state OK" in text
        assert f"total {usage['total_tokens']}" in text
        assert screen.detail.span.name == "agent"
        assert '"question":' in screen.section_text()

        # the failed span is drawn in the error colour
        tree = screen.trace_tree
        flaky_line = next(i for i in range(len(tree)) if tree.row(i).span.name == "flaky")
        strip = waterfall.render_line(flaky_line - int(waterfall.scroll_y) + 1)
        error_color = waterfall.get_component_rich_style("span-waterfall--error").color
        name_segment = next(seg for seg in strip if "flaky" in seg.text)
        assert name_segment.style.color == error_color
        ok_segment = next(seg for seg in waterfall.render_line(1) if "agent" in seg.text)
        assert ok_segment.style.color != error_color

        # e: the next failed span, its status message and its exception event
        await pilot.press("e")
        await wait_for(pilot, lambda: screen.detail.span.name == "flaky", "flaky's detail")
        summary = dict(screen.detail.summary)
        assert summary["status"].startswith("ERROR") and "flaky step" in summary["status"]
        # under the cursor it stays red, on the cursor's background, every cell
        cursor_bg = waterfall.get_component_rich_style("span-waterfall--cursor").bgcolor
        strip = waterfall.render_line(waterfall.cursor - int(waterfall.scroll_y) + 1)
        assert next(seg for seg in strip if "flaky" in seg.text).style.color == error_color
        assert all(seg.style.bgcolor == cursor_bg for seg in strip if seg.text.strip())
        await pilot.press("4")
        assert '"name": "exception"' in screen.section_text()
        assert "flaky step" in screen_text(app)

        # / finds by name; 1-3 switch tabs; v shows the whole value
        await pilot.press("slash", *"chat", "enter")
        await wait_for(pilot, lambda: screen.detail.span.name == "chat", "chat's detail")
        await pilot.press("1")
        assert '"messages":' in screen.section_text()
        await pilot.press("2")
        assert '"role": "assistant"' in screen.section_text()
        await pilot.press("v")
        viewer = await wait_screen(pilot, ValueViewer)
        assert '"role": "assistant"' in viewer.value and "chat · Outputs" in screen_text(app)
        await pilot.press("escape")
        await wait_screen(pilot, TraceScreen)

        # folding: enter on the root hides its children, l shows them again
        await pilot.press("g", "enter")
        await wait_for(pilot, lambda: len(screen.trace_tree) == 1, "the root folded")
        assert "chat" not in "\n".join(waterfall_lines(screen))
        await pilot.press("l")
        await wait_for(pilot, lambda: len(screen.trace_tree) == len(tree.nodes), "unfolded")
        # h on a child goes to its parent
        await pilot.press("j", "j", "h")
        assert waterfall.current.span.name == "agent"

        # r reads again and keeps the cursor on the same span
        await pilot.press("G")
        last = waterfall.current.span.span_id
        await pilot.press("r")
        await settle(pilot)
        assert waterfall.current.span.span_id == last
        await pilot.press("escape")
        await wait_screen(pilot, ExperimentsScreen)


async def test_assessments_panel_matches_mlflow(sqlite_backend):
    client = sqlite_backend.client()
    app = make_app(sqlite_backend.uri)
    async with app.run_test(size=(200, 60)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        infos = all_traces(app.store, MAIN)
        checked = 0
        for info in infos:
            theirs = client.get_trace(info.trace_id).info.assessments
            if not theirs:
                continue
            screen = await open_trace(pilot, info.trace_id, info)
            panel = str(screen.query_one("#assessments-text").render())
            for a in theirs:
                assert a.name in panel
                if a.rationale:
                    assert a.rationale in panel
                if getattr(a, "error", None) is not None:
                    assert f"error: {a.error.error_message}" in panel
                if a.source.source_id:
                    assert a.source.source_id in panel
            if any(type(a).__name__ == "Feedback" for a in theirs):
                assert "Feedback (" in panel
            if any(type(a).__name__ == "Expectation" for a in theirs):
                assert "Expectations (" in panel
            if any(a.valid is False for a in theirs):
                assert "overridden" in panel
            checked += 1
        assert checked >= 10


# -- hostile spans --------------------------------------------------------------------------------
async def test_hostile_spans_are_inert_and_never_hang(sqlite_backend):
    app = make_app(sqlite_backend.uri)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        by_name = {t.name: t for t in all_traces(app.store, HOSTILE)}

        # a 5 MB input: cut in the detail, whole one key away, quickly
        start = time.perf_counter()
        screen = await open_trace(pilot, by_name["big-input"].trace_id)
        assert "(+5,240,880 characters)" in screen.section_text()
        assert "v shows the whole value" in screen_text(app)
        await pilot.press("v")
        viewer = await wait_screen(pilot, ValueViewer)
        assert len(viewer.value) > BIG_INPUT
        await pilot.press("G")  # the end of 5 MB folded to the width: the closing brace
        await wait_for(pilot, lambda: any(line.strip(" █│▐▌") == "}"
                                          for line in screen_text(app).splitlines()),
                       "the end of the value")
        assert time.perf_counter() - start < 20  # a Static took 23 s for the viewer alone
        await pilot.press("escape")
        await wait_screen(pilot, TraceScreen)

        # 1,000 nested spans: the last one on screen, its depth as a number
        screen = await open_trace(pilot, by_name["level-0"].trace_id)
        assert len(screen.trace_tree) == DEEP
        await pilot.press("G")
        await wait_for(pilot, lambda: screen.detail.span.name == f"level-{DEEP - 1}", "the last")
        last = waterfall_lines(screen)[-1]
        assert f"…{DEEP - 1} " in last and f"level-{DEEP - 1}" in last
        await pilot.press("g", "enter")  # fold the whole chain
        assert len(screen.trace_tree) == 1

        # markup and escape codes as text
        screen = await open_trace(pilot, by_name[HOSTILE_NAME].trace_id)
        text = screen_text(app)
        assert "[bold red]boom[/] ␛[31mred␛[0m" in text
        assert "child ␀ nul" in text
        assert '"[b]key[/b]": "\\u001b[2J\\u0007"' in text
        drawn = screen_segments_text(app)
        assert "\x1b" not in drawn and "\x00" not in drawn and "\u202e" not in drawn


# -- errors as one line ------------------------------------------------------------------------
async def test_unknown_trace_and_missing_traces_json_are_one_line(tmp_path):
    uri = trace_fixtures.copy_of("sqlite", tmp_path)
    # the copy's traces.json paths still lead into the cached store: point one
    # trace at an empty folder of its own (never delete the cached files)
    empty = tmp_path / "gone"
    empty.mkdir()
    with sqlite3.connect(tmp_path / "mlflow.db") as conn:
        (gone_id,) = conn.execute(
            "SELECT t.request_id FROM trace_info t JOIN experiments e ON e.experiment_id = "
            "t.experiment_id WHERE e.name = ? ORDER BY t.timestamp_ms", (ARTIFACTS,)).fetchone()
        conn.execute("UPDATE trace_tags SET value = ? WHERE request_id = ? AND key = ?",
                     (empty.as_uri(), gone_id, ARTIFACT_LOCATION_TAG))
    app = make_app(uri)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        gone = app.store.get_trace_info(gone_id)
        screen = await open_trace(pilot, gone.trace_id)  # by id: the info is read
        assert screen.loaded is None and "traces.json" in screen.error
        text = screen_text(app)
        line = next(line for line in text.splitlines() if "traces.json" in line)
        assert "Traceback" not in text and line.strip()
        assert gone.trace_id in text and "index=200" in text  # the info still shows

        screen = await open_trace(pilot, "tr-" + "0" * 32)
        assert screen.error and "Traceback" not in screen_text(app)
        assert screen.error.splitlines() == [screen.error]
        await pilot.press("escape")
        await wait_screen(pilot, ExperimentsScreen)


async def test_the_screen_fits_a_small_terminal(sqlite_backend):
    app = make_app(sqlite_backend.uri)
    async with app.run_test(size=(60, 20)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        info = trace_with(app, "chat")
        screen = await open_trace(pilot, info.trace_id, info)
        lines = waterfall_lines(screen)
        assert any("agent" in line for line in lines)
        assert all(len(line) <= screen.waterfall.size.width for line in lines)
        assert isinstance(screen.query_one(SpanWaterfall), SpanWaterfall)
