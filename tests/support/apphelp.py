"""Helpers for driving MltuiApp with Textual's Pilot in tests.

No fixed sleeps: :func:`settle` waits until no worker is pending or running
and the message queues are drained (harlequin's ``wait_for_workers`` idea);
:func:`wait_for` polls a condition with a timeout for what lands on idle
(DataTable column widths, debounced filters, toasts).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual import events
from textual.css.query import NoMatches
from textual.pilot import Pilot
from textual.worker import WorkerCancelled, WorkerState

from mltui.app import MltuiApp
from mltui.config import Settings
from mltui.store import open_store

TIMEOUT = 60.0


def make_app(
    uri: str,
    *,
    read_only: bool = False,
    experiment: str | None = None,
    tree: bool = True,
    live: bool | float = False,
    page_size: int = 200,
    prefetch: bool = False,
) -> MltuiApp:
    """An app on a real store; live refresh is off unless asked (no timer races).
    ``live`` may give the refresh interval in seconds; ``page_size`` is the number of
    runs the runs table fetches at a time (small values cross pages cheaply)."""
    interval = 0.0 if live is False else 5.0 if live is True else float(live)
    settings = Settings(refresh_interval=interval, tree_view=tree, page_size=page_size)
    store = open_store(uri)
    started = None
    if prefetch:
        # as `mltui --experiment X` does: the first page loads while the app starts
        from mltui.views.prefetch import Prefetch

        started = Prefetch(store, experiment, page_size, tree)
    return MltuiApp(store=store, read_only=read_only, experiment=experiment, settings=settings,
                    prefetch=started)


def _busy(app) -> bool:
    return any(w.state in (WorkerState.PENDING, WorkerState.RUNNING) for w in app.workers)


async def settle(pilot: Pilot, timeout: float = TIMEOUT) -> None:
    """Wait until every worker has finished and its results were delivered.

    A worker's callback may start another worker (open store -> list
    experiments, first page -> next page), so loop until nothing is busy."""
    app = pilot.app
    deadline = time.monotonic() + timeout
    while True:
        try:
            await asyncio.wait_for(
                app.workers.wait_for_complete(), max(0.1, deadline - time.monotonic())
            )
        except WorkerCancelled:
            pass  # an exclusive worker replaced by a newer one (a live refresh, a page)
        await pilot.pause()
        if not _busy(app):
            await pilot.pause()
            if not _busy(app):
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"workers still running after {timeout:.1f}s")


async def wait_for(
    pilot: Pilot, condition: Callable[[], Any], what: str = "", timeout: float = TIMEOUT
) -> Any:
    """Poll ``condition`` (on the UI loop) until it is truthy; its value is returned."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except NoMatches:
            # a screen becomes active before its compose has mounted every widget:
            # a query for one not there yet means "not yet", and times out like any other
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out waiting for {what or condition}\nscreen:\n{screen_text(pilot.app)}"
            )
        await pilot.pause(0.02)


async def wait_screen(pilot: Pilot, cls: type, timeout: float = TIMEOUT):
    """Wait until the active screen is a ``cls``, then until its workers are done."""
    await wait_for(
        pilot, lambda: isinstance(pilot.app.screen, cls), f"screen {cls.__name__}", timeout
    )
    await settle(pilot)
    return pilot.app.screen


async def type_text(pilot: Pilot, text: str) -> None:
    """Type ``text`` one key at a time, as a user would."""
    await pilot.press(*text)


async def paste_text(pilot: Pilot, text: str) -> None:
    """Paste ``text`` into the focused widget (one event, as a terminal sends it);
    much faster than typing long strings key by key."""
    assert pilot.app.focused is not None, "nothing has focus"
    # to the app, as the driver sends it: the app forwards it to the focused widget
    pilot.app.post_message(events.Paste(text))
    await pilot.pause()


def screen_text(app, screen=None) -> str:
    """What the terminal would show for the active screen, as plain text."""
    screen = screen or app.screen
    return "\n".join(strip.text.rstrip() for strip in screen._compositor.render_strips())


def screen_segments_text(app) -> str:
    """The raw text of every segment drawn (for control-character checks)."""
    return "".join(seg.text for strip in app.screen._compositor.render_strips() for seg in strip)


def widget_lines(widget) -> list[str]:
    """The lines a Line-API widget (RunsTable) draws, as plain text."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def toasts(app) -> list[str]:
    """The notifications on screen now, each as one line (toasts wrap long text)."""
    from textual.widgets._toast import Toast

    out = []
    for toast in app.screen.query(Toast):
        content = toast.render()
        out.append(" ".join(str(getattr(content, "plain", content)).split()))
    return out


async def wait_toast(pilot: Pilot, text: str, timeout: float = TIMEOUT) -> str:
    """Wait for a notification holding ``text`` (the app must run with
    ``notifications=True``); returns it."""
    return await wait_for(
        pilot,
        lambda: next((t for t in toasts(pilot.app) if text in t), None),
        f"a notification with {text!r} (have {toasts(pilot.app)})",
        timeout,
    )


def footer_text(app) -> str:
    lines = [line for line in screen_text(app).splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run_names(table) -> list[str]:
    """Run names on every display line the table can currently map to a run."""
    out = []
    for i in range(table.rows.total_lines):
        run = table.rows.run_at(i)
        out.append(None if run is None else run.run_name)
    return out


def all_loaded(table) -> bool:
    rows = table.rows
    return all(
        rows.run_at(i) is not None or rows.line(i).note is not None for i in range(rows.total_lines)
    )


async def runs_shown(pilot: Pilot, timeout: float = TIMEOUT):
    """The runs screen, once it is on top with its count and first page read."""
    from mltui.screens.runs import RunsScreen

    screen = await wait_screen(pilot, RunsScreen, timeout)
    await wait_for(pilot, lambda: screen.total is not None and screen.rows.has_page(0),
                   "the runs", timeout)
    return screen
