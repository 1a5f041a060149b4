"""Pilot tests of the browsing screens on stores made by real mlflow.

Each test drives the app with keys, as a user would, then compares what the
screens hold with what ``MlflowClient`` reads from the same store.
"""

from __future__ import annotations

import csv
import sqlite3

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType
from textual.command import CommandPalette
from textual.widgets import DataTable

from mltui.columns import Column
from mltui.config import State, columns_key
from mltui.screens.column_chooser import ColumnChooser
from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.help import HelpScreen
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from mltui.store.entities import Experiment
from mltui.store.errors import InvalidSearch
from mltui.store.search import ATTRIBUTE, METRIC, PARAM, TAG, parse_filter
from mltui.widgets.filter_bar import FilterBar
from support.apphelp import (
    all_loaded,
    footer_text,
    make_app,
    paste_text,
    run_names,
    screen_segments_text,
    screen_text,
    settle,
    type_text,
    wait_for,
    wait_screen,
    wait_toast,
    widget_lines,
)
from support.builders import HOSTILE_TAG, LONG_VALUE

PARENT_TAG = "mlflow.parentRunId"


def sqlite_path(uri: str) -> str:
    return uri.removeprefix("sqlite:///")


def mlflow_runs(
    client: MlflowClient,
    exp_names: list[str],
    filter_string: str = "",
    order_by: list[str] | None = None,
    view=MlflowViewType.ACTIVE_ONLY,
):
    ids = [client.get_experiment_by_name(n).experiment_id for n in exp_names]
    return client.search_runs(
        ids, filter_string, run_view_type=view, max_results=1000, order_by=order_by
    )


async def open_runs(pilot, exp_name: str | None = None) -> RunsScreen:
    """Wait for the runs screen and its first page. With ``exp_name``, get there
    from the experiments screen: filter by name, enter."""
    if exp_name is not None:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("slash")
        await paste_text(pilot, exp_name)
        assert [e.name for e in pilot.app.screen.shown][:1] == [exp_name]
        await pilot.press("enter", "enter")
    screen = await wait_screen(pilot, RunsScreen)
    await wait_for(
        pilot, lambda: screen.total is not None and all_loaded(screen.table), "first page"
    )
    return screen


async def focus_column(pilot, table, column: Column) -> None:
    """Move the column focus with h/l onto ``column`` (-1 is the run-name column)."""
    target = -1 if column == Column(ATTRIBUTE, "run_name") else table.columns.index(column)
    while table.focused_column != target:
        await pilot.press("l" if table.focused_column < target else "h")


def status_text(screen) -> str:
    bar = screen.query_one("StatusBar")
    return str(bar.render())


# -- experiments screen -------------------------------------------------------------
async def test_experiments_filter_sort_and_deleted(sql_uri, mlflow_client):
    app = make_app(sql_uri)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        active = mlflow_client.search_experiments()
        assert sorted(e.name for e in screen.shown) == sorted(e.name for e in active)
        # sorted by name (case-insensitive) by default
        assert [e.name for e in screen.shown] == sorted((e.name for e in active), key=str.lower)

        # filter as you type: every key narrows the table at once
        await pilot.press("slash")
        await type_text(pilot, "sw")
        assert [e.name for e in screen.shown] == ["sweep"]
        assert screen.table.row_count == 1
        await pilot.press("backspace", "backspace")
        await type_text(pilot, "E")  # case-insensitive, matches anywhere
        assert {e.name for e in screen.shown} == {e.name for e in active if "e" in e.name.lower()}
        await pilot.press("escape")
        assert screen.filter_text == "" and len(screen.shown) == len(active)

        # s cycles name -> last activity -> id
        await pilot.press("s")
        assert screen.sort == "last activity"
        times = [e.last_activity or 0 for e in screen.shown]
        assert times == sorted(times, reverse=True)
        await pilot.press("s")
        assert screen.sort == "id"
        assert [e.experiment_id for e in screen.shown] == sorted(
            (e.experiment_id for e in active), key=lambda i: (len(i), i)
        )
        assert "sort: id" in status_text(screen)

        # x: deleted experiments too (MLflow's ALL view), shown struck through
        await pilot.press("x")
        await settle(pilot)
        every = mlflow_client.search_experiments(view_type=MlflowViewType.ALL)
        assert sorted(e.name for e in screen.shown) == sorted(e.name for e in every)
        assert "old-experiment" in [e.name for e in screen.shown]
        assert "incl. deleted" in status_text(screen)
        await pilot.press("x")
        await settle(pilot)
        assert "old-experiment" not in [e.name for e in screen.shown]


async def test_table_redraws_rows_drawn_before_they_were_measured(sql_uri):
    """A frame drawn between adding rows and the DataTable measuring them (a refresh
    timer can fire there) used to stay on screen: names cut to the header's width."""
    app = make_app(sql_uri)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        name = "an-experiment-with-a-much-longer-name"
        longer = Experiment(experiment_id="999", name=name)
        screen._loaded([*screen.experiments, longer])  # as the reload worker delivers it
        screen_text(app)  # the early frame
        await wait_for(pilot, lambda: name in screen_text(app), "the full name")


async def test_two_marked_experiments_open_in_one_table(sql_uri, mlflow_client):
    app = make_app(sql_uri, tree=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        names = [e.name for e in screen.shown]
        for name in ("edge cases", "sweep"):
            screen.table.move_cursor(row=names.index(name))
            await pilot.press("space")
        assert "2 marked" in status_text(screen)
        await pilot.press("enter")
        runs = await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, lambda: runs.total is not None and all_loaded(runs.table))
        expected = mlflow_runs(mlflow_client, ["sweep", "edge cases"])
        assert sorted(runs.experiment_ids) == sorted(
            mlflow_client.get_experiment_by_name(n).experiment_id for n in ("sweep", "edge cases")
        )
        assert runs.total == len(expected)
        # MLflow's default order (newest first) across both experiments
        assert [r.run_id for r in runs.rows.loaded_runs()] == [r.info.run_id for r in expected]
        assert "edge cases, sweep" in status_text(runs) or "sweep, edge cases" in status_text(runs)


# -- runs screen: rows, sort, filter -------------------------------------------------
async def test_first_page_and_sort_by_metric(sql_uri, mlflow_client):
    app = make_app(sql_uri, tree=False, experiment="sweep")
    async with app.run_test(size=(140, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        table = screen.table
        expected = mlflow_runs(mlflow_client, ["sweep"])
        assert screen.total == len(expected) == 8
        assert run_names(table) == [r.info.run_name for r in expected]
        lines = widget_lines(table)
        for run in expected:
            assert any(run.info.run_name in line for line in lines)

        acc = Column(METRIC, "acc")
        await focus_column(pilot, table, acc)
        await pilot.press("s")  # a metric sorts best-first: descending
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        by_mlflow = mlflow_runs(mlflow_client, ["sweep"], order_by=["metrics.acc DESC"])
        assert run_names(table) == [r.info.run_name for r in by_mlflow]
        assert "↓ acc" in widget_lines(table)[0]
        assert "sort: metrics.acc ↓" in status_text(screen)

        await pilot.press("s")  # again: ascending
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        by_mlflow = mlflow_runs(mlflow_client, ["sweep"], order_by=["metrics.acc ASC"])
        assert run_names(table) == [r.info.run_name for r in by_mlflow]
        assert "↑ acc" in widget_lines(table)[0]

        # a key with a slash sorts too; S returns to MLflow's default order
        await focus_column(pilot, table, Column(METRIC, "val/loss"))
        await pilot.press("s")
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        by_mlflow = mlflow_runs(mlflow_client, ["sweep"], order_by=["metrics.`val/loss` DESC"])
        assert run_names(table) == [r.info.run_name for r in by_mlflow]
        await pilot.press("S")
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        assert run_names(table) == [r.info.run_name for r in expected]


async def test_bad_filter_keeps_rows_and_good_filter_narrows(sql_uri, mlflow_client):
    app = make_app(sql_uri, tree=False, experiment="sweep")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        table = screen.table
        before = run_names(table)
        bar = screen.query_one(FilterBar)

        await pilot.press("slash")
        assert bar.has_class("visible") and bar.input.has_focus
        await type_text(pilot, "metrics.acc >")
        await pilot.press("enter")
        await settle(pilot)
        message = bar.query_one("#filter-message")
        assert message.has_class("error")
        # the caret sits under the very character MLflow's parser stopped at
        with pytest.raises(InvalidSearch) as parsed:
            parse_filter("metrics.acc >")
        lines = screen_text(app).splitlines()
        echo = next(i for i, line in enumerate(lines) if line.strip() == "metrics.acc >")
        start = lines[echo].index("metrics.acc >")
        caret = lines[echo + 1]
        assert caret.strip().startswith("^")
        assert caret.index("^") == start + parsed.value.position
        assert bar.has_class("visible")
        # the last good result stays on screen
        assert run_names(table) == before and screen.filter_text == ""

        # mlflow refuses it too
        with pytest.raises(Exception):  # noqa: B017 - MlflowException
            mlflow_runs(mlflow_client, ["sweep"], "metrics.acc >")

        await paste_text(pilot, " 0.7 and params.optimizer = 'adam'")
        await pilot.press("enter")
        await settle(pilot)
        await wait_for(pilot, lambda: screen.total is not None and all_loaded(table))
        good = "metrics.acc > 0.7 and params.optimizer = 'adam'"
        expected = mlflow_runs(mlflow_client, ["sweep"], good)
        assert expected and len(expected) < len(before)
        assert run_names(table) == [r.info.run_name for r in expected]
        assert screen.total == len(expected)
        assert not bar.has_class("visible") and table.has_focus
        assert f"filter: {good}" in status_text(screen)

        # an empty filter shows everything again
        await pilot.press("slash", "ctrl+a", "ctrl+k", "enter")
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        assert run_names(table) == before


async def test_column_chooser_and_persistence(sql_uri):
    app = make_app(sql_uri, tree=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot, "sweep")
        await wait_for(pilot, lambda: screen.run_keys is not None, "run keys")
        table = screen.table
        original = list(table.columns)
        source = Column(ATTRIBUTE, "source")
        lr = Column(PARAM, "lr")
        assert source in original and lr in original  # default: first params shown
        await pilot.press("c")
        chooser = await wait_screen(pilot, ColumnChooser)
        options = chooser.query_one("OptionList")

        async def highlight(column: Column) -> None:
            index = chooser._visible().index(column)
            delta = index - (options.highlighted or 0)
            if delta:
                await pilot.press(*(["down"] * delta if delta > 0 else ["up"] * -delta))
            assert options.highlighted == index

        # typing goes to the search box: space does not untick anything
        before = list(chooser.chosen)
        await pilot.press("space")
        assert chooser.chosen == before and chooser.query_one("Input").value == " "
        await pilot.press("backspace")
        # hide source and lr (tab), then show lr again: it goes last
        await highlight(source)
        await pilot.press("tab")
        await highlight(lr)
        await pilot.press("tab")
        assert source not in chooser.chosen and lr not in chooser.chosen
        await highlight(lr)
        await pilot.press("tab")
        assert chooser.chosen[-1] == lr
        # a tag column found by typing its name
        await type_text(pilot, "owner")
        assert [c.spec for c in chooser._visible()] == ["tags.owner"]
        await pilot.press("tab")
        owner = Column(TAG, "owner")
        assert chooser.chosen[-1] == owner
        await pilot.press("ctrl+u")
        # ctrl+up moves the highlighted column up, ctrl+down down
        await highlight(owner)
        await pilot.press("ctrl+up", "ctrl+up")
        assert chooser.chosen[-3:] == [owner, *[c for c in chooser.chosen[-3:] if c != owner]]
        await pilot.press("ctrl+down")
        assert chooser.chosen[-2] == owner
        chosen = list(chooser.chosen)
        await pilot.press("enter")
        await wait_screen(pilot, RunsScreen)
        assert table.columns == chosen
        assert source not in table.columns and table.columns[-2] == owner
        header = widget_lines(table)[0]
        assert "Source" not in header
        key = columns_key(app.store.uri, screen.experiment_ids)
        saved = State().get("columns", key)
        assert saved == [c.spec for c in chosen]

    # a new app instance remembers the choice for this experiment
    app = make_app(sql_uri, tree=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot, "sweep")
        assert screen.table.columns == chosen
        await pilot.press("escape")
        # ... and not for another one
        other = await open_runs(pilot, "edge cases")
        assert other.table.columns != chosen


# -- tree, marks ---------------------------------------------------------------------
async def test_tree_expand_collapse_and_flat_view(sql_uri, mlflow_client):
    app = make_app(sql_uri, tree=True, experiment="sweep")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        table = screen.table
        every = mlflow_runs(mlflow_client, ["sweep"])
        top = [r for r in every if PARENT_TAG not in r.data.tags]
        parent = next(r for r in top if r.info.run_name == "sweep-parent")
        children = mlflow_runs(
            mlflow_client, ["sweep"], f"tags.`{PARENT_TAG}` = '{parent.info.run_id}'"
        )
        assert len(children) == 6
        assert run_names(table) == [r.info.run_name for r in top]
        assert "tree" in status_text(screen) and f"{len(top)} top-level runs" in status_text(screen)
        line = run_names(table).index("sweep-parent")
        assert "▸ sweep-parent" in widget_lines(table)[1 + line]

        # o opens the parent in place: its children sit right under it
        while table.cursor != line:
            await pilot.press("j")
        await pilot.press("o")
        await settle(pilot)
        names = run_names(table)
        assert names[line + 1 : line + 7] == [r.info.run_name for r in children]
        lines = widget_lines(table)
        assert "▾ sweep-parent" in lines[1 + line]
        assert all("└ child-" in text for text in lines[2 + line : 8 + line])
        assert table.rows.total_lines == len(top) + 6

        # o on a child folds its parent and lands on it
        await pilot.press("j", "j", "o")
        assert table.rows.total_lines == len(top) and table.cursor == line
        assert "▸ sweep-parent" in widget_lines(table)[1 + line]

        # on the run-name column, enter (and space) open and close a parent too
        await pilot.press("h")
        assert table.focused_column == -1
        await pilot.press("enter")
        await settle(pilot)
        assert table.rows.total_lines == len(top) + 6 and isinstance(app.screen, RunsScreen)
        await pilot.press("space")
        assert table.rows.total_lines == len(top) and not table.marks

        # t: the flat list has every run, as MLflow lists them
        await pilot.press("t")
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        assert run_names(table) == [r.info.run_name for r in every]
        assert "flat" in status_text(screen)
        assert not any("▸" in text for text in widget_lines(table))
        await pilot.press("t")
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        assert run_names(table) == [r.info.run_name for r in top]


async def test_marks_status_escape_and_mark_all(sql_uri, mlflow_client):
    app = make_app(sql_uri, tree=False, experiment="sweep")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        table = screen.table
        every = mlflow_runs(mlflow_client, ["sweep"])
        await pilot.press("space", "space")
        assert table.marks == {every[0].info.run_id, every[1].info.run_id}
        assert table.cursor == 2
        assert "2 marked" in status_text(screen)
        lines = widget_lines(table)
        assert lines[1].startswith("●") and lines[2].startswith("●")
        assert not lines[3].startswith("●")
        await pilot.press("k", "space")  # space again unmarks
        assert table.marks == {every[0].info.run_id}
        await pilot.press("escape")
        assert not table.marks and "marked" not in status_text(screen)
        assert isinstance(app.screen, RunsScreen)  # escape cleared, did not leave

        await pilot.press("A")
        await settle(pilot)
        assert table.marks == {r.info.run_id for r in every}
        assert f"{len(every)} marked" in status_text(screen)
        await pilot.press("escape")

        # A marks every run matching the filter, loaded or not
        await pilot.press("slash")
        await paste_text(pilot, "params.optimizer = 'adam'")
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        matching = mlflow_runs(mlflow_client, ["sweep"], "params.optimizer = 'adam'")
        assert table.marks == {r.info.run_id for r in matching}
        assert f"{len(matching)} marked" in status_text(screen)


# -- delete / restore / read-only ---------------------------------------------------------
async def test_delete_and_restore_marked_runs(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    app = make_app(writable_sql_uri, tree=False, experiment="sweep")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        table = screen.table
        names = run_names(table)
        victims = {}
        for name in ("child-2", "child-3"):
            table.move_cursor(names.index(name))
            victims[name] = table.current_run.run_id
            await pilot.press("space")
        assert table.marks == set(victims.values())
        await pilot.press("D")
        dialog = await wait_screen(pilot, ConfirmDialog)
        text = screen_text(app, dialog)
        assert "Delete 2 runs?" in text and "child-2" in text and "child-3" in text
        await pilot.press("y")
        await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, lambda: screen.total is not None and all_loaded(table))
        for rid in victims.values():
            assert client.get_run(rid).info.lifecycle_stage == "deleted"
        assert not table.marks
        assert set(run_names(table)) == set(names) - set(victims)

        # x cycles active -> all -> deleted
        await pilot.press("x")
        await settle(pilot)
        assert "view: all" in status_text(screen)
        await pilot.press("x")
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        deleted = mlflow_runs(client, ["sweep"], view=MlflowViewType.DELETED_ONLY)
        assert run_names(table) == [r.info.run_name for r in deleted]
        assert {"child-2", "child-3", "deleted-run"} == set(run_names(table))
        names = run_names(table)
        for name in ("child-2", "child-3"):
            table.move_cursor(names.index(name))
            await pilot.press("space")
        await pilot.press("R")
        dialog = await wait_screen(pilot, ConfirmDialog)
        assert "Restore 2 runs?" in screen_text(app, dialog)
        await pilot.press("y")
        await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, lambda: screen.total is not None and all_loaded(table))
        for rid in victims.values():
            assert client.get_run(rid).info.lifecycle_stage == "active"
        assert run_names(table) == ["deleted-run"]
        gone = mlflow_runs(client, ["sweep"], view=MlflowViewType.DELETED_ONLY)
        assert [r.info.run_name for r in gone] == ["deleted-run"]

        # cancelling changes nothing
        await pilot.press("x")  # back to active
        await settle(pilot)
        await wait_for(pilot, lambda: all_loaded(table))
        await pilot.press("D")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.press("n")
        await settle(pilot)
        assert len(mlflow_runs(client, ["sweep"])) == 8


async def test_read_only_refuses_delete_and_restore(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    before = {
        r.info.run_id: r.info.lifecycle_stage
        for r in mlflow_runs(client, ["sweep"], view=MlflowViewType.ALL)
    }
    app = make_app(writable_sql_uri, read_only=True, tree=False, experiment="sweep")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        assert "read-only" in status_text(screen)
        await pilot.press("space", "D")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)  # no confirmation was offered
        await wait_toast(pilot, "Read-only mode (--read-only): runs cannot be deleted or restored")
        await pilot.press("x", "x")
        await settle(pilot)
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)
    after = {
        r.info.run_id: r.info.lifecycle_stage
        for r in mlflow_runs(client, ["sweep"], view=MlflowViewType.ALL)
    }
    assert after == before


# -- export, run screen, help, palette ------------------------------------------------
async def test_export_writes_every_matching_run(sql_uri, mlflow_client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(sql_uri, tree=False, experiment="sweep")
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        await wait_for(pilot, lambda: screen.run_keys is not None)
        await pilot.press("slash")
        await paste_text(pilot, "metrics.loss < 1")
        await pilot.press("enter")
        await settle(pilot)
        specs = [c.spec for c in screen.table.columns]
        await pilot.press("e")
        dialog = await wait_screen(pilot, PromptDialog)
        target = tmp_path / "sweep-runs.csv"
        assert dialog.query_one("Input").value == str(target)
        await pilot.press("enter")
        await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, target.exists, "the CSV file")
        await wait_toast(pilot, f"Exported 6 runs to {target}")
    with open(target, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["run_id", "run_name", "status"]
    assert header[3:] == [s for s in specs if s not in header[:3]]
    expected = mlflow_runs(mlflow_client, ["sweep"], "metrics.loss < 1")
    assert len(expected) == 6
    assert [r[0] for r in body] == [r.info.run_id for r in expected]
    by_id = {r.info.run_id: r for r in expected}
    for row in body:
        run = by_id[row[0]]
        values = dict(zip(header, row, strict=True))
        assert values["run_name"] == run.info.run_name
        assert values["status"] == run.info.status
        assert float(values["metrics.acc"]) == run.data.metrics["acc"]
        assert float(values["metrics.`val/loss`"]) == run.data.metrics["val/loss"]
        assert values["params.lr"] == run.data.params["lr"]


async def test_run_screen_help_and_command_palette(sql_uri, mlflow_client):
    app = make_app(sql_uri, tree=False, experiment="sweep")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await open_runs(pilot)
        table = screen.table
        table.move_cursor(run_names(table).index("child-1"))
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        await wait_for(pilot, lambda: run_screen.detail is not None)
        expected = mlflow_client.get_run(table.current_run.run_id)

        def cells(table_id: str) -> dict[str, str]:
            dt = run_screen.query_one(table_id, DataTable)
            return {str(dt.get_row_at(i)[0]): dt.get_row_at(i) for i in range(dt.row_count)}

        params = cells("#params")
        assert {k: str(v[1]) for k, v in params.items()} == expected.data.params
        metrics = cells("#metrics")
        assert set(metrics) == set(expected.data.metrics)
        assert float(str(metrics["acc"][1])) == pytest.approx(expected.data.metrics["acc"])
        assert metrics["loss"][5] == "49"  # latest step (after min, max and history)
        tags = cells("#tags")
        assert str(tags["owner"][1]) == expected.data.tags["owner"]
        text = screen_text(app)
        assert expected.info.run_id in text and "child-1" in text
        await pilot.press("escape")
        await wait_screen(pilot, RunsScreen)

        # ? lists the keys of the screen
        await pilot.press("question_mark")
        help_screen = await wait_screen(pilot, HelpScreen)
        text = screen_text(app, help_screen)
        assert "MLflow's search syntax" in text  # the screen's own help first
        for words in ("Filter", "Sort", "Columns", "Mark all"):
            assert words in text, words
        # the rest is a keyboard scroll away
        await pilot.press("end")
        text = screen_text(app, help_screen)
        for words in ("Delete", "Export", "Models", "Palette", "ctrl+p"):
            assert words in text, words
        await pilot.press("escape")
        await wait_screen(pilot, RunsScreen)

        await pilot.press("colon")
        palette = await wait_screen(pilot, CommandPalette)
        await type_text(pilot, "columns")
        await wait_for(pilot, lambda: "Runs: Columns" in screen_text(app, palette), "palette hit")
        await pilot.press("down", "enter")
        await wait_screen(pilot, ColumnChooser)
        await pilot.press("escape")
        await wait_screen(pilot, RunsScreen)


# -- hostile and odd data ----------------------------------------------------------------
async def test_markup_and_escapes_show_as_text(sql_uri, mlflow_client):
    app = make_app(sql_uri, tree=False, experiment="edge cases")
    async with app.run_test(size=(160, 30), notifications=True) as pilot:
        screen = await open_runs(pilot)
        await wait_for(pilot, lambda: screen.run_keys is not None)
        table = screen.table
        assert Column(PARAM, "long") in table.columns  # params are shown by default
        # show the hostile tag as a column too
        await pilot.press("c")
        await wait_screen(pilot, ColumnChooser)
        await type_text(pilot, "hostile")
        await pilot.press("tab", "enter")
        await wait_screen(pilot, RunsScreen)
        assert table.columns[-1] == Column(TAG, "hostile")
        shown_hostile = HOSTILE_TAG.replace("\x1b", "␛")
        lines = widget_lines(table)
        odd = next(line for line in lines if "odd" in line)
        assert "[red]odd[/] name" in odd  # markup shows as typed
        assert "vvvvvvvv…" in odd  # a long value is cut to the column, with an ellipsis
        assert "\x1b" not in "".join(lines)
        # l scrolls sideways to the last column; the name column stays
        await focus_column(pilot, table, Column(TAG, "hostile"))
        lines = widget_lines(table)
        odd = next(line for line in lines if "odd" in line)
        assert "[red]odd[/] name" in odd and shown_hostile in odd
        assert "\x1b" not in "".join(lines)
        assert "\x1b" not in screen_segments_text(app)
        # NaN and infinities read as such
        for name, text in (("nan-run", "NaN"), ("inf-run", "inf"), ("neg-inf-run", "-inf")):
            assert text in next(line for line in lines if name in line)

        table.move_cursor(run_names(table).index("[red]odd[/] name"))
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        await wait_for(pilot, lambda: run_screen.detail is not None)
        assert "[red]odd[/] name" in screen_text(app)
        tabs = run_screen.query_one("TabbedContent")
        for pane in ("tab-params", "tab-tags"):
            tabs.active = pane
            await pilot.pause()
            text = screen_text(app)
            assert "\x1b" not in screen_segments_text(app)
            if pane == "tab-tags":
                assert shown_hostile in text
            else:
                for key in ("key with space", "path/like/key", "ключ", "значение", "long"):
                    assert key in text, key
        params = run_screen.query_one("#params", DataTable)
        values = {
            str(params.get_row_at(i)[0]): str(params.get_row_at(i)[1])
            for i in range(params.row_count)
        }
        assert values["long"] == LONG_VALUE[:500]  # shown cut, not 5,000 characters wide


async def test_odd_names_empty_experiment_and_no_metrics(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    hostile_exp = "[bold]x[/] \x1b[31mexp"
    client.create_experiment(hostile_exp)
    plain = client.create_experiment("no metrics")
    run = client.create_run(plain, run_name="params-only")
    client.log_param(run.info.run_id, "only", "p")
    client.set_terminated(run.info.run_id)
    client.create_experiment("empty")
    # MLflow <= 1.29 left runs.name empty: one keeps its mlflow.runName tag, one has none
    sweep = client.get_experiment_by_name("sweep").experiment_id
    by_name = {r.info.run_name: r.info.run_id for r in client.search_runs([sweep])}
    db = sqlite3.connect(sqlite_path(writable_sql_uri))
    with db:
        db.execute(
            "UPDATE runs SET name = '' WHERE run_uuid IN (?, ?)",
            (by_name["child-0"], by_name["child-1"]),
        )
        db.execute(
            "DELETE FROM tags WHERE run_uuid = ? AND key = 'mlflow.runName'", (by_name["child-1"],)
        )
    db.close()

    app = make_app(writable_sql_uri, tree=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: "␛[31mexp" in screen_text(app))
        assert "[bold]x[/] ␛[31mexp" in screen_text(app)
        assert "\x1b" not in screen_segments_text(app)

        runs = await open_runs(pilot, "no metrics")
        assert run_names(runs.table) == ["params-only"]
        assert not any(c.kind == METRIC for c in runs.table.columns)
        assert Column(PARAM, "only") in runs.table.columns
        assert "params-only" in widget_lines(runs.table)[1]
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        await wait_for(pilot, lambda: run_screen.detail is not None)
        assert run_screen.query_one("#metrics", DataTable).row_count == 0
        await pilot.press("escape", "escape")

        # an experiment without runs: an empty table, and keys on it do no harm
        empty = await open_runs(pilot, "empty")
        assert empty.total == 0 and empty.table.rows.total_lines == 0
        assert "│ 0 runs │" in status_text(empty)
        await pilot.press("space", "enter", "o", "j", "G", "s", "t", "A", "D", "R")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen) and not empty.table.marks
        assert "Run name" in widget_lines(empty.table)[0] and "Filter" in footer_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, ExperimentsScreen)

        runs = await open_runs(pilot, "sweep")
        lines = widget_lines(runs.table)
        assert any("child-0" in line for line in lines)  # from the mlflow.runName tag
        assert any(by_name["child-1"][:8] in line for line in lines)  # the run id
        runs.table.move_cursor(
            [r.run_id for r in runs.rows.loaded_runs()].index(by_name["child-1"])
        )
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        assert by_name["child-1"] in screen_text(app)


# -- 80 x 24 ----------------------------------------------------------------------------
async def test_every_screen_at_80x24(writable_sql_uri):
    app = make_app(writable_sql_uri, tree=True)
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
        await check("sweep")
        assert "Filter" in footer_text(app) and "Sort" in footer_text(app)
        screen = await open_runs(pilot, "sweep")
        await check("sweep-parent", "Run name")
        assert "Filter" in footer_text(app) and "Columns" in footer_text(app)
        await pilot.press("slash")
        await check("MLflow filter")
        await pilot.press("escape", "c")
        await wait_screen(pilot, ColumnChooser)
        await check("Columns", "enter: apply")
        await pilot.press("escape", "question_mark")
        await wait_screen(pilot, HelpScreen)
        await check("Runs")
        await pilot.press("escape", "j", "l", "enter")
        await wait_screen(pilot, RunScreen)
        await check("run id", "Metrics", "Params")
        assert "Back" in footer_text(app)
        await pilot.press("escape", "D")
        await wait_screen(pilot, ConfirmDialog)
        await check("Delete 1 run?", "Cancel (n)")
        await pilot.press("n", "e")
        await wait_screen(pilot, PromptDialog)
        await check("Export", "enter: OK")
        await pilot.press("escape")
        assert isinstance(app.screen, RunsScreen) and screen.total == 2
