"""The faults a first-time user met (issue 8), each driven through the app on a
store made by the real mlflow client, and checked on screen or with MlflowClient."""

from __future__ import annotations

import asyncio
import csv
import re
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType
from textual.command import CommandPalette

from mltui.app import MltuiApp
from mltui.config import Settings
from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.help import HelpScreen, reflow
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from mltui.screens.value_viewer import ValueViewer
from mltui.store import open_store
from mltui.widgets.filter_bar import FilterBar, FilterInput
from support.apphelp import (
    make_app,
    paste_text,
    run_names,
    runs_shown,
    screen_text,
    settle,
    type_text,
    wait_for,
    wait_screen,
)
from support.builders import LONG_VALUE
from support.servers import MlflowServer, free_port

README = Path(__file__).resolve().parents[2] / "README.md"


async def open_sweep(pilot, tree: bool = False) -> RunsScreen:
    return await runs_shown(pilot)


def header(app) -> str:
    return screen_text(app).splitlines()[0]


def footer(app) -> str:
    return [line for line in screen_text(app).splitlines() if line.strip()][-1]


# -- 1. ctrl+p opens the palette on every screen --------------------------------------------


async def test_ctrl_p_opens_the_palette_everywhere(sql_uri):
    app = make_app(sql_uri, experiment="sweep", tree=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_sweep(pilot)
        for back_to in (RunsScreen, RunScreen, ExperimentsScreen):
            await pilot.press("ctrl+p")
            palette = await wait_screen(pilot, CommandPalette)
            await type_text(pilot, "help")
            await wait_for(pilot, lambda p=palette: "Help" in screen_text(app, p), "a hit")
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, CommandPalette))
            if back_to is RunsScreen:
                screen.table.move_cursor(0)
                await pilot.press("enter")
                await wait_screen(pilot, RunScreen)
            elif back_to is RunScreen:
                await pilot.press("escape", "escape")
                await wait_screen(pilot, ExperimentsScreen)


# -- 3. export: the marked runs, and never overwrite without asking --------------------------


async def test_export_marked_runs_and_ask_before_overwrite(sql_uri, mlflow_client, tmp_path,
                                                           monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(sql_uri, experiment="sweep", tree=False)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await open_sweep(pilot)
        table = screen.table
        names = run_names(table)
        for name in ("child-1", "child-4"):
            table.move_cursor(names.index(name))
            await pilot.press("space")
        await pilot.press("e")
        dialog = await wait_screen(pilot, PromptDialog)
        text = screen_text(app, dialog)
        assert "2 marked runs" in text
        target = tmp_path / "marked.csv"
        target.write_text("precious\n")
        dialog.query_one("Input").value = str(target)
        await pilot.press("enter")
        confirm = await wait_screen(pilot, ConfirmDialog)
        assert "exists" in screen_text(app, confirm)
        await pilot.press("n")
        await settle(pilot)
        assert target.read_text() == "precious\n"  # nothing written
        await pilot.press("e")
        dialog = await wait_screen(pilot, PromptDialog)
        dialog.query_one("Input").value = str(target)
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: target.read_text() != "precious\n", "overwritten")
        await settle(pilot)
        with open(target, newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert sorted(r["run_name"] for r in rows) == ["child-1", "child-4"]
        ids = {r.info.run_name: r.info.run_id for r in mlflow_client.search_runs(
            [mlflow_client.get_experiment_by_name("sweep").experiment_id])}
        assert {r["run_id"] for r in rows} == {ids["child-1"], ids["child-4"]}


# -- 4. experiment run counts are what the default view shows --------------------------------


async def test_experiment_run_counts_are_active_runs(sql_uri, mlflow_client):
    app = make_app(sql_uri)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        table = screen.table
        for i, exp in enumerate(screen.shown):
            active = mlflow_client.search_runs([exp.experiment_id],
                                               run_view_type=MlflowViewType.ACTIVE_ONLY)
            assert str(table.get_row_at(i)[3]) == f"{len(active):,}", exp.name
        sweep = next(e for e in screen.shown if e.name == "sweep")
        assert sweep.run_count == 8  # 9 runs, one deleted


# -- 5. a remapped key shows the same in the footer, the help and the palette ----------------


def _app_with_keymap(uri: str, keymap: dict[str, str]) -> MltuiApp:
    settings = Settings(refresh_interval=0.0, tree_view=False, keymap=keymap)
    return MltuiApp(store=open_store(uri), experiment="sweep", settings=settings)


async def test_remapped_key_in_footer_help_and_palette(sql_uri):
    app = _app_with_keymap(sql_uri, {"runs.sort": "ctrl+o"})
    async with app.run_test(size=(160, 36), notifications=True) as pilot:
        await open_sweep(pilot)
        assert "^o Sort" in footer(app)
        await pilot.press("question_mark")
        help_screen = await wait_screen(pilot, HelpScreen)
        await pilot.press("end")
        await settle(pilot)
        # the help box: the lines between its borders
        lines = [line.split("█")[1] for line in screen_text(app, help_screen).splitlines()
                 if line.count("█") >= 2]
        sort_lines = [line for line in lines if re.search(r"\bSort\b", line)
                      and "Default" not in line]
        assert sort_lines and all("ctrl+o" in line for line in sort_lines), sort_lines
        assert not any(re.match(r"\s*s\s+Sort", line) for line in lines)


async def test_keymap_clash_is_reported(sql_uri):
    app = _app_with_keymap(sql_uri, {"runs.sort": "o"})  # o is Expand
    async with app.run_test(size=(160, 36), notifications=True) as pilot:
        await open_sweep(pilot)
        await wait_for(pilot, lambda: any("runs.sort takes 'o', which runs.expand already"
                                          in n.message for n in app._notifications),
                       "a clash warning")


def test_readme_keymap_example_takes_a_free_key():
    text = README.read_text()
    block = text[text.index("[keymap]"):]
    block = block[: block.index("```")]
    keymap = dict(re.findall(r'^"([\w.]+)"\s*=\s*"([^"]+)"', block, re.M))
    assert keymap, "README shows a keymap example"
    from mltui.screens.runs import RunsScreen as Runs

    taken = {k for b in Runs.BINDINGS for k in b.key.split(",")}
    taken |= {k for b in MltuiApp.BINDINGS for k in b.key.split(",")}
    for binding_id, keys in keymap.items():
        assert binding_id in {b.id for b in Runs.BINDINGS}, binding_id
        assert not set(keys.split(",")) & taken, f"{keys} is already bound"


# -- 6. completion: ghost text only extends; tab cycles --------------------------------------


async def test_completion_ghost_text_and_tab_cycles(sql_uri):
    app = make_app(sql_uri, experiment="sweep", tree=False)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await open_sweep(pilot)
        await wait_for(pilot, lambda: screen.run_keys is not None, "keys")
        await pilot.press("slash")
        field = screen.query_one(FilterInput)
        await type_text(pilot, "metrics.va")
        await settle(pilot)
        # the key needs backticks, so no ghost text can extend what was typed
        shown = field.render_line(0).text.strip()
        assert shown.startswith("metrics.va") and "`" not in shown and "vall" not in shown
        await pilot.press("tab")
        assert field.value == "metrics.`val/loss` "
        # from "metrics." tab walks through every metric key, and back
        await pilot.press("ctrl+u")
        await type_text(pilot, "metrics.")
        seen = []
        for _ in range(5):
            await pilot.press("tab")
            seen.append(field.value)
        assert len(set(seen)) == 5 and "metrics.`val/loss` " in seen
        assert "metrics.acc " in seen and "metrics.`train loss` " in seen
        await pilot.press("shift+tab")
        assert field.value == seen[-2]
        hint = str(screen.query_one(FilterBar).query_one("#filter-message").render())
        assert "val/loss" in hint
        # a plain key gets ghost text that extends the word
        await pilot.press("ctrl+u")
        await type_text(pilot, "params.opt")
        await settle(pilot)
        assert field.render_line(0).text.strip().startswith("params.optimizer")


# -- 7. the run screen follows a RUNNING run --------------------------------------------------


async def test_run_screen_follows_a_running_run_and_pauses(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    exp = client.get_experiment_by_name("sweep").experiment_id
    run = client.create_run(exp, run_name="live-run")
    rid = run.info.run_id
    client.log_metric(rid, "progress", 1.0, step=1)
    app = make_app(writable_sql_uri, experiment="sweep", tree=False, live=0.3)
    async with app.run_test(size=(140, 36)) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                                and app.screen, "runs screen")
        await wait_for(pilot, lambda: "live-run" in run_names(screen.table), "the run")
        screen.table.move_cursor(run_names(screen.table).index("live-run"))
        await pilot.press("enter")
        run_screen = await wait_for(pilot, lambda: isinstance(app.screen, RunScreen)
                                    and app.screen, "run screen")
        await wait_for(pilot, lambda: run_screen.detail is not None, "detail")
        assert "so far" in screen_text(app)
        assert "live ●" in header(app)
        await asyncio.to_thread(client.log_metric, rid, "progress", 2.0, step=2)
        await wait_for(pilot, lambda: run_screen.run.metrics["progress"].step == 2,
                       "the new step")
        await pilot.press("p")
        assert "paused" in header(app)
        await asyncio.to_thread(client.log_metric, rid, "progress", 3.0, step=3)
        await pilot.pause(1.2)  # four intervals: nothing may be read while paused
        assert run_screen.run.metrics["progress"].step == 2
        await pilot.press("p")
        await wait_for(pilot, lambda: run_screen.run.metrics["progress"].step == 3,
                       "resumed")
        await asyncio.to_thread(client.set_terminated, rid, "FINISHED")
        await wait_for(pilot, lambda: run_screen.run.status == "FINISHED", "finished")
        await wait_for(pilot, lambda: "live ●" not in header(app) and "paused" not in header(app),
                       "no more refreshes")


# -- 8. the docs say what exists ---------------------------------------------------------------


def test_runs_help_promises_nothing_unbuilt():
    text = RunsScreen.HELP.lower()
    ids = {b.id for b in RunsScreen.BINDINGS}
    # what it describes has a key, bound to an action the screen has
    for phrase, binding in (("v draws charts", "runs.charts"), ("c compares", "runs.compare"),
                            ("a browses the artifacts", "runs.artifacts")):
        assert phrase in text and binding in ids, phrase
    for b in RunsScreen.BINDINGS:
        assert callable(getattr(RunsScreen, f"action_{b.action.split('(')[0]}", None)), b.id


# -- friction ----------------------------------------------------------------------------------


async def test_long_values_whole_and_copied(sql_uri):
    app = make_app(sql_uri, experiment="edge cases", tree=False)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_sweep(pilot)
        table = screen.table
        table.move_cursor(run_names(table).index("[red]odd[/] name"))
        # w on the runs table: the focused cell whole
        table.focused_column = next(i for i, c in enumerate(table.columns)
                                    if c.spec == "params.long")
        await pilot.press("w")
        viewer = await wait_screen(pilot, ValueViewer)
        assert viewer.value == LONG_VALUE
        await pilot.press("y")
        assert app.clipboard == LONG_VALUE
        await pilot.press("escape")
        await wait_screen(pilot, RunsScreen)
        # the run screen: params tab, enter on the long value
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        await pilot.press("3")
        params = sorted(run_screen.run.params)
        run_screen.query_one("#params").move_cursor(row=params.index("long"))
        await pilot.press("enter")
        viewer = await wait_screen(pilot, ValueViewer)
        assert viewer.value == LONG_VALUE
        await pilot.press("G")
        await pilot.press("escape")
        await wait_screen(pilot, RunScreen)
        await pilot.press("y")
        assert app.clipboard == run_screen.run.run_id


async def test_run_screen_header_parent_note_and_tab_keys(sql_uri, mlflow_client):
    app = make_app(sql_uri, experiment="sweep", tree=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweep(pilot)
        table = screen.table
        table.move_cursor(run_names(table).index("child-2"))
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        text = screen_text(app)
        assert "experiment sweep (" in text  # by name
        assert "parent sweep-parent (P)" in text
        await pilot.press("4")
        assert run_screen.query_one("TabbedContent").active == "tab-tags"
        await pilot.press("question_mark")
        help_screen = await wait_screen(pilot, HelpScreen)
        help_text = screen_text(app, help_screen)
        for _ in range(6):  # a small terminal: page through the help
            await pilot.press("pagedown")
            await settle(pilot)
            help_text += screen_text(app, help_screen)
        assert "Metrics tab" in help_text and "Parent run" in help_text
        await pilot.press("escape")
        await wait_screen(pilot, RunScreen)
        await pilot.press("P")
        parent = await wait_for(pilot, lambda: isinstance(app.screen, RunScreen)
                                and app.screen is not run_screen and app.screen, "parent")
        await wait_for(pilot, lambda: parent.detail is not None, "parent detail")
        assert parent.run.run_name == "sweep-parent"
        # the info fits in a few lines at 80x24: the metrics table has room
        metrics = parent.query_one("#metrics")
        assert metrics.size.height >= 8


async def test_unreachable_server_is_shown_in_the_screen_with_retry(tmp_path):
    port = free_port()
    app = make_app(f"http://127.0.0.1:{port}")
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: screen.error is not None, "the error")
        text = await wait_for(pilot, lambda: "Cannot list the experiments" in screen_text(app)
                              and screen_text(app), "the error drawn")
        assert "r retries" in text
        assert "0 of 0" not in text
        server = MlflowServer(tmp_path)
        server.port, server.uri = port, f"http://127.0.0.1:{port}"
        server.start()
        try:
            await asyncio.to_thread(server.wait_ready)
            await pilot.press("r")
            await wait_for(pilot, lambda: screen.error is None and screen.experiments,
                           "the experiments after r")
            await wait_for(pilot, lambda: "Default" in screen_text(app)
                           and "Cannot" not in screen_text(app), "the list on screen")
        finally:
            server.stop()


async def test_status_bar_and_footer_at_80_columns(sql_uri):
    app = make_app(sql_uri, experiment="sweep", tree=False, live=True, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_sweep(pilot)
        await pilot.press("space")
        await pilot.press("slash")
        await paste_text(pilot, "metrics.acc > 0.1")
        await pilot.press("enter")
        await wait_for(pilot, lambda: screen.filter_text and screen.total is not None)
        top = header(app)
        for part in ("filter: metrics.acc > 0.1", "1 marked", "live ●", "read-only"):
            assert part in top, (part, top)
        assert "? Help" in footer(app)
        await pilot.press("escape", "escape")  # marks, then the filter
        await wait_screen(pilot, RunsScreen)
        assert "? Help" in footer(app)


def test_help_text_reflows():
    text = "one two\nthree four\n\n  an example\n  kept\nlast"
    assert reflow(text) == "one two three four\n\n  an example\n  kept\nlast"


@pytest.mark.parametrize("width", [60, 100])
async def test_help_wraps_to_the_width(sql_uri, width):
    app = make_app(sql_uri, experiment="sweep", tree=False)
    async with app.run_test(size=(width, 40)) as pilot:
        await open_sweep(pilot)
        await pilot.press("question_mark")
        help_screen = await wait_screen(pilot, HelpScreen)
        lines = screen_text(app, help_screen).splitlines()
        # the first paragraph of the runs help is one reflowed paragraph
        assert any("The runs table shows the runs of the chosen experiments, fetched" in line
                   for line in lines) == (width >= 100)
        assert any("▶ running" in line for line in lines)


async def test_server_that_says_401_is_shown_in_the_screen(tmp_path, monkeypatch):
    """MLflow's own basic-auth app: without credentials the screen says so and r
    retries; with MLFLOW_TRACKING_USERNAME / PASSWORD the experiments show."""
    password = "s3cret-Pass99"
    server = MlflowServer(tmp_path, app_name="basic-auth", env={
        "MLFLOW_AUTH_ADMIN_PASSWORD": password, "MLFLOW_FLASK_SERVER_SECRET_KEY": "test"})
    server.start()
    try:
        await asyncio.to_thread(server.wait_ready)
        app = make_app(server.uri)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await wait_screen(pilot, ExperimentsScreen)
            await wait_for(pilot, lambda: screen.error is not None, "the error")
            assert "401" in screen.error or "authenticat" in screen.error.lower()
            assert "\n" not in screen.error
            text = await wait_for(pilot, lambda: "Cannot list the experiments" in
                                  screen_text(app) and screen_text(app), "the error drawn")
            assert "r retries" in text
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", password)
        app = make_app(server.uri)
        async with app.run_test(size=(100, 30)) as pilot:
            screen = await wait_screen(pilot, ExperimentsScreen)
            await wait_for(pilot, lambda: screen.experiments, "the experiments")
            assert screen.error is None
    finally:
        server.stop()
