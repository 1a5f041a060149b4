"""Optional features follow the store's capabilities: what a backend cannot do is
not offered (no key, no column), rather than offered and then refused."""

from __future__ import annotations

import dataclasses

from mltui.app import MltuiApp
from mltui.config import Settings
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.models import ModelsScreen
from mltui.store import open_store
from support.apphelp import footer_text, screen_text, wait_screen


async def test_a_store_without_a_registry_offers_no_registry_key(sql_uri):
    store = open_store(sql_uri)
    # a real store told it has no registry (every real backend has one)
    store.capabilities = dataclasses.replace(store.capabilities, registry=False)
    app = MltuiApp(store=store, settings=Settings(refresh_interval=0.0))
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        assert "Models" not in footer_text(app)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, ExperimentsScreen)
        assert not app._notifications  # nothing refused: nothing was offered
        await pilot.press("question_mark")
        await pilot.pause()
        assert "Models" not in screen_text(app)


async def test_a_store_with_a_registry_offers_it(sql_uri):
    app = MltuiApp(store=open_store(sql_uri), settings=Settings(refresh_interval=0.0))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        assert "m Models" in footer_text(app)
        await pilot.press("m")
        await wait_screen(pilot, ModelsScreen)


async def test_a_store_that_cannot_count_shows_no_runs_column(sql_uri):
    store = open_store(sql_uri)
    store.capabilities = dataclasses.replace(store.capabilities, run_counts=False)
    app = MltuiApp(store=store, settings=Settings(refresh_interval=0.0))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        headers = [str(c.label) for c in screen.table.columns.values()]
        assert "Runs" not in headers and "Name" in headers
        row = screen.table.get_row_at(0)
        assert len(row) == len(headers)
