"""The everyday edits made with keys, on a private copy of a store made by the real
mlflow, read back with ``MlflowClient``: experiments created, renamed, described,
deleted (and undone with u), restored; runs renamed, noted, tagged one or many at
once; registered models created, renamed, deleted; versions registered and
deleted. Under --read-only each key is refused and nothing changes."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException
from textual.widgets import Input, TextArea

from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.models import ModelsScreen
from mltui.screens.registry_dialogs import TextEditor
from mltui.screens.runs import RunsScreen
from mltui.screens.versions import VersionsScreen
from support.apphelp import (
    make_app,
    paste_text,
    screen_text,
    settle,
    wait_for,
    wait_screen,
    wait_toast,
)
from support.registry_steps import MODEL, open_versions

NOTE = "mlflow.note.content"


async def answer(pilot, text: str, keep: bool = False) -> None:
    """Type ``text`` into the prompt on top (replacing its value) and press enter."""
    dialog = await wait_screen(pilot, PromptDialog)
    if not keep:
        dialog.query_one(Input).value = ""
    if text:
        await paste_text(pilot, text)
    await pilot.press("enter")


async def confirm(pilot, *expected: str) -> str:
    """The confirmation on top names ``expected``; y writes."""
    dialog = await wait_screen(pilot, ConfirmDialog)
    text = f"{dialog._title}\n{dialog._body}"  # as given, before wrapping and borders
    for part in expected:
        assert part in text, (part, text)
    await pilot.press("y")
    return text


def cursor_to(screen: ExperimentsScreen, name: str) -> None:
    names = [e.name for e in screen.shown]
    screen.table.move_cursor(row=names.index(name))


async def test_experiment_create_rename_describe_delete_undo_restore(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    name = "new exp 'quoted' \x1b[31m"
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 35), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: screen.experiments, "the experiments")
        await pilot.press("n")
        await answer(pilot, name)
        await answer(pilot, "")  # the default artifact location
        await confirm(pilot, "Create the experiment")
        await wait_for(pilot, lambda: name in [e.name for e in screen.experiments], "listed")
        created = client.get_experiment_by_name(name)
        assert created is not None and created.lifecycle_stage == "active"
        assert "\x1b" not in screen_text(app) and "new exp 'quoted' ␛[31m" in screen_text(app)
        eid = created.experiment_id

        cursor_to(screen, name)
        await pilot.press("N")
        await answer(pilot, "renamed-exp")
        await confirm(pilot, "→ 'renamed-exp'")
        await wait_for(pilot, lambda: client.get_experiment(eid).name == "renamed-exp")
        await wait_for(pilot, lambda: "renamed-exp" in [e.name for e in screen.shown])

        cursor_to(screen, "renamed-exp")
        await pilot.press("d")
        editor = await wait_screen(pilot, TextEditor)
        editor.query_one(TextArea).text = "# Goal\nbeat the baseline"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: client.get_experiment(eid).tags.get(NOTE)
                       == "# Goal\nbeat the baseline", "the description")

        # delete, then u within the undo window brings it back
        await wait_for(pilot, lambda: "renamed-exp" in [e.name for e in screen.shown])
        cursor_to(screen, "renamed-exp")
        await pilot.press("D")
        await confirm(pilot, "Delete 'renamed-exp'", "R restores it")
        await wait_for(pilot, lambda: client.get_experiment(eid).lifecycle_stage == "deleted")
        await wait_for(pilot, lambda: "renamed-exp" not in [e.name for e in screen.shown])
        await pilot.press("u")
        await wait_for(pilot, lambda: client.get_experiment(eid).lifecycle_stage == "active",
                       "undone")
        await wait_toast(pilot, "Undone: restore renamed-exp")
        await pilot.press("u")  # used once: nothing more to undo
        await wait_toast(pilot, "Nothing to undo")

        # delete again, x shows it, R restores
        await wait_for(pilot, lambda: "renamed-exp" in [e.name for e in screen.shown])
        cursor_to(screen, "renamed-exp")
        await pilot.press("D")
        await confirm(pilot)
        await wait_for(pilot, lambda: client.get_experiment(eid).lifecycle_stage == "deleted")
        await pilot.press("x")
        await wait_for(pilot, lambda: "renamed-exp" in [e.name for e in screen.shown])
        cursor_to(screen, "renamed-exp")
        await pilot.press("R")
        await confirm(pilot, "Restore 'renamed-exp'")
        await wait_for(pilot, lambda: client.get_experiment(eid).lifecycle_stage == "active")


async def test_a_taken_name_is_said_before_the_location_is_asked(writable_sql_uri):
    """An active or a deleted experiment holding the name: said at once (a tracking
    server would answer with its database's raw constraint error), nothing written."""
    client = MlflowClient(writable_sql_uri)
    before = [e.name for e in client.search_experiments(view_type=MlflowViewType.ALL)]
    assert client.get_experiment_by_name("old-experiment").lifecycle_stage == "deleted"
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 35), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: screen.experiments)
        await pilot.press("n")
        await answer(pilot, "sweep")
        said = await wait_toast(pilot, "named 'sweep' exists already")
        assert "deleted" not in said
        assert isinstance(app.screen, ExperimentsScreen)
        await pilot.press("n")
        await answer(pilot, "old-experiment")
        await wait_toast(pilot, "(deleted: x shows deleted experiments, R restores it)")
        assert isinstance(app.screen, ExperimentsScreen)
    after = [e.name for e in client.search_experiments(view_type=MlflowViewType.ALL)]
    assert sorted(after) == sorted(before)


async def test_run_rename_note_and_a_tag_on_marked_runs(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri, tree=False, experiment="sweep")
    async with app.run_test(size=(140, 35), notifications=True) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        table = screen.table
        await wait_for(pilot, lambda: table.current_run is not None, "the runs")
        run = table.current_run
        await pilot.press("N")
        await answer(pilot, "renamed-run")
        await confirm(pilot, "→ 'renamed-run'")
        await wait_for(pilot, lambda: client.get_run(run.run_id).info.run_name == "renamed-run")
        assert client.get_run(run.run_id).data.tags["mlflow.runName"] == "renamed-run"
        await wait_for(pilot, lambda: "renamed-run" in screen_text(app), "shown renamed")

        await pilot.press("n")
        editor = await wait_screen(pilot, TextEditor)
        editor.query_one(TextArea).text = "diverged after step 300"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: client.get_run(run.run_id).data.tags.get(NOTE)
                       == "diverged after step 300", "the note")

        await settle(pilot)
        for _ in range(3):
            await pilot.press("space")
        marked = set(table.marks)
        assert len(marked) == 3
        await pilot.press("T")
        await answer(pilot, "team=vision")
        await confirm(pilot, "Set team = 'vision' on 3 runs", "all of them or none")
        await wait_for(pilot, lambda: all(client.get_run(r).data.tags.get("team") == "vision"
                                          for r in marked), "tagged")
        others = [r for r in client.search_runs([run.experiment_id])
                  if r.info.run_id not in marked]
        assert all("team" not in r.data.tags for r in others)
        await pilot.press("T")
        await answer(pilot, "-team")
        await confirm(pilot, "Delete the tag 'team' of 3 runs")
        await wait_for(pilot, lambda: all("team" not in client.get_run(r).data.tags
                                          for r in marked), "untagged")

        # delete one run; u restores it
        await pilot.press("escape")  # clears the marks
        await wait_for(pilot, lambda: not table.marks)
        victim = table.current_run
        await pilot.press("D")
        await confirm(pilot, "Delete 1 run?")
        await wait_for(pilot, lambda: client.get_run(victim.run_id).info.lifecycle_stage
                       == "deleted")
        await pilot.press("u")
        await wait_for(pilot, lambda: client.get_run(victim.run_id).info.lifecycle_stage
                       == "active", "undone")


async def test_registry_model_created_renamed_deleted_and_versions(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri)
    async with app.run_test(size=(140, 35), notifications=True) as pilot:
        screen = await open_versions(pilot)
        versions = {int(v.version) for v in client.search_model_versions(f"name='{MODEL}'")}
        aliases = client.get_registered_model(MODEL).aliases
        mv = screen.current
        await pilot.press("X")
        lost = [f"@{a}" for a, v in aliases.items() if int(v) == mv.version]
        await confirm(pilot, f"Delete {MODEL} v{mv.version}", "cannot be undone", *lost)
        await wait_for(pilot, lambda: {int(v.version) for v in client.search_model_versions(
            f"name='{MODEL}'")} == versions - {mv.version}, "the version deleted")
        with pytest.raises(MlflowException):
            client.get_model_version(MODEL, str(mv.version))

        source_run = next(v for v in client.search_model_versions(f"name='{MODEL}'")
                          if v.run_id)
        await wait_screen(pilot, VersionsScreen)
        await pilot.press("n")
        await answer(pilot, f"runs:/{source_run.run_id}/model")
        await confirm(pilot, "Register runs:/")
        await wait_for(pilot, lambda: len(client.search_model_versions(f"name='{MODEL}'"))
                       == len(versions), "the new version")
        newest = max(client.search_model_versions(f"name='{MODEL}'"),
                     key=lambda v: int(v.version))
        assert newest.source == f"runs:/{source_run.run_id}/model"
        assert newest.run_id == source_run.run_id
        assert int(newest.version) == max(versions) + 1

        await pilot.press("escape")
        models = await wait_screen(pilot, ModelsScreen)
        await pilot.press("n")
        await answer(pilot, "brand-new")
        await confirm(pilot, "Create the model 'brand-new'")
        await wait_for(pilot, lambda: "brand-new" in [m.name for m in models.models])
        assert client.get_registered_model("brand-new").name == "brand-new"
        models.table.move_cursor(row=[m.name for m in models.models].index("brand-new"))
        await pilot.press("N")
        await answer(pilot, "brand-newer")
        await confirm(pilot)
        await wait_for(pilot, lambda: "brand-newer" in [m.name for m in models.models])
        models.table.move_cursor(row=[m.name for m in models.models].index("brand-newer"))
        await pilot.press("D")
        await confirm(pilot, "Delete the model 'brand-newer' and 0 versions",
                      "cannot be undone")
        await wait_for(pilot, lambda: "brand-newer" not in [m.name for m in models.models])
        with pytest.raises(MlflowException):
            client.get_registered_model("brand-newer")


async def test_read_only_refuses_every_edit_key(writable_sql_uri):
    app = make_app(writable_sql_uri, read_only=True, tree=False, experiment="sweep")
    async with app.run_test(size=(140, 35), notifications=True) as pilot:
        runs = await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, lambda: runs.table.current_run is not None)
        for key in ("N", "n", "T"):
            await pilot.press(key)
            await wait_toast(pilot, "Read-only mode (--read-only)")
            assert isinstance(app.screen, RunsScreen), key
        await pilot.press("backspace")
        experiments = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: experiments.experiments)
        for key in ("n", "N", "d", "t", "D"):
            await pilot.press(key)
            await wait_toast(pilot, "Read-only mode (--read-only)")
            assert isinstance(app.screen, ExperimentsScreen), key
