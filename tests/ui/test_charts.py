"""Metric charts driven as a person drives them, on a store made by the real mlflow
client (tests/support/charts_builder.py): the grid of a few runs, one chart full
size with each control, zoom reading detail from the store, NaN/inf, a one-point
metric, a live run gaining points, the run screen's Charts and Metrics tabs, and
`v` in the runs table."""

from __future__ import annotations

import asyncio

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric

from mltui.screens.charts import ChartScreen, ChartsScreen
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from mltui.views.charts import DETAIL, X_LABELS
from mltui.widgets.metric_chart import MetricChart
from support.apphelp import make_app, run_names, runs_shown, screen_text, wait_for, wait_screen
from support.builders import cached_store, copy_store
from support.charts_builder import SHORT_STEPS, SPIKES, acc_value


@pytest.fixture(scope="module")
def charts_uri() -> str:
    return f"sqlite:///{cached_store('charts-sqlite') / 'mlflow.db'}"


def header(app) -> str:
    return screen_text(app).splitlines()[0]


async def open_curves(pilot) -> RunsScreen:
    return await runs_shown(pilot)


async def mark(pilot, screen: RunsScreen, names: list[str]) -> None:
    for name in names:
        screen.table.move_cursor(run_names(screen.table).index(name))
        await pilot.press("space")


async def drawn(pilot, chart: MetricChart, what: str = "the chart") -> None:
    await wait_for(pilot, lambda: chart.loaded and chart.builds > 0, what)


# -- many runs, one chart per metric ----------------------------------------------------


async def test_v_draws_the_marked_runs_overlaid(charts_uri):
    app = make_app(charts_uri, experiment="curves", tree=False)
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await open_curves(pilot)
        await mark(pilot, screen, ["a", "b", "c"])
        await pilot.press("v")
        charts = await wait_screen(pilot, ChartsScreen)
        assert sorted(r.run_name for r in charts.runs) == ["a", "b", "c"]
        grid = {c.key: c for c in charts.query(MetricChart)}
        assert sorted(grid) == ["acc", "only_b"]  # every metric any of them logged
        for chart in grid.values():
            await drawn(pilot, chart, chart.key)
        acc = grid["acc"]
        assert sorted(s.run_name for s in acc.series) == ["a", "b", "c"]
        assert len({s.color for s in acc.series}) == 3
        # the same run keeps its colour on every chart
        only_b = grid["only_b"].series
        assert [s.run_name for s in only_b if s.values] == ["b"]
        assert next(s.color for s in acc.series if s.run_name == "b") == \
            next(s.color for s in only_b if s.run_name == "b")
        legend = screen_text(app)
        assert all(f"● {name}" in legend for name in "abc")
        # / keeps the metrics that match
        await pilot.press("slash", *"only")
        await wait_for(pilot, lambda: charts.panel.keys == ["only_b"], "the filter")
        assert "1 of 2 metrics" in header(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: charts.panel.keys == ["acc", "only_b"], "filter cleared")
        assert isinstance(app.screen, ChartsScreen)
        # enter opens the focused chart full size
        acc.focus()
        await pilot.pause()
        assert "Full size" in screen_text(app).splitlines()[-1]
        await pilot.press("enter")
        full = await wait_screen(pilot, ChartScreen)
        assert full.key == "acc" and len(full.runs) == 3
        # full size already: the footer does not offer it again, and enter does nothing
        await drawn(pilot, full.chart)
        assert "Full size" not in screen_text(app).splitlines()[-1]
        await pilot.press("enter")
        assert app.screen is full
        await pilot.press("escape")
        await wait_screen(pilot, ChartsScreen)


# -- one chart and its controls ---------------------------------------------------------


async def _full_chart(pilot, app, charts_uri, names: list[str], key: str) -> ChartScreen:
    screen = await open_curves(pilot)
    runs = [r for r in screen.rows.loaded_runs() if r.run_name in names]
    app.push_screen(ChartScreen(runs, [key], key))
    chart_screen = await wait_screen(pilot, ChartScreen)
    await wait_for(pilot, lambda: chart_screen.reads >= 1, "the series")
    await drawn(pilot, chart_screen.chart)
    return chart_screen


async def test_controls_axis_log_smoothing_and_cursor(charts_uri):
    client = MlflowClient(charts_uri)
    app = make_app(charts_uri, experiment="curves", tree=False)
    async with app.run_test(size=(150, 45)) as pilot:
        screen = await _full_chart(pilot, app, charts_uri, ["a", "b", "c"], "acc")
        for mode in ("relative", "wall", "step"):
            await pilot.press("x")
            await wait_for(pilot, lambda m=mode: f"x: {X_LABELS[m]}" in header(app), mode)
        await pilot.press("L")
        assert screen.settings.log_y and "log y" in header(app)
        await pilot.press("L", "s")
        assert screen.settings.smoothing == 0.6 and "smoothing 0.6" in header(app)
        await pilot.press("S")
        assert screen.settings.smoothing == 0.0
        # the cursor starts at the left end; the legend reads every run's value there
        await pilot.press("l")
        assert screen.settings.cursor == 0.0
        for _ in range(30):
            await pilot.press("l")
        cursor = screen.settings.cursor
        assert 0 < cursor < SHORT_STEPS
        legend = screen_text(app)
        exp = client.get_experiment_by_name("curves").experiment_id
        for run in client.search_runs([exp], "attributes.run_name LIKE '_'"):
            history = client.get_metric_history(run.info.run_id, "acc")
            at = max((m for m in history if m.step <= cursor), key=lambda m: m.step)
            assert at.value == pytest.approx(acc_value(run.info.run_name, at.step))
            from mltui.textfmt import format_number

            assert f"● {run.info.run_name} {format_number(at.value)}" in legend


async def test_zoom_reads_detail_from_the_store_and_pans(charts_uri, monkeypatch):
    app = make_app(charts_uri, experiment="curves", tree=False)
    asked: list[tuple] = []
    async with app.run_test(size=(120, 40)) as pilot:
        store = app.store
        real = store.get_metric_history

        def spy(run_id, key, min_step=None, max_step=None, max_points=None):
            asked.append((min_step, max_step, max_points))
            return real(run_id, key, min_step, max_step, max_points)

        monkeypatch.setattr(store, "get_metric_history", spy)
        screen = await _full_chart(pilot, app, charts_uri, ["long"], "loss")
        whole = screen.series[0]
        assert max(whole.values) == SPIKES[1234]  # the downsampled whole keeps the spike
        assert asked[-1][:2] == (None, None)
        # a cursor at the spike, then zoom in: the first steps draw from the points
        # read (DETAIL times what the width needs), a deeper one reads the range
        screen.settings = screen.settings.__class__(cursor=1234.0)
        for n in range(1, 8):
            reads, builds, calls = screen.reads, screen.chart.builds, len(asked)
            await pilot.press("z")
            await wait_for(pilot, lambda r=reads, b=builds: screen.reads > r
                           or screen.chart.builds > b, f"zoom {n} drawn")
            lo, hi = screen.settings.zoom
            assert lo <= 1234 <= hi
            if len(asked) == calls:  # from memory: the whole read still has the detail
                assert 2 ** n <= DETAIL, n
                continue
            await wait_for(pilot, lambda r=reads: screen.reads > r, f"zoom {n} read")
            assert asked[-1][0] is not None and asked[-1][0] >= 0  # the range asked again
            steps = screen.series[0].steps
            assert min(steps) >= lo - 1 and max(steps) <= hi + 1
            break
        else:
            raise AssertionError("no zoom read the narrower range")
        assert 2 ** n > DETAIL
        zoomed_series = screen.series[0]
        assert SPIKES[1234] in zoomed_series.values
        # every point of the range shown, where the whole history had to be thinned
        dense = sum(1 for s in zoomed_series.steps if 1200 <= s <= 1270)
        sparse = sum(1 for s in whole.steps if 1200 <= s <= 1270)
        assert dense == 71 and sparse < 71
        assert "zoom" in header(app)
        before = screen.settings.zoom
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: screen.settings.zoom != before, "pan")
        assert screen.settings.zoom[0] > before[0]
        await pilot.press("0")
        await wait_for(pilot, lambda: screen.settings.zoom is None and "zoom" not in header(app))


async def test_nan_inf_and_one_point(charts_uri):
    app = make_app(charts_uri, experiment="curves", tree=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _full_chart(pilot, app, charts_uri, ["weird"], "w")
        text = screen_text(app)
        assert "1 NaN and 2 ±inf not drawn" in text and "e+308" not in text
        await pilot.press("L")
        await wait_for(pilot, lambda: "2 values ≤ 0 left out of the log scale" in screen_text(app))
        await pilot.press("escape")
        single = await _full_chart(pilot, app, charts_uri, ["single"], "one")
        assert "●" in single.chart.render().plain


async def test_a_live_run_gains_points_without_losing_the_zoom(charts_uri, tmp_path):
    uri = copy_store("charts-sqlite", tmp_path)
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name("curves").experiment_id
    rid = client.create_run(exp, run_name="live").info.run_id
    client.log_batch(rid, metrics=[Metric("loss", 1.0 / (s + 1), 1000 * s, s) for s in range(100)])
    app = make_app(uri, experiment="curves", tree=False, live=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen) and app.screen)
        await wait_for(pilot, lambda: "live" in run_names(screen.table), "the live run")
        live_run = next(r for r in screen.rows.loaded_runs() if r.run_name == "live")
        assert live_run.status == "RUNNING"
        app.push_screen(ChartScreen([live_run], ["loss"], "loss"))
        chart = await wait_for(pilot, lambda: isinstance(app.screen, ChartScreen) and app.screen)
        await wait_for(pilot, lambda: chart.series and max(chart.series[0].steps) == 99)
        await pilot.press("l", "z")  # a cursor and a zoom the refresh must keep
        zoom, cursor = chart.settings.zoom, chart.settings.cursor
        assert zoom is not None and "live ●" in header(app)
        await asyncio.to_thread(client.log_batch, rid, metrics=[
            Metric("loss", 0.001, 1000 * s, s) for s in range(100, 150)])
        await pilot.press("Z", "0")  # back to the whole range: the new points show
        await wait_for(pilot, lambda: max(chart.series[0].steps) == 149, "the new points")
        await pilot.press("z")
        zoom = chart.settings.zoom
        reads = chart.reads
        await wait_for(pilot, lambda: chart.reads >= reads + 2, "two live refreshes")
        assert chart.settings.zoom == zoom and chart.settings.cursor == cursor


# -- the run screen ---------------------------------------------------------------------


async def test_run_screen_charts_tab_and_metric_summaries(charts_uri):
    app = make_app(charts_uri, experiment="curves", tree=False)
    async with app.run_test(size=(140, 45)) as pilot:
        screen = await open_curves(pilot)
        screen.table.move_cursor(run_names(screen.table).index("long"))
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        await wait_for(pilot, lambda: run_screen.summaries, "min, max and history")
        row = run_screen.query_one("#metrics").get_row_at(0)
        cells = [str(c) for c in row]
        assert cells[0] == "loss" and cells[2] == "-50" and cells[3] == "100"
        assert set(cells[4]) <= set("▁▂▃▄▅▆▇█") and len(cells[4]) > 4
        await pilot.press("2")
        await wait_for(pilot, lambda: run_screen.query(MetricChart), "the charts tab")
        chart = run_screen.query_one(MetricChart)
        await drawn(pilot, chart)
        assert chart.key == "loss" and max(chart.series[0].values) == SPIKES[1234]
        await pilot.press("x")
        assert run_screen.chart_settings.x_mode == "relative"
        await pilot.press("enter")
        full = await wait_screen(pilot, ChartScreen)
        assert full.settings.x_mode == "relative" and full.key == "loss"
        await pilot.press("escape")
        await wait_screen(pilot, RunScreen)
        await pilot.press("1")  # chart keys are the Charts tab's only
        await pilot.press("x")
        assert run_screen.chart_settings.x_mode == "relative"


# -- a snapshot of a chart screen -------------------------------------------------------


def test_chart_screen_snapshot(snap_compare, charts_uri):
    """The full chart of three runs as an SVG (every value here is deterministic)."""
    app = make_app(charts_uri, experiment="curves", tree=False)

    async def run_before(pilot) -> None:
        screen = await open_curves(pilot)
        runs = sorted((r for r in screen.rows.loaded_runs() if r.run_name in "abc"),
                      key=lambda r: r.run_name)
        app.run_colors.preset([r.run_id for r in runs])  # run ids are random
        app.push_screen(ChartScreen(runs, ["acc"], "acc"))
        chart = await wait_screen(pilot, ChartScreen)
        await wait_for(pilot, lambda: chart.reads and chart.chart.builds, "drawn")
        # the store label holds a temporary path: not part of the picture
        chart.mltui.store.uri = "sqlite:///curves.db"
        chart._show_status()
        await pilot.pause()

    assert snap_compare(app, run_before=run_before, terminal_size=(100, 30))
