"""The runs table's columns from config.toml's [columns], per experiment, on a store
made by the real mlflow client; the person's own choice (``c``) still wins."""

from __future__ import annotations

from mltui.columns import parse_column
from mltui.screens.runs import RunsScreen
from support.apphelp import make_app, screen_text, wait_for, wait_screen, wait_toast
from support.builders import cached_store

URI = f"sqlite:///{cached_store('pages-sqlite') / 'mlflow.db'}"
PAGES = ["start_time", "metrics.loss", "params.optimizer", "params.lr"]


async def open_runs(columns: dict[str, list[str]]):
    app = make_app(URI, experiment="pages", tree=False)
    app.settings.columns = columns
    return app


async def test_an_experiments_configured_columns_are_shown():
    app = await open_runs({"pages": PAGES, "*": ["metrics.acc"]})
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        assert screen.table.columns == [parse_column(s) for s in PAGES]
        await wait_for(pilot, lambda: "optimizer" in screen_text(app).splitlines()[1],
                       "the configured header")
        header = screen_text(app).splitlines()[1]
        assert "loss" in header and "lr" in header and "acc" not in header
        # the columns stay after the experiment's keys arrive (they would replace defaults)
        await pilot.pause(0.5)
        assert screen.table.columns == [parse_column(s) for s in PAGES]


async def test_star_is_for_any_experiment_and_a_bad_column_is_said_once():
    app = await open_runs({"*": ["metrics.acc"]})
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        assert screen.table.columns == [parse_column("metrics.acc")]
    app = await open_runs({"pages": ["metrics."]})
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        await wait_toast(pilot, "[columns]")
        assert screen.table.columns[0].key == "created"  # the defaults


async def test_columns_picked_with_c_win_over_the_config():
    app = await open_runs({"pages": PAGES})
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        app.state.set("columns", screen._columns_key, ["metrics.acc"])
    app = await open_runs({"pages": PAGES})
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        assert screen.table.columns == [parse_column("metrics.acc")]
