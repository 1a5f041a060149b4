"""The fault matrix in the UI (issue 14): each bad store and each bad tracking server
(``support/faults.py``), and a database deleted or replaced while the UI shows it.
Whatever the fault, the UI says it in one line (no traceback, no crash) and ``q``
quits at once: the app has exited when the key's handling is done, well inside a
generous guard (the exit itself takes far less than a second; the guard only catches
a hang, not slowness of a shared machine).

A bad store given to the app opens in a worker and ends on the message screen (the
command line's ``mltui URI`` refuses it before the UI starts:
``tests/cli/test_fault_matrix.py``). A real store in a read-only folder is shown and
refuses a write in one line. A hanging server leaves the screen loading, a slow one
shows its answer when it comes; and a live chart or run screen over a server slower
than the refresh interval still gets its reads (a tick once cancelled the read on
its way, so none arrived).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from pathlib import Path

import pytest

from mltui.app import MessageScreen, MltuiApp
from mltui.config import Settings
from mltui.screens.charts import ChartScreen
from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.run import RunScreen
from mltui.widgets.status_bar import StatusBar
from support.apphelp import make_app, screen_text, toasts, wait_for, wait_screen
from support.builders import copy_store
from support.faults import (
    PERMISSION_FAULTS,
    SERVER_SAYS,
    SLOW_METRIC,
    SLOW_RUN_ID,
    SLOW_SECONDS,
    STORE_FAULTS,
    STORE_SAYS,
    FaultServer,
    make_store,
    permission_problem,
    permissions_apply,
    restore_permissions,
)

QUIT_GUARD = 5.0
"""Seconds from pressing q to the app gone: generous (a hang would take 30 s, the read
timeout, or for ever)."""
SIZE = (120, 30)
READ_SECONDS = 1.5
"""Each answer of the slow server under a live screen refreshing every 0.5 s."""



def status(app) -> str:
    return app.screen.query_one(StatusBar).plain


async def quit_now(pilot) -> float:
    """Press q and wait for the app to take it (it is leaving); when q was pressed.
    The run_test block must end right after this call."""
    app = pilot.app
    pressed = time.monotonic()
    await pilot.press("q")
    await wait_for(pilot, lambda: app.quitting or not app.is_running, "the app leaving",
                   QUIT_GUARD)
    return pressed


def assert_quit(app: MltuiApp, pressed: float) -> None:
    """Gone within the guard, as a quit (0), not a crash (1, with a traceback)."""
    assert time.monotonic() - pressed < QUIT_GUARD
    assert not app.is_running
    assert app.return_code == 0, app.return_code
    assert not app._exit_renderables, "a crash report was printed"


def one_line(text: str, says: str) -> str:
    """The one line of ``text`` holding ``says``; no traceback anywhere."""
    assert "Traceback" not in text
    lines = [line.strip() for line in text.splitlines() if says in line]
    assert len(lines) == 1, (says, text)
    return lines[0]


# -- bad stores ----------------------------------------------------------------------------


@pytest.mark.parametrize("fault", [f for f in STORE_FAULTS if f != "read-only-folder"])
async def test_a_bad_store_ends_on_one_line_and_q_quits(fault, tmp_path):
    if fault in PERMISSION_FAULTS and (problem := permission_problem(tmp_path)):
        pytest.skip(problem)
    uri = make_store(fault, tmp_path)
    try:
        with permissions_apply() if fault in PERMISSION_FAULTS else contextlib.nullcontext():
            app = MltuiApp(uri, settings=Settings(refresh_interval=0))
            async with app.run_test(size=SIZE) as pilot:
                await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen)
                               and "Cannot open" in screen_text(app), "the message")
                message = app.screen.message
                line = one_line(message, STORE_SAYS[fault])
                assert message.splitlines()[1].strip() == line  # the error is line two
                # the screen wraps a long path (CI's temporary folders are long)
                words = " ".join(line.split())

                def drawn() -> bool:
                    return words in " ".join(screen_text(app).split())

                await wait_for(pilot, drawn, "drawn")
                # in lines, as written (not one line of ⏎ symbols)
                assert "⏎" not in screen_text(app)
                assert "q quits." in [row.strip() for row in screen_text(app).splitlines()]
                pressed = await quit_now(pilot)
            assert_quit(app, pressed)
    finally:
        restore_permissions(tmp_path)


async def test_a_read_only_folder_is_shown_and_a_write_refused_in_one_line(tmp_path):
    if problem := permission_problem(tmp_path):
        pytest.skip(problem)
    uri = make_store("read-only-folder", tmp_path)
    try:
        with permissions_apply():
            app = make_app(uri, tree=False)
            async with app.run_test(size=SIZE, notifications=True) as pilot:
                screen = await wait_screen(pilot, ExperimentsScreen)
                await wait_for(pilot, lambda: "sweep" in [e.name for e in screen.shown])
                screen.table.move_cursor(row=[e.name for e in screen.shown].index("sweep"))
                await pilot.press("N")
                await wait_screen(pilot, PromptDialog)
                await pilot.press("ctrl+u", *"renamed", "enter")
                await wait_screen(pilot, ConfirmDialog)
                await pilot.press("y")
                toast = await wait_for(pilot, lambda: next(
                    (t for t in toasts(app) if "read-only" in t), None), "the refusal")
                assert "Traceback" not in toast and len(toast) < 200
                assert "sweep" in screen_text(app)
                pressed = await quit_now(pilot)
            assert_quit(app, pressed)
    finally:
        restore_permissions(tmp_path)


@pytest.mark.parametrize("change", ["deleted", "replaced-by-random-bytes"])
async def test_the_database_deleted_or_replaced_while_shown(change, tmp_path):
    uri = copy_store("sqlite", tmp_path)
    db = Path(uri.removeprefix("sqlite:///"))
    app = make_app(uri, tree=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: "sweep" in [e.name for e in screen.shown], "the list")
        if change == "deleted":
            db.unlink()
        else:
            new = tmp_path / "new.db"
            new.write_bytes(os.urandom(65536))
            shutil.move(new, db)  # a new file (inode) where the database was
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.error is not None, "the failed reload")
        assert "\n" not in screen.error and "Traceback" not in screen.error
        says = "was deleted" if change == "deleted" else "Not an sqlite database"
        assert says in screen.error, screen.error
        await wait_for(pilot, lambda: "stale" in status(app), "stale in the status bar")
        assert "sweep" in screen_text(app), "the last good list stays"
        pressed = await quit_now(pilot)
    assert_quit(app, pressed)


# -- bad servers ---------------------------------------------------------------------------


@pytest.fixture
def no_retries(monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


@pytest.mark.parametrize("fault", ["dead", "401", "500"])
async def test_a_failing_server_is_one_line_and_q_quits(fault, no_retries):
    with FaultServer(fault) as server:
        app = make_app(server.url)
        async with app.run_test(size=SIZE, notifications=True) as pilot:
            screen = await wait_screen(pilot, ExperimentsScreen)
            await wait_for(pilot, lambda: screen.error is not None, "the failure")
            assert "\n" not in screen.error and SERVER_SAYS[fault] in screen.error
            text = await wait_for(pilot, lambda: "Cannot list the experiments" in
                                  screen_text(app) and screen_text(app), "drawn")
            assert "Traceback" not in text
            pressed = await quit_now(pilot)
        assert_quit(app, pressed)


async def test_a_hanging_server_shows_loading_and_q_quits_with_the_request_in_flight():
    with FaultServer("hang") as server:
        app = make_app(server.url)  # the default read timeout: 30 s
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            await wait_for(pilot, lambda: "loading…" in status(app), "loading…")
            await wait_for(pilot, lambda: server.requests >= 1, "the request in flight")
            pressed = await quit_now(pilot)
        assert_quit(app, pressed)


async def test_a_slow_server_shows_loading_then_the_list_and_q_quits():
    with FaultServer("slow") as server:
        app = make_app(server.url)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            screen = app.screen
            await wait_for(pilot, lambda: "loading…" in status(app), "loading…")
            # the answer comes after SLOW_SECONDS: loading until then, then the list
            await wait_for(pilot, lambda: screen.experiments and "Default" in screen_text(app),
                           "the list", SLOW_SECONDS * 10)
            assert screen.error is None
            pressed = await quit_now(pilot)
        assert_quit(app, pressed)


async def test_a_live_chart_draws_though_each_read_outlasts_the_refresh_interval():
    """A chart refreshing every 0.5 s over a server that takes three times that per
    read: each tick once cancelled the read in flight, so nothing was ever drawn (the
    soak found it on PostgreSQL, where a downsampled read of 2,700 points takes about
    half a second)."""
    with FaultServer("slow", delay=READ_SECONDS) as server:
        app = make_app(server.url, live=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            run = (await asyncio.to_thread(app.store.get_run, SLOW_RUN_ID)).run
            assert run.status == "RUNNING"  # the chart refreshes on its own
            app.push_screen(ChartScreen([run], [SLOW_METRIC], SLOW_METRIC))
            chart = await wait_for(pilot, lambda: isinstance(app.screen, ChartScreen)
                                   and app.screen, "the chart")
            await wait_for(pilot, lambda: chart.reads >= 2 and chart.series
                           and chart.series[0].steps == [0, 1, 2, 3, 4],
                           "two reads delivered, drawn", SLOW_SECONDS * 10)
            pressed = await quit_now(pilot)
        assert_quit(app, pressed)


async def test_a_live_run_screen_refreshes_though_each_read_outlasts_the_interval():
    """The run screen had the same fault: its first read arrived (the refresh starts
    after it), then every later one was cancelled by the next tick and the screen
    stayed on its first read."""
    with FaultServer("slow", delay=READ_SECONDS) as server:
        app = make_app(server.url, live=0.5)
        async with app.run_test(size=SIZE) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            run = (await asyncio.to_thread(app.store.get_run, SLOW_RUN_ID)).run
            app.push_screen(RunScreen(run))
            screen = await wait_for(pilot, lambda: isinstance(app.screen, RunScreen)
                                    and app.screen, "the run screen")
            await wait_for(pilot, lambda: screen.last_good is not None, "the first read",
                           SLOW_SECONDS * 10)
            first = screen.last_good
            await wait_for(pilot, lambda: screen.last_good != first, "a refresh delivered",
                           SLOW_SECONDS * 10)
            pressed = await quit_now(pilot)
        assert_quit(app, pressed)
