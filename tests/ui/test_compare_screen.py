"""Comparing runs as a person does, on the pages store (about 500 runs in
``pages``, 20 a page): filter, mark three runs pages apart with space, C; then d, m, b, enter, y,
the scatter and parallel tabs, e to a CSV file, escape back to the runs table.
On sqlite and through a tracking server.

The three runs get a loss history from MlflowClient first (a high, a low and a
last value), so last, min and max show different numbers; every number checked
is what MlflowClient reads.
"""

from __future__ import annotations

import csv
import math
import re

from test_pages import app_on, open_pages, set_filter

from mltui.screens.compare import CompareScreen
from mltui.screens.dialogs import PromptDialog
from mltui.screens.field_picker import FieldPicker
from mltui.screens.runs import RunsScreen
from mltui.screens.value_viewer import ValueViewer
from mltui.views.compare import ONLY_DIFFERENCES_PAST
from mltui.widgets.plot_view import PlotView
from support.apphelp import (
    paste_text,
    screen_text,
    settle,
    wait_for,
    wait_screen,
    wait_toast,
)
from support.pages_builder import PAGE_SIZE

FILTER = "metrics.acc > 0.6"
BRAILLE = re.compile("[\u2801-\u28ff]")
"""The dots plotext draws points and lines with."""
ATTRIBUTE_ROWS = 4
"""status, start_time, duration and user: a row each before the params."""


def loss_history(k: int) -> list[tuple[int, float]]:
    """Steps 1-3 logged on the k-th compared run (step 0 is the builder's): the
    highest value, the lowest, and the last."""
    return [(1, 9.5 + k), (2, 0.001 * (k + 1)), (3, 0.75 + 0.5 * k)]


def mlflow_matched(client) -> list:
    exp = client.get_experiment_by_name("pages").experiment_id
    runs, token = [], None
    while True:
        page = client.search_runs([exp], FILTER, max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def pick_three(matched: list) -> list[int]:
    """Positions of three flat runs pages apart in the filtered table, with the same
    optimizer (a param that does not differ) and different learning rates."""
    first = next(i for i, r in enumerate(matched) if i >= 3 and r.info.run_name.startswith("run-"))
    chosen = [first]
    for least in (2 * PAGE_SIZE + 5, 4 * PAGE_SIZE + 7):
        chosen.append(next(
            i for i, r in enumerate(matched) if i >= least and r.info.run_name.startswith("run-")
            and r.data.params["optimizer"] == matched[first].data.params["optimizer"]
            and r.data.params["lr"] not in {matched[c].data.params["lr"] for c in chosen}))
    return chosen


def prepare(backend) -> tuple[list, list]:
    """Log the loss histories; the filtered runs and the three picked, as MlflowClient
    reads them afterwards."""
    from mlflow.entities import Metric

    client = backend.client()
    matched = mlflow_matched(client)
    positions = pick_three(matched)
    for k, position in enumerate(positions):
        ref = matched[position]
        start = ref.info.start_time
        client.log_batch(ref.info.run_id, metrics=[
            Metric("loss", value, start + 1000 * step, step) for step, value in loss_history(k)])
    matched = mlflow_matched(client)
    return matched, positions


def extremes(client, run_id: str, key: str) -> tuple[float, float]:
    values = [m.value for m in client.get_metric_history(run_id, key)]
    return min(values), max(values)


def line_of(app, label: str) -> str:
    """The table line of the row ``label`` as drawn."""
    lines = [line for line in screen_text(app).splitlines() if f" {label} " in f" {line} "]
    assert len(lines) == 1, (label, lines)
    return lines[0]


def cells(app, label: str) -> list[str]:
    """The value cells of the row ``label`` as drawn, ``★ x`` for a best value."""
    rest = line_of(app, label).split(label, 1)[1].replace("↓", " ").replace("↑", " ")
    tokens = rest.split()
    out = []
    for token in tokens:
        if out and out[-1] == "★":
            out[-1] = f"★ {token}"
        else:
            out.append(token)
    return out


def shown_labels(app) -> set[str]:
    return set(re.findall(r"(?:params|metrics|tags)\.[\w./-]+", screen_text(app)))


def picture(view: PlotView) -> str:
    """What a plot shows now: its chart, or a message ("reading…")."""
    return view.render().plain


def number(value: float) -> str:
    return f"{value:g}"


async def mark(pilot, screen: RunsScreen, line: int, run_id: str) -> None:
    table = screen.table
    table.move_cursor(line)
    await wait_for(pilot, lambda: table.current_run is not None
                   and table.current_run.run_id == run_id, f"the run on line {line}")
    await pilot.press("space")
    assert run_id in table.marks


async def test_compare_three_marked_runs(writable_pages_backend, tmp_path):
    backend = writable_pages_backend
    matched, positions = prepare(backend)
    client = backend.client()
    picked = [matched[p] for p in positions]
    ids = [r.info.run_id for r in picked]
    app = app_on(backend)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        runs_screen = await open_pages(pilot)
        await set_filter(pilot, FILTER)
        await wait_for(pilot, lambda: runs_screen.total == len(matched), "the filtered total")
        await mark(pilot, runs_screen, positions[0], ids[0])
        # one marked run is nothing to compare
        await pilot.press("C")
        await wait_toast(pilot, "Mark 2 to 50 runs with space, then C (1 run marked)")
        assert isinstance(app.screen, RunsScreen)
        for position, rid in zip(positions[1:], ids[1:], strict=True):
            await mark(pilot, runs_screen, position, rid)
        await pilot.press("C")
        screen = await wait_screen(pilot, CompareScreen)

        # a column per run, in the table's order, named as MLflow names them
        assert [r.run_id for r in screen.runs] == ids
        header = line_of(app, "key")
        at = [header.index(f"{r.info.run_name} ({r.info.run_id[:8]})") for r in picked]
        assert at == sorted(at)
        # the params that differ; the optimizer is the same in all three
        params = {k for r in picked for k in r.data.params}
        differ = {f"params.{k}" for k in params if len({r.data.params[k] for r in picked}) > 1}
        assert differ == {"params.lr", "params.index"}
        tags = {k for r in picked for k in r.data.tags} - {"mlflow.runName"}
        metrics = {k for r in picked for k in r.data.metrics}
        rows = ATTRIBUTE_ROWS + len(params) + len(metrics) + len(tags)
        assert screen.only_differences == (rows > ONLY_DIFFERENCES_PAST)
        if screen.only_differences:
            await pilot.press("d")
        for key in params:
            assert cells(app, f"params.{key}") == [r.data.params[key] for r in picked]
        assert "params.optimizer" in shown_labels(app)
        # d: only the rows that differ
        await pilot.press("d")
        await wait_for(pilot, lambda: "params.optimizer" not in shown_labels(app), "d")
        assert differ <= shown_labels(app)
        assert "metrics.loss" in shown_labels(app)
        await pilot.press("d")
        await wait_for(pilot, lambda: "params.optimizer" in shown_labels(app), "d again")

        # m: the last value, the lowest, the highest; ★ on the lowest (a loss)
        last = [r.data.metrics["loss"] for r in picked]
        assert last == [value for _step, value in
                        (loss_history(k)[-1] for k in range(3))]
        lows, highs = zip(*(extremes(client, rid, "loss") for rid in ids), strict=True)
        assert cells(app, "metrics.loss") == [f"★ {number(last[0])}",
                                              *map(number, last[1:])]
        await pilot.press("m")
        await wait_for(pilot, lambda: cells(app, "metrics.loss") == [
            f"★ {number(lows[0])}", *map(number, lows[1:])], "the lowest values")
        assert "metrics: min" in screen_text(app).splitlines()[0]
        await pilot.press("m")
        await wait_for(pilot, lambda: cells(app, "metrics.loss") == [
            f"★ {number(highs[0])}", *map(number, highs[1:])], "the highest values")
        assert highs == tuple(9.5 + k for k in range(3))

        # b flips the best of the row under the cursor: highest, none, lowest again
        row = [r.label for r in screen.shown].index("metrics.loss")
        screen.table.move_cursor(row=row, column=1)
        await pilot.press("b")
        await wait_for(pilot, lambda: cells(app, "metrics.loss") == [
            *map(number, highs[:2]), f"★ {number(highs[2])}"], "★ on the highest")
        assert "↑" in line_of(app, "metrics.loss")
        await pilot.press("b")
        await wait_for(pilot, lambda: cells(app, "metrics.loss") == list(map(number, highs)),
                       "no ★")
        assert "↑" not in line_of(app, "metrics.loss") and "↓" not in line_of(app,
                                                                               "metrics.loss")
        await pilot.press("b")
        await wait_for(pilot, lambda: cells(app, "metrics.loss")[0].startswith("★"), "★ back")

        # enter shows the value under the cursor whole
        await pilot.press("enter")
        viewer = await wait_screen(pilot, ValueViewer)
        assert viewer.value == repr(highs[0])
        await pilot.press("escape")
        await wait_screen(pilot, CompareScreen)
        # y copies the rows as Markdown
        await pilot.press("y")
        await wait_toast(pilot, "as Markdown")
        copied = app.clipboard.splitlines()
        assert copied[0].startswith("| key | ") and len(copied) == len(screen.shown) + 2

        # 3: the scatter of the three runs, drawn; x and y pick the fields; a: every
        # run of the filter
        await pilot.press("3")
        view = screen.query_one("#scatter", PlotView)
        await wait_for(pilot, lambda: screen.scatter is not None and "●" in picture(view),
                       "the scatter drawn")
        assert screen.active_tab == "tab-scatter"
        scatter = screen.scatter
        assert (scatter.x.column.spec, scatter.y.column.spec) == ("params.index", "metrics.acc")
        assert scatter.run_ids == ids
        assert scatter.ys == [r.data.metrics["acc"] for r in picked]
        assert scatter.xs == [float(r.data.params["index"]) for r in picked]
        assert "metrics.acc against params.index: 3 runs" in screen_text(app)
        assert "●" in screen_text(app)
        for key, field in (("y", "metrics.loss"), ("x", "params.lr")):
            await pilot.press(key)
            picker = await wait_screen(pilot, FieldPicker)
            await paste_text(pilot, field)
            assert picker.shown[0].spec == field
            await pilot.press("enter")
            await wait_for(pilot, lambda f=field: screen.scatter is not None and f in (
                screen.scatter.x.column.spec, screen.scatter.y.column.spec)
                and "●" in picture(view), f"the scatter with {field} drawn")
        scatter = screen.scatter
        assert (scatter.x.column.spec, scatter.y.column.spec) == ("params.lr", "metrics.loss")
        assert scatter.ys == last
        lrs = [float(r.data.params["lr"]) for r in picked]
        assert scatter.xs == ([math.log10(v) for v in lrs] if scatter.x.log else lrs)
        assert "metrics.loss against params.lr" in screen_text(app)
        await pilot.press("a")
        await wait_for(pilot, lambda: screen.all_runs and screen.scatter is not None
                       and BRAILLE.search(picture(view)), "the scatter of every run drawn")
        assert sorted(screen.scatter.run_ids) == sorted(r.info.run_id for r in matched)
        text = screen_text(app)
        assert f"{len(matched):,} runs matching the filter" in text
        assert BRAILLE.search(text) and "●" in text  # every run grey, the marked on top
        # 4: parallel coordinates of the params that differ to the metric picked (y),
        # over every run of the filter still
        await pilot.press("4")
        parallel = screen.query_one("#parallel", PlotView)
        await wait_for(pilot, lambda: screen.parallel is not None
                       and BRAILLE.search(picture(parallel)), "parallel coordinates drawn")
        assert sorted(screen.parallel.run_ids) == sorted(r.info.run_id for r in matched)
        assert [a.column.spec for a in screen.parallel.axes] == [
            "params.index", "params.lr", "metrics.loss"]
        assert f"{len(matched):,} runs across 2 params to metrics.loss" in screen_text(app)

        # e on the table: the rows shown to a CSV file, metrics at their highest
        await pilot.press("1")
        await wait_for(pilot, lambda: screen.active_tab == "tab-table", "the table tab")
        target = tmp_path / "compare.csv"
        await pilot.press("e")
        dialog = await wait_screen(pilot, PromptDialog)
        dialog.query_one("Input").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists, "the export written")
        await wait_toast(pilot, f"to {target}")
        with open(target, newline="") as fh:
            table = list(csv.reader(fh))
        assert table[0] == ["key", *ids]
        assert table[1] == ["run_name", *[r.info.run_name for r in picked]]
        data = {line[0]: line[1:] for line in table[2:]}
        assert len(data) == len(screen.shown) == rows
        assert data["status"] == [r.info.status for r in picked]
        for key in params:
            assert data[f"params.{key}"] == [r.data.params[key] for r in picked]
        for key in tags:
            assert data[f"tags.{key}"] == [r.data.tags[key] for r in picked]
        for key in metrics:
            assert [float(v) for v in data[f"metrics.{key}"]] == [
                extremes(client, rid, key)[1] for rid in ids]
        assert all(math.isfinite(float(v)) for v in data["metrics.loss"])

        # escape: back to the runs table, its filter and marks as they were
        await pilot.press("escape")
        await wait_screen(pilot, RunsScreen)
        assert app.screen is runs_screen
        assert runs_screen.filter_text == FILTER
        assert runs_screen.table.marks == set(ids)
        status = screen_text(app).splitlines()[0]
        assert "3 marked" in status and f"filter: {FILTER}" in status
        assert runs_screen.total == len(matched)
        # more than fifty marked is too many
        await pilot.press("A")
        await wait_for(pilot, lambda: len(runs_screen.table.marks) == len(matched), "all marked")
        await pilot.press("C")
        await wait_toast(pilot, f"Mark 2 to 50 runs with space, then C ({len(matched):,} runs "
                                "marked)")
        await settle(pilot)
        assert isinstance(app.screen, RunsScreen)


async def test_many_runs_show_a_window_that_moves_with_the_cursor():
    """12 runs do not fit at 100 columns: the table holds the runs that fit, and
    right at its edge moves the window (the key column stays); enter shows the
    value of the run under the cursor, as MlflowClient reads it."""
    from mlflow import MlflowClient

    from support.builders import cached_store

    uri = f"sqlite:///{cached_store('pages-sqlite') / 'mlflow.db'}"
    client = MlflowClient(uri)
    app = app_on(type("B", (), {"uri": uri})(), tree=False)
    async with app.run_test(size=(100, 30)) as pilot:
        runs_screen = await open_pages(pilot)
        await wait_for(pilot, lambda: runs_screen.table.current_run is not None)
        for _ in range(12):
            await pilot.press("space")
        await pilot.press("C")
        screen = await wait_screen(pilot, CompareScreen)
        await wait_for(pilot, lambda: screen.table.row_count > 0, "the table")
        shown = len(screen.table.columns) - 1
        assert 1 <= shown < 12
        assert f"runs 1-{shown} of 12" in screen_text(app).splitlines()[0]
        for _ in range(shown + 2):  # past the window's right edge
            await pilot.press("right")
        assert screen.first_run == 2 and len(screen.table.columns) - 1 == shown
        index = screen.first_run + screen.table.cursor_column - 1
        run = screen.runs[index]
        assert screen.table.cursor_column == shown
        await pilot.press("enter")
        viewer = await wait_screen(pilot, ValueViewer)
        row = screen._row_under_cursor()
        assert run_label_of(run) in viewer._title
        assert row is not None
        expected = client.get_run(run.run_id).info.status
        assert row.key != "status" or expected in screen_text(app)
        await pilot.press("escape")
        for _ in range(shown + 2):  # back to the first run
            await pilot.press("left")
        assert screen.first_run == 0 and screen.table.cursor_column == 0


def run_label_of(run) -> str:
    from mltui.views.compare import run_label

    return run_label(run)
