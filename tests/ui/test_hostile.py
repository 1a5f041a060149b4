"""Hostile names in places that once rendered them as markup: notifications,
the command palette, confirmation dialogs."""

from mlflow import MlflowClient
from textual.command import CommandPalette

from mltui.config import load_settings
from mltui.screens.dialogs import ConfirmDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.models import ModelsScreen
from mltui.screens.versions import VersionsScreen
from mltui.views.registry import name_pattern
from support.apphelp import (
    make_app,
    screen_segments_text,
    settle,
    wait_for,
    wait_screen,
    wait_toast,
)


async def test_a_missing_experiment_named_like_markup_is_reported_not_fatal(sql_uri):
    app = make_app(sql_uri, experiment="[/x] \x1b]2;PWNED\x1b\\")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        toast = await wait_toast(pilot, "No experiment named")
        assert "[/x]" in toast
        assert "\x1b" not in screen_segments_text(app)


async def test_palette_finds_experiments_whose_names_look_like_markup(writable_sql_uri):
    MlflowClient(writable_sql_uri).create_experiment("ablation [/tmp] run")
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("ctrl+p")
        await wait_screen(pilot, CommandPalette)
        await pilot.press(*"ablation")
        await wait_for(pilot, lambda: "ablation [/tmp] run" in screen_segments_text(app),
                       "the experiment among the palette's hits")


async def test_deleting_an_alias_of_a_model_with_braces_in_its_name(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    client.create_registered_model("fraud{v2}")
    client.create_model_version("fraud{v2}", "s3://bucket/model")
    client.set_registered_model_alias("fraud{v2}", "champion", 1)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("m")
        models = await wait_screen(pilot, ModelsScreen)
        names = [m.name for m in models.models]
        models.table.move_cursor(row=names.index("fraud{v2}"))
        await pilot.press("enter")
        await wait_screen(pilot, VersionsScreen)
        await pilot.press("A")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await settle(pilot)
        await wait_toast(pilot, "Deleted @champion")
    assert client.get_registered_model("fraud{v2}").aliases == {}


def test_bad_settings_are_reported_and_ignored(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text('page_size = 0\nrefresh_interval = -1\n[keymap]\n"runs.sort" = 1\n')
    settings = load_settings(path)
    assert settings.page_size == 200 and settings.refresh_interval == 5.0
    assert settings.keymap == {}
    assert len(settings.problems) == 3


def test_model_filter_takes_underscores_literally_and_percent_as_a_pattern():
    assert name_pattern("fraud_det") == "%fraud_det%"
    assert name_pattern("fraud%") == "fraud%"
    assert name_pattern("  ") is None
