"""What the runs and the traces screens share (``screens/paged.py``,
``widgets/paged_table.py``): a page the store fails to give.

The first page failing puts the reason where the table was (the table hidden,
'load failed: r retries' in the status); r reads again and the table comes back.
A later page failing says so in a notification and keeps the rows already shown;
r reads every page again. The store is the builders' sqlite store, read by the
real backend; only the one call is made to fail, as a locked database or a server
that went away would.
"""

from __future__ import annotations

import pytest

from mltui.screens.runs import RunsScreen
from mltui.screens.traces import TracesScreen
from mltui.store.errors import StoreError
from support.apphelp import make_app, screen_text, settle, wait_for, wait_screen, wait_toast
from support.builders import cached_store
from support.traces_builder import MAIN, MAIN_COUNT

SIZE = (140, 30)
REASON = "database is locked"


class Failing:
    """Wraps a store's read so that it raises while ``on`` (every call, or only
    those past the first page with ``later_only``)."""

    def __init__(self, read, *, later_only: bool = False):
        self.read = read
        self.later_only = later_only
        self.on = True
        self.failed = 0

    def __call__(self, *args, **kwargs):
        if self.on and (not self.later_only or kwargs.get("offset", 0) > 0):
            self.failed += 1
            raise StoreError(REASON)
        return self.read(*args, **kwargs)


def failed_first_page(app, screen, noun: str) -> bool:
    text = screen_text(app)
    return (screen.has_class("-failed") and f"Cannot load the {noun}" in text
            and REASON in text and "load failed: r retries" in text
            and screen.table.styles.display == "none")


async def runs_screen(pilot) -> RunsScreen:
    return await wait_screen(pilot, RunsScreen)


async def traces_screen(pilot) -> TracesScreen:
    app = pilot.app
    experiment = next(e for e in app.store.list_experiments() if e.name == MAIN)
    await settle(pilot)
    await app.push_screen(TracesScreen([experiment.experiment_id], names=[MAIN]))
    return await wait_screen(pilot, TracesScreen)


SCREENS = {
    # what fails, the screen's noun, rows in the experiment, how to get there
    "runs": ("query_runs", "runs", 8, runs_screen),
    "traces": ("query_traces", "traces", MAIN_COUNT, traces_screen),
}


def app_for(kind: str, page_size: int):
    if kind == "runs":
        uri = f"sqlite:///{cached_store('sqlite') / 'mlflow.db'}"
        return make_app(uri, tree=False, experiment="sweep", page_size=page_size)
    uri = f"sqlite:///{cached_store('traces-sqlite') / 'mlflow.db'}"
    return make_app(uri, page_size=page_size)


def loaded(screen, count: int) -> bool:
    table = screen.table
    return table.line_count == count and all(table.item_at(i) is not None
                                             for i in range(count))


@pytest.mark.parametrize("kind", SCREENS)
async def test_first_page_fails_then_r_reads_again(kind, monkeypatch):
    read, noun, count, open_screen = SCREENS[kind]
    app = app_for(kind, page_size=200)
    failing = Failing(getattr(app.store, read))
    monkeypatch.setattr(app.store, read, failing)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_screen(pilot)
        await wait_for(pilot, lambda: failed_first_page(app, screen, noun),
                       f"the {noun} failed to load")
        assert screen.error == REASON and failing.failed == 1
        failing.on = False
        await pilot.press("r")
        await wait_for(pilot, lambda: loaded(screen, count), f"every {noun[:-1]} shown")
        assert not screen.has_class("-failed") and screen.error is None
        assert screen.table.styles.display != "none"
        assert "Cannot load" not in screen_text(app)


@pytest.mark.parametrize("kind", SCREENS)
async def test_later_page_fails_then_r_reads_again(kind, monkeypatch):
    read, noun, count, open_screen = SCREENS[kind]
    app = app_for(kind, page_size=3)
    failing = Failing(getattr(app.store, read), later_only=True)
    monkeypatch.setattr(app.store, read, failing)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await open_screen(pilot)
        await wait_toast(pilot, f"{REASON} (r retries)")
        await settle(pilot)
        table = screen.table
        # the first page stays on screen, the others wait for r
        assert not screen.has_class("-failed") and screen.error == REASON
        assert all(table.item_at(i) is not None for i in range(3))
        assert table.item_at(3) is None
        assert "load failed: r retries" in screen_text(app)
        failing.on = False
        await pilot.press("r")
        await wait_for(pilot, lambda: loaded(screen, count), f"every {noun[:-1]} shown")
        assert screen.error is None
