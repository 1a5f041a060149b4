"""Copying over SSH (issue 15): y copies the id or URI of the thing under the cursor,
Y the value under the cursor, U an artifact URI, c a version's serve command, on the
experiments, runs, run, models and versions screens. Each goes through OSC 52
(``App.copy_to_clipboard``, whose text Textual keeps in ``App.clipboard``) and the
message shows the text itself, for a terminal that refuses OSC 52.
"""

from __future__ import annotations

from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from support.apphelp import (
    make_app,
    run_names,
    screen_text,
    wait_for,
    wait_screen,
    wait_toast,
)
from support.registry_steps import MODEL, open_versions, select_version


async def copied(pilot, key: str, expected: str, what: str) -> None:
    app = pilot.app
    await pilot.press(key)
    await wait_for(pilot, lambda: app.clipboard == expected,
                   f"{key} to copy {expected!r} (have {app.clipboard!r})")
    # the newest message: earlier copies may still be on screen
    toast = await wait_toast(pilot, f"Copied {what} (OSC 52): {expected[:60]}")
    assert toast


async def test_experiments_screen_copies_id_and_artifact_location(sql_uri, mlflow_client):
    sweep = mlflow_client.get_experiment_by_name("sweep")
    app = make_app(sql_uri)
    async with app.run_test(size=(140, 36), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        screen.table.move_cursor(row=[e.name for e in screen.shown].index("sweep"))
        await copied(pilot, "y", sweep.experiment_id, "experiment id")
        await copied(pilot, "U", sweep.artifact_location, "artifact location")


async def test_runs_and_run_screens_copy_id_value_and_artifact_uri(sql_uri, mlflow_client):
    exp = mlflow_client.get_experiment_by_name("sweep")
    refs = {r.info.run_name: r for r in mlflow_client.search_runs([exp.experiment_id])}
    app = make_app(sql_uri, experiment="sweep", tree=False)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, lambda: screen.table.current_run is not None, "a run")
        run = screen.table.current_run
        ref = refs[run.run_name]
        await copied(pilot, "y", ref.info.run_id, "run id")
        await copied(pilot, "U", ref.info.artifact_uri, "artifact URI")
        # the focused cell: move to the run name's right until a param column
        table = screen.table
        param = next(i for i, c in enumerate(table.columns) if c.spec.startswith("params."))
        while table.focused_column != param:
            await pilot.press("l")
        key = table.columns[param].spec.removeprefix("params.")
        name = next(n for n in run_names(table) if n and key in refs[n].data.params)
        table.move_cursor(run_names(table).index(name))
        ref = refs[name]
        await copied(pilot, "Y", ref.data.params[key], f"params.{key} of {name}")

        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        await wait_for(pilot, lambda: run_screen.detail is not None, "run detail")
        await copied(pilot, "y", ref.info.run_id, "run id")
        await copied(pilot, "U", ref.info.artifact_uri, "artifact URI")
        await pilot.press("3")  # params, sorted by key: the first one
        first = sorted(ref.data.params)[0]
        await copied(pilot, "Y", ref.data.params[first], f"param {first}")


async def test_models_and_versions_copy_name_uri_and_serve_command(sql_uri, mlflow_client):
    # search_model_versions leaves aliases out: the model says which version has one
    aliased = set(mlflow_client.get_registered_model(MODEL).aliases.values())
    versions = mlflow_client.search_model_versions(f"name = '{MODEL}'")
    with_alias = next(v for v in versions if int(v.version) in aliased)
    without = next(v for v in versions if int(v.version) not in aliased)
    app = make_app(sql_uri)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await open_versions(pilot)
        await select_version(pilot, screen, int(with_alias.version))
        alias = screen.current.aliases[0]
        serve = f"mlflow models serve -m models:/{MODEL}@{alias}"
        # shown under the table, ready to copy
        await wait_for(pilot, lambda: serve in screen_text(app), "the serve command shown")
        await copied(pilot, "c", serve, "serve command")
        await copied(pilot, "y", f"models:/{MODEL}/{with_alias.version}", "model version URI")
        await select_version(pilot, screen, int(without.version))
        await copied(pilot, "c", f"mlflow models serve -m models:/{MODEL}/{without.version}",
                     "serve command")
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ModelsScreen", "models")
        models = app.screen
        await wait_for(pilot, lambda: models.current is not None, "a model")
        await copied(pilot, "y", models.current.name, "model name")


def test_copy_keys_are_y_for_ids_on_every_screen():
    """One key for one job: y copies the id/URI wherever there is one (compare's y
    copies its table, the artifact browser's a file's URI)."""
    from mltui.screens.experiments import ExperimentsScreen
    from mltui.screens.models import ModelsScreen
    from mltui.screens.versions import VersionsScreen

    for screen in (ExperimentsScreen, RunsScreen, RunScreen, ModelsScreen, VersionsScreen):
        copy = [b for b in screen.BINDINGS if b.key == "y"]
        assert len(copy) == 1 and copy[0].action.startswith("copy_"), screen
        assert copy[0].id and copy[0].id.endswith(copy[0].action), copy[0].id


async def test_copied_text_holding_markup_is_shown_as_written():
    """A copied value is data: its "[bold]" or an unclosed "[red" is shown, not read
    as Textual markup (which styled it, or failed on the unclosed tag)."""
    from textual.app import App

    from mltui.screens.clipboard import copy_text

    value = "[bold]x[/] [red"
    app = App()
    async with app.run_test(notifications=True) as pilot:
        copy_text(app.screen, value, "tag value")
        await wait_toast(pilot, f"Copied tag value (OSC 52): {value}")
