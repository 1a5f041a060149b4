"""Steps the registry screen tests share: open a model's versions, pick a version,
wait for a write, and snapshot what MLflow reads back to compare with MLflow's own
client making the same change (the ``twin`` fixture in conftest.py)."""

from __future__ import annotations

from mlflow import MlflowClient

from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.models import ModelsScreen
from mltui.screens.versions import VersionsScreen

from .apphelp import settle, wait_for, wait_screen

MODEL = "fraud-detector"


def snapshot(client: MlflowClient, name: str = MODEL) -> dict:
    """What MLflow reads back for a model: state, and the timestamps apart."""
    model = client.get_registered_model(name)
    versions = {}
    stamps = {"model": model.last_updated_timestamp}
    for mv in client.search_model_versions(f"name = '{name}'"):
        full = client.get_model_version(name, mv.version)
        versions[int(full.version)] = (
            full.current_stage,
            sorted(full.aliases),
            dict(full.tags),
            full.description,
        )
        stamps[int(full.version)] = full.last_updated_timestamp
    return {
        "state": {
            "description": model.description,
            "tags": dict(model.tags),
            "aliases": {a: int(v) for a, v in model.aliases.items()},
            "versions": versions,
        },
        "stamps": stamps,
    }


def changed_stamps(before: dict, after: dict) -> set:
    return {k for k, v in after["stamps"].items() if before["stamps"].get(k) != v}


def assert_same_change(ours_before, ours_after, twin_before, twin_after) -> None:
    """Same rows as MLflow's own client, and the same last_updated_time moves."""
    assert ours_after["state"] == twin_after["state"]
    assert changed_stamps(ours_before, ours_after) == changed_stamps(twin_before, twin_after)


async def open_versions(pilot, name: str = MODEL) -> VersionsScreen:
    """m, down to the model, enter: the versions screen, loaded."""
    await wait_screen(pilot, ExperimentsScreen)
    await pilot.press("m")
    models = await wait_screen(pilot, ModelsScreen)
    target = [m.name for m in models.models].index(name)
    while models.table.cursor_row != target:
        await pilot.press("j")
    await pilot.press("enter")
    screen = await wait_screen(pilot, VersionsScreen)
    await wait_for(pilot, lambda: screen.model is not None, "versions")
    assert screen.model_name == name
    return screen


async def select_version(pilot, screen: VersionsScreen, version: int) -> None:
    numbers = [v.version for v in screen.shown]
    target = numbers.index(version)
    while screen.table.cursor_row != target:
        await pilot.press("j" if screen.table.cursor_row < target else "k")
    assert screen.current.version == version


async def reloaded(pilot, screen: VersionsScreen) -> None:
    """Wait for the write and the reload of the versions screen after it."""
    await wait_screen(pilot, VersionsScreen)
    await settle(pilot)


def row_of(screen: VersionsScreen, version: int) -> dict[str, str]:
    """A version's row by column header: a new column moves no test's cell."""
    table = screen.table
    headers = [str(column.label) for column in table.ordered_columns]
    return dict(zip(headers, (str(cell) for cell in table.get_row(str(version))),
                    strict=True))
