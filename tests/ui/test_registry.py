"""Pilot tests of the registry screens: every write is made with keys in the UI
on a store made by real mlflow, read back with ``MlflowClient`` and compared
with what ``MlflowClient`` itself writes for the same change on a twin store."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from textual.widgets import TextArea

from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.models import ModelsScreen
from mltui.screens.registry_dialogs import (
    AliasDialog,
    DiscardChanges,
    StageConfirm,
    StageMenu,
    TagsDialog,
    TextEditor,
)
from mltui.screens.run import RunScreen
from mltui.screens.versions import VersionsScreen
from support.apphelp import (
    footer_text,
    make_app,
    paste_text,
    screen_text,
    settle,
    type_text,
    wait_for,
    wait_screen,
    wait_toast,
)
from support.registry_steps import (
    MODEL,
    assert_same_change,
    open_versions,
    reloaded,
    row_of,
    select_version,
    snapshot,
)


# -- browsing --------------------------------------------------------------------------
async def test_models_and_versions_match_mlflow(sql_uri, mlflow_client):
    app = make_app(sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("m")
        models = await wait_screen(pilot, ModelsScreen)
        expected = mlflow_client.search_registered_models()
        names = {m.name for m in expected if m.tags.get("mlflow.prompt.is_prompt") != "true"}
        assert {m.name for m in models.models} == names
        assert "my-prompt" not in screen_text(app)
        await pilot.press("P")
        await settle(pilot)
        assert "my-prompt" in {m.name for m in models.models}
        assert "(prompt)" in screen_text(app)
        await pilot.press("P")
        await settle(pilot)
        # / filters by name as you type (plain text matches anywhere)
        await pilot.press("slash")
        await type_text(pilot, "fraud")
        await wait_for(pilot, lambda: [m.name for m in models.models] == [MODEL], "name filter")
        await pilot.press("enter")
        fraud = next(i for i, m in enumerate(models.models) if m.name == MODEL)
        row = [str(c) for c in models.table.get_row_at(fraud)]
        assert row[1] == "v4" and row[2] == "4"
        assert "@challenger→v3" in row[4] and "@champion→v2" in row[4]
        await pilot.press("escape")  # clears the filter
        await wait_for(pilot, lambda: len(models.models) == len(names), "all models again")
        await pilot.press("escape")
        assert isinstance(app.screen, ExperimentsScreen)

        screen = await open_versions(pilot)
        mlflow_versions = mlflow_client.search_model_versions(f"name = '{MODEL}'")
        assert [v.version for v in screen.shown] == sorted(
            (int(v.version) for v in mlflow_versions), reverse=True
        )
        for mv in mlflow_versions:
            full = mlflow_client.get_model_version(MODEL, mv.version)
            row = row_of(screen, int(mv.version))
            assert row["Version"] == f"v{mv.version}" and row["Stage"] == mv.current_stage
            assert row["Aliases"].split() == [f"@{a}" for a in full.aliases]
            assert row["Description"] == mv.description
        assert "Gradient boosted trees" in screen_text(app)  # the model's Markdown description
        assert "@champion→v2" in screen_text(app)

        # f cycles the stage filter
        await pilot.press("f", "f", "f")
        assert screen.stage_filter == "Production"
        assert [v.version for v in screen.shown] == [2]
        await pilot.press("f")
        assert [v.version for v in screen.shown] == [1]  # Archived
        await pilot.press("f")
        assert screen.stage_filter is None and len(screen.shown) == 4

        # enter opens the run that produced the version
        await select_version(pilot, screen, 2)
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        assert run_screen.run.run_id == mlflow_client.get_model_version(MODEL, 2).run_id
        await pilot.press("escape")
        await wait_screen(pilot, VersionsScreen)


async def test_registry_screens_at_80x24(sql_uri):
    app = make_app(sql_uri)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:

        async def check(*words: str) -> None:
            # tables size their columns on idle: wait for the words, then check the size
            await wait_for(
                pilot,
                lambda: all(w in screen_text(app) for w in words),
                f"{words} on the 80x24 screen",
            )
            lines = screen_text(app).splitlines()
            assert len(lines) == 24 and all(len(line) <= 80 for line in lines)

        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("m")
        await wait_screen(pilot, ModelsScreen)
        await check("fraud-detector", "churn-model")
        assert "Filter" in footer_text(app) and "Prompts" in footer_text(app)
        await pilot.press("escape")
        screen = await open_versions(pilot)
        await check("v4", "v1", "Production")
        assert "Stage" in footer_text(app) and "Alias" in footer_text(app)
        await select_version(pilot, screen, 4)
        await pilot.press("s")
        await wait_screen(pilot, StageMenu)
        await check("Staging", "Production", "Archived", "escape: cancel")
        await pilot.press("enter")
        await wait_screen(pilot, StageConfirm)
        await check("Move to Staging?", "None → Staging", "y / enter: confirm")
        await pilot.press("escape", "a")
        await wait_screen(pilot, AliasDialog)
        await check("Alias for fraud-detector v4", "existing:")
        await pilot.press("escape", "t")
        await wait_screen(pilot, TagsDialog)
        await check("validated", "a: add")
        await pilot.press("escape", "d")
        await wait_screen(pilot, TextEditor)
        await check("version 4", "ctrl+s: save")
        await pilot.press("escape")
        await wait_screen(pilot, VersionsScreen)


# -- stage transitions ---------------------------------------------------------------
async def test_stage_transitions_as_mlflow_does(writable_sql_uri, twin):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)

        # v4 None -> Staging; v3 (in Staging) stays: archive-existing is off by default
        await select_version(pilot, screen, 4)
        await pilot.press("s")
        menu = await wait_screen(pilot, StageMenu)
        assert menu.query_one("OptionList").highlighted == 1  # the usual next step: Staging
        await pilot.press("enter")
        confirm = await wait_screen(pilot, StageConfirm)
        text = screen_text(app, confirm)
        assert "fraud-detector v4: None → Staging" in text
        assert "v3 stay in Staging (press a to archive them)" in text
        before, twin_before = snapshot(ours), snapshot(twin)
        await pilot.press("enter")  # enter confirms, as the dialog says
        await reloaded(pilot, screen)
        twin.transition_model_version_stage(MODEL, "4", "Staging", archive_existing_versions=False)
        after = snapshot(ours)
        assert after["state"]["versions"][4][0] == "Staging"
        assert after["state"]["versions"][3][0] == "Staging"
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert row_of(screen, 4)["Stage"] == "Staging"
        assert ours.get_model_version(MODEL, "4").current_stage == "Staging"

        # v3 Staging -> Production, and `a` archives v2 (now in Production)
        await select_version(pilot, screen, 3)
        await pilot.press("s")
        menu = await wait_screen(pilot, StageMenu)
        assert menu.query_one("OptionList").highlighted == 2  # Production
        await pilot.press("enter")
        confirm = await wait_screen(pilot, StageConfirm)
        assert "v2 stay in Production" in screen_text(app, confirm)
        await pilot.press("a")
        text = screen_text(app, confirm)
        assert "Also moved to Archived: v2 (now Production)" in text
        before, twin_before = snapshot(ours), snapshot(twin)
        await pilot.press("y")
        await reloaded(pilot, screen)
        twin.transition_model_version_stage(
            MODEL, "3", "Production", archive_existing_versions=True
        )
        after = snapshot(ours)
        assert after["state"]["versions"][3][0] == "Production"
        assert after["state"]["versions"][2][0] == "Archived"
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert row_of(screen, 3)["Stage"] == "Production"
        assert row_of(screen, 2)["Stage"] == "Archived"
        assert [str(mv.version) for mv in ours.get_latest_versions(MODEL, ["Production"])] == ["3"]

        # cancelling in the menu or in the confirmation writes nothing
        before = snapshot(ours)
        await select_version(pilot, screen, 1)
        await pilot.press("s")
        await wait_screen(pilot, StageMenu)
        await pilot.press("escape")
        await wait_screen(pilot, VersionsScreen)
        await pilot.press("s")
        menu = await wait_screen(pilot, StageMenu)
        assert menu.query_one("OptionList").highlighted == 3  # v1 is Archived
        await pilot.press("enter")
        await wait_toast(pilot, "v1 is already in Archived")
        await pilot.press("s")
        await wait_screen(pilot, StageMenu)
        await pilot.press("up", "enter")
        confirm = await wait_screen(pilot, StageConfirm)
        assert "v1: Archived → Production" in screen_text(app, confirm)
        await pilot.press("n")
        await reloaded(pilot, screen)
        assert snapshot(ours) == before


# -- aliases ---------------------------------------------------------------------------
async def test_aliases_set_move_refuse_and_delete(writable_sql_uri, twin):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        await select_version(pilot, screen, 4)

        # a reserved name: refused in the dialog with MLflow's own message
        with pytest.raises(MlflowException) as refused:
            twin.set_registered_model_alias(MODEL, "v3", "4")
        before = snapshot(ours)
        await pilot.press("a")
        dialog = await wait_screen(pilot, AliasDialog)
        await type_text(pilot, "v3")
        assert refused.value.message in screen_text(app, dialog)
        await pilot.press("enter")
        assert isinstance(app.screen, AliasDialog)  # stays open; nothing written
        assert refused.value.message in screen_text(app, dialog)

        # champion moves from v2 to v4
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "champion")
        assert "@champion moves from v2 to v4" in screen_text(app, dialog)
        twin_before = snapshot(twin)
        await pilot.press("enter")
        await reloaded(pilot, screen)
        twin.set_registered_model_alias(MODEL, "champion", "4")
        after = snapshot(ours)
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert str(ours.get_model_version_by_alias(MODEL, "champion").version) == "4"
        assert row_of(screen, 4)["Aliases"] == "@champion" and row_of(screen, 2)["Aliases"] == ""
        assert "@champion → v4 (moved from v2)" in screen_text(app)

        # a new alias on v1
        await select_version(pilot, screen, 1)
        await pilot.press("a")
        dialog = await wait_screen(pilot, AliasDialog)
        await type_text(pilot, "stable")
        assert "New alias @stable → v1" in screen_text(app, dialog)
        before, twin_before = after, snapshot(twin)
        await pilot.press("enter")
        await reloaded(pilot, screen)
        twin.set_registered_model_alias(MODEL, "stable", "1")
        after = snapshot(ours)
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert str(ours.get_model_version_by_alias(MODEL, "stable").version) == "1"

        # A deletes the alias of v3 (its only one: straight to the confirmation)
        await select_version(pilot, screen, 3)
        await pilot.press("A")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert "Delete @challenger (now → v3 of fraud-detector)?" in screen_text(app, confirm)
        before, twin_before = after, snapshot(twin)
        await pilot.press("y")
        await reloaded(pilot, screen)
        twin.delete_registered_model_alias(MODEL, "challenger")
        after = snapshot(ours)
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert "challenger" not in after["state"]["aliases"]
        with pytest.raises(MlflowException):
            ours.get_model_version_by_alias(MODEL, "challenger")
        assert row_of(screen, 3)["Aliases"] == ""

        # A on a version without an alias says so
        await pilot.press("A")
        await wait_toast(pilot, "v3 has no alias")
        assert isinstance(app.screen, VersionsScreen)


# -- tags and descriptions -------------------------------------------------------------
async def test_version_tags_add_edit_delete(writable_sql_uri, twin):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        await select_version(pilot, screen, 4)
        before, twin_before = snapshot(ours), snapshot(twin)
        await pilot.press("t")
        dialog = await wait_screen(pilot, TagsDialog)
        assert dialog.tags == {"validated": "false"}

        # a: key, then value
        await pilot.press("a")
        await wait_screen(pilot, PromptDialog)
        await type_text(pilot, "bad*key")
        await pilot.press("enter")
        with pytest.raises(MlflowException) as refused:
            twin.set_model_version_tag(MODEL, "4", "bad*key", "x")
        error = app.screen.query_one("#prompt-error").render()
        assert str(getattr(error, "plain", error)) == refused.value.message
        assert isinstance(app.screen, PromptDialog)
        await pilot.press("ctrl+a", "ctrl+k")
        await paste_text(pilot, "reviewed by")
        await pilot.press("enter")
        await wait_for(
            pilot,
            lambda: (
                isinstance(app.screen, PromptDialog)
                and "Value of tag reviewed by" in screen_text(app)
            ),
            "value prompt",
        )
        await paste_text(pilot, "alice & [bold]bob[/]")
        await pilot.press("enter")
        # confirmed first, with the key and the value before and after
        confirm = await wait_screen(pilot, ConfirmDialog)
        text = screen_text(app, confirm)
        assert 'Tag "reviewed by" of fraud-detector v4:' in text
        assert '(not set) → "alice & [bold]bob[/]"' in text
        await pilot.press("y")
        await wait_screen(pilot, TagsDialog)
        await wait_for(pilot, lambda: "reviewed by" in dialog.tags, "tag written")
        await wait_for(
            pilot,
            lambda: "alice & [bold]bob[/]" in screen_text(app, dialog),
            "the tag value shown as typed",
        )

        # e edits the highlighted tag (rows are sorted: "reviewed by", "validated")
        await pilot.press("down", "e")
        prompt = await wait_screen(pilot, PromptDialog)
        assert prompt.query_one("Input").value == "false"
        await pilot.press("ctrl+a", "ctrl+k")
        await type_text(pilot, "true")
        await pilot.press("enter")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert '"false" → "true"' in screen_text(app, confirm)
        await pilot.press("y")
        await wait_screen(pilot, TagsDialog)
        await wait_for(pilot, lambda: dialog.tags.get("validated") == "true", "tag edited")

        # d deletes the highlighted tag, after a confirmation
        await pilot.press("up", "d")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert '"alice & [bold]bob[/]" → (deleted)' in screen_text(app, confirm)
        await pilot.press("y")
        await wait_screen(pilot, TagsDialog)
        await wait_for(pilot, lambda: "reviewed by" not in dialog.tags, "tag deleted")
        await pilot.press("escape")
        await reloaded(pilot, screen)

        for key, value in (("reviewed by", "alice & [bold]bob[/]"), ("validated", "true")):
            twin.set_model_version_tag(MODEL, "4", key, value)
        twin.delete_model_version_tag(MODEL, "4", "reviewed by")
        after = snapshot(ours)
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert ours.get_model_version(MODEL, "4").tags == {"validated": "true"}
        assert "validated=true" in row_of(screen, 4)["Tags"]


async def test_description_editor(writable_sql_uri, twin):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        await select_version(pilot, screen, 4)
        before, twin_before = snapshot(ours), snapshot(twin)

        # escape with unchanged text just closes
        await pilot.press("d")
        editor = await wait_screen(pilot, TextEditor)
        assert editor.query_one(TextArea).text == "version 4"
        await pilot.press("escape")
        await reloaded(pilot, screen)

        # escape with edited text asks; y discards, and nothing is written
        await pilot.press("d")
        editor = await wait_screen(pilot, TextEditor)
        await type_text(pilot, "xyz")
        await pilot.press("escape")
        await wait_screen(pilot, DiscardChanges)
        await pilot.press("y")
        await reloaded(pilot, screen)
        assert snapshot(ours) == before

        await pilot.press("d")
        editor = await wait_screen(pilot, TextEditor)
        await pilot.press("f7")  # select all, then type over it
        await type_text(pilot, "Retrained")
        await pilot.press("enter")
        await paste_text(pilot, "on *March* data")
        await pilot.press("ctrl+s")
        await reloaded(pilot, screen)
        text = "Retrained\non *March* data"
        twin.update_model_version(MODEL, "4", description=text)
        after = snapshot(ours)
        assert after["state"]["versions"][4][3] == text
        assert_same_change(before, after, twin_before, snapshot(twin))
        assert ours.get_model_version(MODEL, "4").description == text
        assert row_of(screen, 4)["Description"] == "Retrained"  # the first line in the table


# -- read-only and conflicts -------------------------------------------------------------
async def test_read_only_refuses_every_registry_write(sql_uri, mlflow_client):
    before = snapshot(mlflow_client)
    app = make_app(sql_uri, read_only=True)
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        assert "read-only" in screen_text(app)
        await select_version(pilot, screen, 3)
        for key in ("s", "a", "A", "t", "T", "d", "D"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, VersionsScreen), key  # no dialog opened
        await wait_toast(pilot, "Read-only mode (--read-only): the registry cannot be changed")
    assert snapshot(mlflow_client) == before


async def test_concurrent_changes_are_reported_and_nothing_written(writable_sql_uri):
    ours = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(160, 30), notifications=True) as pilot:
        screen = await open_versions(pilot)
        await select_version(pilot, screen, 4)

        # someone else moves @champion after the screen loaded: the dialog still says
        # it moves from v2; the store refuses the stale move
        ours.set_registered_model_alias(MODEL, "champion", "1")
        before = snapshot(ours)
        await pilot.press("a")
        dialog = await wait_screen(pilot, AliasDialog)
        await type_text(pilot, "champion")
        assert "@champion moves from v2 to v4" in screen_text(app, dialog)
        await pilot.press("enter")
        await reloaded(pilot, screen)
        await wait_toast(pilot, "Alias @champion now points to v1 (changed since shown)")
        assert snapshot(ours) == before
        assert str(ours.get_model_version_by_alias(MODEL, "champion").version) == "1"
        assert row_of(screen, 1)["Aliases"] == "@champion"  # the screen reloaded

        # someone else edits v4: moving it to Staging is refused
        ours.update_model_version(MODEL, "4", description="changed elsewhere")
        before = snapshot(ours)
        await pilot.press("s")
        await wait_screen(pilot, StageMenu)
        await pilot.press("enter")
        await wait_screen(pilot, StageConfirm)
        await pilot.press("y")
        await reloaded(pilot, screen)
        await wait_toast(
            pilot,
            "fraud-detector v4 changed since it was shown (someone else "
            "wrote to it); nothing was written",
        )
        assert snapshot(ours) == before
        assert ours.get_model_version(MODEL, "4").current_stage == "None"
        assert row_of(screen, 4)["Description"] == "changed elsewhere"

        # someone else deletes v4: the write fails with MLflow's wording, shown, not raised
        ours.delete_model_version(MODEL, "4")
        await pilot.press("d")
        await wait_screen(pilot, TextEditor)
        await type_text(pilot, "x")
        await pilot.press("ctrl+s")
        await reloaded(pilot, screen)
        await wait_toast(pilot, "Model Version (name=fraud-detector, version=4) not found")
        assert [v.version for v in screen.versions] == [3, 2, 1]
        assert screen.table.row_count == 3
