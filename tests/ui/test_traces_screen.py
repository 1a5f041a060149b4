"""The traces table as a person uses it, over several pages, on sqlite, an mlruns
folder and a real ``mlflow server``.

The store is ``support/traces_builder.py``'s (made by the real mlflow client:
18 traces in ``traces-main``). The app fetches :data:`PAGE` traces at a time in
a terminal showing fewer lines than traces, so every screenful crosses pages and
``G`` reaches pages never drawn before. Each test presses the keys a person
presses (T, filter, a bad filter, clear, sort, refresh, enter, back) and checks
what is drawn against ``MlflowClient.search_traces`` for the same query.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import sqlite3
from pathlib import Path

import pytest

from mltui.app import MltuiApp
from mltui.config import Settings
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from mltui.screens.traces import TracesScreen
from mltui.store import open_store
from mltui.views.trace_pages import COLUMN
from support import trace_fixtures
from support.apphelp import (
    make_app,
    paste_text,
    screen_segments_text,
    screen_text,
    settle,
    wait_for,
    wait_screen,
    wait_toast,
    widget_lines,
)
from support.builders import cached_store
from support.traces_builder import EMPTY, HOSTILE, HOSTILE_NAME, MAIN, MAIN_COUNT, RUN_NAME

PAGE = 4
"""Traces per page: 18 traces are five pages."""
SIZE = (160, 16)
"""A terminal showing about a dozen traces: the table scrolls across pages."""
LEGACY_DB = Path(__file__).resolve().parents[1] / "data" / "mlflow-2.9.2.db"


@pytest.fixture(scope="module", params=["sqlite", "file", "rest"])
def backend(request):
    return getattr(trace_fixtures, f"{request.param}_backend")()


# -- what MLflow says ------------------------------------------------------------------


def expected(backend, filter_string: str = "", order_by=None, name: str = MAIN):
    """MlflowClient's traces for a query, in its order. MLflow's file store refuses
    to sort by name (a tag); there the order is its SQL store's: name, then MLflow's
    tie-breakers (newest first, then id)."""
    if backend.kind == "file" and order_by == ["name ASC"]:
        found = expected(backend, filter_string, None, name)
        return sorted(found, key=lambda t: (t.tags["mlflow.traceName"], -t.timestamp_ms,
                                            t.trace_id))
    client = backend.client()
    eid = client.get_experiment_by_name(name).experiment_id
    traces = client.search_traces(locations=[eid], filter_string=filter_string or None,
                                  order_by=order_by, max_results=500, include_spans=False)
    return [t.info for t in traces]


def key_of(info) -> str:
    """What identifies a trace on screen: the start of its request preview (each
    trace of the main experiment asks a different question)."""
    return info.request_preview[:20]


# -- what the screen shows ----------------------------------------------------------------


def shown_total(app) -> str | None:
    """The count in the header as drawn ('18 traces', '8+ traces', '…'); None while
    the screen is between two frames (nothing drawn yet)."""
    lines = screen_text(app).splitlines()
    match = re.search(r"│ ([\d,]+\+? traces?|…) │", lines[0]) if lines else None
    return match.group(1) if match else None


def drawn_rows(table) -> list[str]:
    """The table's body lines as drawn (no header, no blank lines after the end)."""
    return [line for line in widget_lines(table)[1:] if line.strip()]


def screen_matches(table, want) -> bool:
    """Each drawn line shows the trace MLflow has at that position."""
    top = int(table.scroll_y)
    lines = drawn_rows(table)
    expected_here = want[top : top + table.body_height]
    return len(lines) == len(expected_here) and all(
        key_of(info) in line for info, line in zip(expected_here, lines, strict=True))


async def check_table(pilot, screen, want) -> None:
    """The header's total, the first screen, the last screen (G: pages not drawn
    before) and the loaded ids all as MLflow has them; the cursor back on top."""
    table = screen.table
    total = f"{len(want):,} trace" + ("" if len(want) == 1 else "s")
    await wait_for(pilot, lambda: shown_total(pilot.app) == total,
                   f"total {total} (shown: {shown_total(pilot.app)})")
    await wait_for(pilot, lambda: screen_matches(table, want), "the first screen")
    assert table.current_trace is not None and table.current_trace.trace_id == want[0].trace_id
    if len(want) > table.body_height:
        await pilot.press("G")
        await wait_for(pilot, lambda: screen_matches(table, want), "the last screen")
        assert table.current_trace.trace_id == want[-1].trace_id
        await pilot.press("g")
        await wait_for(pilot, lambda: screen_matches(table, want), "the first screen again")
    await wait_for(pilot, lambda: all(table.rows.trace_at(i) is not None
                                      for i in range(len(want))), "every page loaded")
    assert [table.rows.trace_at(i).trace_id for i in range(len(want))] == \
        [t.trace_id for t in want]


async def open_experiment_traces(pilot, name: str = MAIN) -> TracesScreen:
    """From the experiments screen: filter by name, T."""
    await wait_screen(pilot, ExperimentsScreen)
    await pilot.press("slash")
    await paste_text(pilot, name)
    await pilot.press("enter")
    assert [e.name for e in pilot.app.screen.shown][:1] == [name]
    await pilot.press("T")
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, TracesScreen)
                          and pilot.app.screen, "the traces screen")


async def set_filter(pilot, text: str) -> None:
    await pilot.press("slash", "ctrl+u")
    if text:
        await paste_text(pilot, text)
    await pilot.press("enter")


def app_on(uri: str) -> MltuiApp:
    return make_app(uri, page_size=PAGE)


def focus_column(screen, key: str) -> None:
    screen.table.focused_column = screen.table.columns.index(COLUMN[key])


# -- on every backend ---------------------------------------------------------------------

FILTER = "tags.team = 'red'"


async def test_filter_bad_filter_clear_and_back_over_pages(backend):
    app = app_on(backend.uri)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_experiment_traces(pilot)
        everything = expected(backend)
        assert len(everything) == MAIN_COUNT > 3 * PAGE
        await check_table(pilot, screen, everything)
        assert MAIN in screen_text(app).splitlines()[0]

        await set_filter(pilot, FILTER)
        red = expected(backend, FILTER)
        assert PAGE < len(red) < MAIN_COUNT
        await check_table(pilot, screen, red)
        assert f"filter: {FILTER}" in screen_text(app)

        # a filter MLflow refuses: one line under the input, the rows stay
        await set_filter(pilot, "attributes.colour = 'red'")
        bar = screen.query_one("#filter-message")
        await wait_for(pilot, lambda: "colour" in screen_text(app) and bar.has_class("error"),
                       "the error under the filter")
        assert screen.filter_text == FILTER
        assert screen_matches(screen.table, red)
        await pilot.press("escape")  # closes the bar
        await wait_for(pilot, lambda: screen.table.has_focus, "the table focused again")
        assert shown_total(app) == f"{len(red)} traces"

        await pilot.press("escape")  # clears the filter
        await check_table(pilot, screen, everything)
        assert screen.filter_text == ""
        await pilot.press("escape")  # back
        await wait_screen(pilot, ExperimentsScreen)


async def test_sort_filter_and_default_sort_match_mlflow(backend):
    app = app_on(backend.uri)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_experiment_traces(pilot)
        await set_filter(pilot, "attributes.status = 'OK'")
        ok = expected(backend, "attributes.status = 'OK'")
        await check_table(pilot, screen, ok)
        focus_column(screen, "duration")
        await pilot.press("s")  # slowest first
        await check_table(pilot, screen, expected(backend, "attributes.status = 'OK'",
                                                  ["execution_time_ms DESC"]))
        assert "sort: duration ↓" in screen_text(app)
        await pilot.press("s")
        await check_table(pilot, screen, expected(backend, "attributes.status = 'OK'",
                                                  ["execution_time_ms ASC"]))
        focus_column(screen, "name")
        await pilot.press("s")
        await check_table(pilot, screen, expected(backend, "attributes.status = 'OK'",
                                                  ["name ASC"]))
        await pilot.press("S")
        await check_table(pilot, screen, ok)


async def test_refresh_keeps_the_cursor_and_enter_opens_the_trace(backend):
    app = app_on(backend.uri)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_experiment_traces(pilot)
        everything = expected(backend)
        await check_table(pilot, screen, everything)
        table = screen.table
        for _ in range(2):
            await pilot.press("ctrl+d")
        line = table.cursor
        assert line > 2 * PAGE  # three pages down
        await pilot.press("r")
        await wait_for(pilot, lambda: table.cursor == line and table.current_trace is not None
                       and table.current_trace.trace_id == everything[line].trace_id,
                       "the cursor back on its trace after r")
        await wait_for(pilot, lambda: screen_matches(table, everything), "the rows after r")
        await pilot.press("enter")
        try:
            from mltui.screens.trace import TraceScreen
        except ImportError:
            await wait_toast(pilot, "trace view not available")
            return
        opened = await wait_for(pilot, lambda: isinstance(app.screen, TraceScreen)
                                and app.screen, "the trace screen")
        assert opened.trace_id == everything[line].trace_id
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back on the traces")
        assert table.current_trace.trace_id == everything[line].trace_id


# -- the ways in ---------------------------------------------------------------------------


async def test_traces_of_the_runs_experiments_and_of_one_run():
    backend = trace_fixtures.sqlite_backend()
    client = backend.client()
    run = client.search_runs([client.get_experiment_by_name(MAIN).experiment_id],
                             f"attributes.run_name = '{RUN_NAME}'")[0]
    app = app_on(backend.uri)
    async with app.run_test(size=SIZE) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("slash")
        await paste_text(pilot, MAIN)
        await pilot.press("enter", "enter")
        runs = await wait_screen(pilot, RunsScreen)
        await pilot.press("ctrl+t")
        screen = await wait_screen(pilot, TracesScreen)
        await check_table(pilot, screen, expected(backend))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is runs, "back on the runs")
        await wait_for(pilot, lambda: runs.table.current_run is not None, "a run")
        assert runs.table.current_run.run_name == RUN_NAME  # the only run
        await pilot.press("enter")
        await wait_screen(pilot, RunScreen)
        await pilot.press("T")
        screen = await wait_screen(pilot, TracesScreen)
        linked = expected(backend, f"run_id = '{run.info.run_id}'")
        assert 0 < len(linked) < MAIN_COUNT
        await check_table(pilot, screen, linked)
        assert f"traces of run {RUN_NAME}" in screen_text(app).splitlines()[0]
        # the user's filter narrows the run's traces further
        await set_filter(pilot, FILTER)
        await check_table(pilot, screen, expected(
            backend, f"run_id = '{run.info.run_id}' AND {FILTER}"))


async def test_no_traces_is_one_line_not_an_error():
    backend = trace_fixtures.sqlite_backend()
    app = app_on(backend.uri)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("slash")
        await paste_text(pilot, EMPTY)
        await pilot.press("enter", "T")
        await wait_toast(pilot, f"No traces in {EMPTY}")
        assert isinstance(app.screen, ExperimentsScreen)


async def test_a_store_without_trace_tables_says_so():
    store = open_store(f"sqlite:///{LEGACY_DB}")
    assert not store.capabilities.traces
    app = MltuiApp(store=store, settings=Settings(refresh_interval=0.0))
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        # no traces key: not in the footer, and pressing it opens nothing
        assert "Traces" not in screen_text(app)
        assert screen.check_action("traces", ()) is False
        # nor logged models, which came with the same MLflow 3 tables
        assert not store.capabilities.logged_models
        assert screen.check_action("logged_models", ()) is False
        assert "Logged models" not in screen_text(app)
        await pilot.press("T")
        await pilot.pause(0.3)
        assert app.screen is screen


async def test_a_filter_the_mlruns_folder_cannot_answer_keeps_the_rows():
    """Span filters need a database (MLflow's file store refuses them too): the
    table goes back to the last filter answered, with the reason in one line."""
    backend = trace_fixtures.file_backend()
    app = app_on(backend.uri)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_experiment_traces(pilot)
        await set_filter(pilot, FILTER)
        red = expected(backend, FILTER)
        await check_table(pilot, screen, red)
        await set_filter(pilot, "span.type = 'TOOL'")
        await wait_toast(pilot, "span")
        await wait_for(pilot, lambda: screen.filter_text == FILTER, "the filter back")
        await check_table(pilot, screen, red)


# -- hostile data -----------------------------------------------------------------------------


async def test_hostile_previews_and_names_are_shown_inert(tmp_path):
    """A request preview holding escape codes and markup, and a trace name made of
    them (written by mlflow), show as text: no ESC reaches the terminal."""
    shutil.copy2(cached_store("traces-sqlite") / "mlflow.db", tmp_path / "mlflow.db")
    hostile = "\x1b[2J\x1b]0;owned\x07[bold red]markup[/] \u202egnp"
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        # the newest trace of the main experiment: the first row
        db.execute("UPDATE trace_info SET request_preview = ?, response_preview = ? WHERE "
                   "request_id IN (SELECT request_id FROM trace_info JOIN experiments USING "
                   "(experiment_id) WHERE name = ? ORDER BY timestamp_ms DESC LIMIT 1)",
                   (hostile, hostile, MAIN))
    app = app_on(f"sqlite:///{tmp_path / 'mlflow.db'}")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_experiment_traces(pilot, HOSTILE)
        await settle(pilot)
        await wait_for(pilot, lambda: drawn_rows(screen.table), "the hostile traces")
        drawn = screen_segments_text(app)
        assert "\x1b" not in drawn and "\x07" not in drawn and "\u202e" not in drawn
        text = screen_text(app)
        # the trace name (mlflow's tag) as typed, its ESC made visible
        assert "[bold red]boom[/] ␛[31m" in text
        await pilot.press("escape")
        await wait_screen(pilot, ExperimentsScreen)
        screen = await open_experiment_traces(pilot, MAIN)
        await wait_for(pilot, lambda: "[bold red]markup[/]" in screen_text(app),
                       "the hostile preview as text")
        drawn = screen_segments_text(app)
        assert "\x1b" not in drawn and "\x07" not in drawn and "\u202e" not in drawn
        assert "␛[2J␛]0;owned␇[bold red]markup[/]" in screen_text(app)
        assert HOSTILE_NAME not in drawn


def test_store_capability_is_what_the_key_checks():
    """The key is refused for a store that says it has no traces, whatever its tables."""
    store = open_store(trace_fixtures.sqlite_backend().uri)
    assert store.capabilities.traces
    store.capabilities = dataclasses.replace(store.capabilities, traces=False)
    from mltui.views.trace_pages import any_traces, trace_query

    assert not any_traces(store, trace_query([store.get_experiment_by_name(MAIN)
                                              .experiment_id]))
