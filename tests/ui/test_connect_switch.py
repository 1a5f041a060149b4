"""The palette's "Connect: NAME" (issue 15): the named connection of config.toml opens
in a worker and its experiments replace every screen of the old store."""

from __future__ import annotations

from mlflow import MlflowClient
from textual.command import CommandPalette

from mltui.app import MltuiApp
from mltui.config import Connection, Settings
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.runs import RunsScreen
from mltui.store import open_store
from support.apphelp import screen_text, type_text, wait_for, wait_screen, wait_toast


async def test_connect_from_the_palette_switches_the_store(sql_uri, writable_sql_uri):
    MlflowClient(writable_sql_uri).create_experiment("only-over-there")
    settings = Settings(refresh_interval=0.0, connections={
        "other": Connection("other", writable_sql_uri),
        "broken": Connection("broken", "http://127.0.0.1:9", credential_command="exit 4"),
    })
    old = open_store(sql_uri)
    app = MltuiApp(store=old, experiment="sweep", settings=settings)
    async with app.run_test(size=(140, 36), notifications=True) as pilot:
        await wait_screen(pilot, RunsScreen)
        await pilot.press("ctrl+p")
        palette = await wait_screen(pilot, CommandPalette)
        await type_text(pilot, "connect broken")
        await wait_for(pilot, lambda: "Connect: broken" in screen_text(app, palette), "hit")
        await pilot.press("enter")
        await wait_toast(pilot, "Cannot connect to broken: The credential command of "
                                "connection 'broken' failed (exit 4)")
        assert app.store is old  # a failure changes nothing
        await pilot.press("ctrl+p")
        palette = await wait_screen(pilot, CommandPalette)
        await type_text(pilot, "connect other")
        await wait_for(pilot, lambda: "Connect: other" in screen_text(app, palette), "hit")
        await pilot.press("enter")
        screen = await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen)
                                and app.screen.experiments and app.screen, "the other store")
        assert "only-over-there" in [e.name for e in screen.experiments]
        assert len(app.screen_stack) == 2  # the runs screen of the old store is gone
        assert app.store is not old and app.connection == "other"
        assert app.store_label[-30:] in screen_text(app)  # the status bar says so
        assert app.store.uri == writable_sql_uri
