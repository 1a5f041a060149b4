"""Pilot tests of the registry faults of issue 8: columns cut after a write,
the archive-existing choice where MLflow refuses it, aliases left on moved
versions, edited descriptions lost to escape, and unconfirmed tag writes.
Writes are read back with ``MlflowClient``, as in ``test_app_registry``."""

from __future__ import annotations

import sqlite3
import time

import pytest
from mlflow import MlflowClient
from rich.cells import cell_len
from textual.widgets import Checkbox, DataTable, TextArea

from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.models import ModelsScreen
from mltui.screens.registry_dialogs import (
    DiscardChanges,
    StageConfirm,
    StageMenu,
    TagsDialog,
    TextEditor,
)
from mltui.screens.versions import VersionsScreen
from support.apphelp import (
    make_app,
    paste_text,
    screen_text,
    settle,
    type_text,
    wait_for,
    wait_screen,
    wait_toast,
)
from support.builders import HOSTILE_TAG
from support.registry_steps import (
    MODEL,
    assert_same_change,
    open_versions,
    reloaded,
    row_of,
    select_version,
    snapshot,
)


def age_versions(uri: str, days: int = 3) -> None:
    """Make the model's versions look ``days`` old, so their times read "3d ago":
    shorter than the "Updated" header and than the "just now" a write gives."""
    stamp = int((time.time() - days * 86400) * 1000)
    with sqlite3.connect(uri.removeprefix("sqlite:///")) as db:
        db.execute(
            "UPDATE model_versions SET creation_time = ?, last_updated_time = ? WHERE name = ?",
            (stamp, stamp, MODEL),
        )


def cut_cells(table: DataTable) -> list[str]:
    """Every cell wider than its column (drawn cut), as 'column/row: value'."""
    cut = []
    for column in table.ordered_columns:
        for row_key in table.rows:
            value = str(table.get_cell(row_key, column.key))
            if cell_len(value) > column.get_render_width(table) - 2 * table.cell_padding:
                cut.append(f"{column.label}/{row_key.value}: {value}")
    return cut


async def all_cells_fit(pilot, screen: VersionsScreen) -> None:
    # widths are measured on idle: wait for them
    await wait_for(pilot, lambda: not cut_cells(screen.table), "every cell to fit its column")


def dialog_text(app, dialog) -> str:
    """The text inside a dialog's border, wrapped lines joined with one space."""
    lines = []
    for line in screen_text(app, dialog).splitlines():
        if line.count("█") >= 2:
            lines.append(line.split("█")[1].strip())
    return " ".join(line for line in lines if line)


def version_line(app, version: int) -> str:
    return next(line for line in screen_text(app).splitlines()
                if line.strip().startswith(f"v{version} "))


# -- 1. columns fit their values after writes and reloads -----------------------------------
async def test_versions_columns_fit_values_after_writes(writable_sql_uri):
    age_versions(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(200, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        await all_cells_fit(pilot, screen)
        assert row_of(screen, 4)["Updated"] == "3d ago"

        # a stage write: "Updated" goes from "3d ago" to "just now", wider than its header
        await select_version(pilot, screen, 4)
        await pilot.press("s")
        await wait_screen(pilot, StageMenu)
        await pilot.press("enter")
        await wait_screen(pilot, StageConfirm)
        await pilot.press("y")
        await reloaded(pilot, screen)
        await wait_for(pilot, lambda: row_of(screen, 4)["Stage"] == "Staging", "v4 in Staging")
        assert row_of(screen, 4)["Updated"] == "just now"
        await all_cells_fit(pilot, screen)
        await wait_for(pilot, lambda: "just now" in version_line(app, 4), "'just now' drawn")
        assert "just no " not in screen_text(app)

        # a description write widens "Description"; a tag write widens "Tags"
        await pilot.press("d")
        await wait_screen(pilot, TextEditor)
        await pilot.press("f7")  # select all, then type over it
        await paste_text(pilot, "Retrained on the March data, with new features")
        await pilot.press("ctrl+s")
        await reloaded(pilot, screen)
        await wait_for(pilot, lambda: row_of(screen, 4)["Description"].startswith(
            "Retrained on the"), "description shown")
        await all_cells_fit(pilot, screen)
        await pilot.press("t")
        dialog = await wait_screen(pilot, TagsDialog)
        await pilot.press("a")
        await wait_screen(pilot, PromptDialog)
        await type_text(pilot, "reviewer")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Value of tag reviewer" in screen_text(app), "value prompt")
        await type_text(pilot, "alice")
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_screen(pilot, TagsDialog)
        await wait_for(pilot, lambda: "reviewer" in dialog.tags, "tag written")
        await pilot.press("escape")
        await reloaded(pilot, screen)
        await wait_for(pilot, lambda: "reviewer=alice" in row_of(screen, 4)["Tags"], "tags shown")
        await all_cells_fit(pilot, screen)

        # and after a plain reload
        await pilot.press("r")
        await settle(pilot)
        await all_cells_fit(pilot, screen)

        # the models table, reloaded on the way back, fits the new values too
        await pilot.press("escape")
        models = await wait_screen(pilot, ModelsScreen)
        await wait_for(pilot, lambda: not cut_cells(models.table), "models cells fit")


# -- 2. the stage confirmation ---------------------------------------------------------------
async def move_to(pilot, screen: VersionsScreen, version: int, stage: str) -> StageConfirm:
    await select_version(pilot, screen, version)
    await pilot.press("s")
    menu = await wait_screen(pilot, StageMenu)
    options = menu.query_one("OptionList")
    options.highlighted = [options.get_option_at_index(i).id
                           for i in range(options.option_count)].index(stage)
    await pilot.press("enter")
    return await wait_screen(pilot, StageConfirm)


@pytest.mark.parametrize(("version", "stage"), [(4, "Archived"), (3, "None")])
async def test_archive_existing_is_not_offered_for_archived_or_none(
    writable_sql_uri, twin, version, stage
):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        confirm = await move_to(pilot, screen, version, stage)
        text = screen_text(app, confirm)
        assert f"Move to {stage}?" in text
        assert "Archive existing" not in text and "toggle archive" not in text
        assert not confirm.query(Checkbox)
        assert "toggle_archive" not in {b.binding.action for b in
                                        app.active_bindings.values()}
        await pilot.press("a")  # does nothing here
        await settle(pilot)
        assert isinstance(app.screen, StageConfirm)
        assert screen_text(app, confirm) == text

        before, twin_before = snapshot(ours), snapshot(twin)
        await pilot.press("y")
        await reloaded(pilot, screen)
        twin.transition_model_version_stage(MODEL, str(version), stage,
                                            archive_existing_versions=False)
        assert_same_change(before, snapshot(ours), twin_before, snapshot(twin))
        assert ours.get_model_version(MODEL, str(version)).current_stage == stage


async def test_stage_confirmation_warns_about_aliases(writable_sql_uri, twin):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(160, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)

        # no alias on v4: no warning
        confirm = await move_to(pilot, screen, 4, "Staging")
        assert "Warning" not in screen_text(app, confirm)
        await pilot.press("n")
        await wait_screen(pilot, VersionsScreen)

        # @champion stays on v2 when v2 is archived
        confirm = await move_to(pilot, screen, 2, "Archived")
        assert ("Warning: @champion points at v2; moving it to Archived leaves it pointing "
                "at it.") in dialog_text(app, confirm)
        await pilot.press("n")
        await wait_screen(pilot, VersionsScreen)

        # v3 (@challenger) to Production; with a, v2 (@champion) would be archived
        confirm = await move_to(pilot, screen, 3, "Production")
        text = dialog_text(app, confirm)
        assert "Warning: @challenger points at v3; moving it to Production" in text
        assert "which would be archived" not in text
        await pilot.press("a")
        text = dialog_text(app, confirm)
        assert ("Warning: @champion points at v2, which would be archived; it stays on v2 "
                "in Archived.") in text
        assert "Also moved to Archived: v2 (now Production)" in text
        await pilot.press("a")
        assert "which would be archived" not in dialog_text(app, confirm)
        await pilot.press("a")

        # the warning is no refusal: the move is written as MLflow writes it
        before, twin_before = snapshot(ours), snapshot(twin)
        await pilot.press("y")
        await reloaded(pilot, screen)
        twin.transition_model_version_stage(MODEL, "3", "Production",
                                            archive_existing_versions=True)
        after = snapshot(ours)
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert after["state"]["versions"][2][0] == "Archived"
        assert str(ours.get_model_version_by_alias(MODEL, "champion").version) == "2"


# -- 3. the description editor -----------------------------------------------------------------
async def test_description_editor_asks_before_discarding_edits(writable_sql_uri):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        await select_version(pilot, screen, 4)
        before = snapshot(ours)

        # unchanged (also typed and taken back): escape just closes
        await pilot.press("D")
        await wait_screen(pilot, TextEditor)
        await pilot.press("escape")
        await wait_screen(pilot, VersionsScreen)
        await pilot.press("d")
        editor = await wait_screen(pilot, TextEditor)
        await type_text(pilot, "x")
        await pilot.press("backspace", "escape")
        await wait_screen(pilot, VersionsScreen)

        # edited: escape asks; n, escape and enter (the focused button) keep editing
        await pilot.press("d")
        editor = await wait_screen(pilot, TextEditor)
        await type_text(pilot, "xyz")
        for key in ("n", "escape", "enter"):
            await pilot.press("escape")
            ask = await wait_screen(pilot, DiscardChanges)
            text = screen_text(app, ask)
            assert "Discard your changes?" in text and "Keep editing" in text
            await pilot.press(key)
            await wait_screen(pilot, TextEditor)
            assert editor.query_one(TextArea).text == "xyzversion 4", key
        # y discards: nothing is written
        await pilot.press("escape")
        await wait_screen(pilot, DiscardChanges)
        await pilot.press("y")
        await reloaded(pilot, screen)
        assert snapshot(ours) == before
        assert ours.get_model_version(MODEL, "4").description == "version 4"

        # the model description too
        await pilot.press("D")
        await wait_screen(pilot, TextEditor)
        await type_text(pilot, "more")
        await pilot.press("escape")
        await wait_screen(pilot, DiscardChanges)
        await pilot.press("y")
        await reloaded(pilot, screen)
        assert snapshot(ours) == before


# -- 4. tag edits are confirmed ----------------------------------------------------------------
async def test_tag_edits_are_confirmed_and_cancelling_writes_nothing(writable_sql_uri, twin):
    ours = MlflowClient(writable_sql_uri)
    ours.set_registered_model_tag(MODEL, "hostile", HOSTILE_TAG)
    twin.set_registered_model_tag(MODEL, "hostile", HOSTILE_TAG)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        before = snapshot(ours)

        async def cancel_with(key: str) -> None:
            await pilot.press(key)
            await wait_screen(pilot, TagsDialog)
            assert snapshot(ours) == before

        # model tags (T): rows are sorted, "hostile" then "team"
        await pilot.press("T")
        dialog = await wait_screen(pilot, TagsDialog)
        assert dialog.tags == {"team": "risk", "hostile": HOSTILE_TAG}

        # delete: the old value shown inert (markup as text, ESC as a picture)
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmDialog)
        text = screen_text(app, confirm)
        assert 'Tag "hostile" of model fraud-detector:' in text
        assert '"[bold]x[/] ␛[31mred␛[0m" → (deleted)' in text
        await cancel_with("n")

        # edit: old -> new
        await pilot.press("down", "e")
        await wait_screen(pilot, PromptDialog)
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "fraud")
        await pilot.press("enter")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert '"risk" → "fraud"' in screen_text(app, confirm)
        await cancel_with("escape")

        # add: (not set) -> new
        await pilot.press("a")
        await wait_screen(pilot, PromptDialog)
        await type_text(pilot, "owner")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "Value of tag owner" in screen_text(app), "value prompt")
        await paste_text(pilot, "[red]eve[/red]")
        await pilot.press("enter")
        confirm = await wait_screen(pilot, ConfirmDialog)
        text = screen_text(app, confirm)
        assert "Add tag" in text and '"owner" of model fraud-detector' in text
        assert '(not set) → "[red]eve[/red]"' in text
        await cancel_with("n")

        # the same value again: nothing to confirm, nothing written
        await pilot.press("e")
        await wait_screen(pilot, PromptDialog)
        await pilot.press("enter")
        await wait_toast(pilot, "Tag team already has that value; nothing written")
        assert isinstance(app.screen, TagsDialog)
        assert snapshot(ours) == before

        # confirmed: written as MlflowClient writes it
        twin_before = snapshot(twin)
        await pilot.press("e")
        await wait_screen(pilot, PromptDialog)
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "fraud")
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_screen(pilot, TagsDialog)
        await wait_for(pilot, lambda: dialog.tags.get("team") == "fraud", "tag written")
        await pilot.press("escape")
        await reloaded(pilot, screen)
        twin.set_registered_model_tag(MODEL, "team", "fraud")
        assert_same_change(before, snapshot(ours), twin_before, snapshot(twin))
        assert ours.get_registered_model(MODEL).tags == {"team": "fraud", "hostile": HOSTILE_TAG}

        # version tags (t): cancelling a delete writes nothing
        before = snapshot(ours)
        await select_version(pilot, screen, 4)
        await pilot.press("t")
        await wait_screen(pilot, TagsDialog)
        await pilot.press("d")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert '"validated" of fraud-detector v4:' in screen_text(app, confirm)
        await cancel_with("n")
        await pilot.press("escape")
        await reloaded(pilot, screen)
        assert ours.get_model_version(MODEL, "4").tags == {"validated": "false"}
        assert snapshot(ours) == before
