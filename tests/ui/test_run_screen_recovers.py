"""A run screen opened while the store cannot be read (the server down, the
database moved away) shows it stale and, for a RUNNING run, reads again on the
refresh interval until the store is back: it used to start following the run only
after a first good read, so it stayed 'stale: last read never' until r. On a
store made by the real mlflow client."""

from __future__ import annotations

import shutil
from pathlib import Path

from mlflow import MlflowClient

from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.run import RunScreen
from support.apphelp import make_app, screen_text, wait_for, wait_screen, wait_toast
from support.builders import copy_store


async def test_a_running_run_opened_while_the_store_is_away_recovers(tmp_path):
    uri = copy_store("sqlite", tmp_path)
    db = Path(uri.removeprefix("sqlite:///"))
    client = MlflowClient(uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    running = client.search_runs([sweep], "attributes.status = 'RUNNING'")[0]
    app = make_app(uri, live=0.5)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        run = app.store.get_run(running.info.run_id).run
        away = tmp_path / "away.db"
        shutil.move(db, away)
        app.push_screen(RunScreen(run))
        screen = await wait_screen(pilot, RunScreen)
        await wait_for(pilot, lambda: screen.stale is not None, "the failed read")
        said = await wait_toast(pilot, "retrying")
        assert "\n" not in said and "Traceback" not in said
        shutil.move(away, db)
        await wait_for(pilot, lambda: screen.stale is None and screen.view is not None,
                       "read again on its own")
        metrics = sorted(running.data.metrics)
        assert metrics and all(key in screen_text(app) for key in metrics)
