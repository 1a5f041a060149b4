"""Chart series without an app: downsampling as every backend does it (the SQL
store in the database), TensorBoard's smoothing, zoom and pan, the readout,
what is left out and said, and the drawing itself."""

from __future__ import annotations

import math

import pytest
from mlflow import MlflowClient

from mltui.store import open_store
from mltui.views.charts import (
    PALETTE,
    ChartSettings,
    RunColors,
    Series,
    SeriesRead,
    load_series,
    notes,
    panned,
    readout,
    render,
    smooth,
    sparkline,
    step_range,
    summarize,
    thin,
    value_at,
    x_range,
    zoomed,
)
from support.builders import cached_store
from support.charts_builder import LONG_STEPS, SPIKES, WEIRD_VALUES, long_value


@pytest.fixture(scope="module")
def charts_uri() -> str:
    return f"sqlite:///{cached_store('charts-sqlite') / 'mlflow.db'}"


@pytest.fixture(scope="module")
def world(charts_uri):
    client = MlflowClient(charts_uri)
    exp = client.get_experiment_by_name("curves").experiment_id
    runs = {r.info.run_name: r.info.run_id for r in client.search_runs([exp])}
    store = open_store(charts_uri)
    yield {"client": client, "store": store, "runs": runs,
           "run": {name: store.get_run(rid).run for name, rid in runs.items()}}
    store.close()


# -- downsampling, as the store does it --------------------------------------------


@pytest.mark.parametrize("max_points", [40, 200, 1000])
def test_downsampling_keeps_extremes_first_and_last(world, max_points):
    rid = world["runs"]["long"]
    full = world["client"].get_metric_history(rid, "loss")
    assert len(full) == LONG_STEPS
    got = world["store"].get_metric_history(rid, "loss", max_points=max_points)
    assert len(got) <= max_points + 2 < LONG_STEPS
    every = {(m.step, m.timestamp, m.value) for m in full}
    assert all((m.step, m.timestamp, m.value) in every for m in got)  # real points only
    values = [m.value for m in got]
    assert max(values) == max(m.value for m in full) == SPIKES[1234]  # the spike survives
    assert min(values) == min(m.value for m in full) == SPIKES[2500]
    assert (got[0].step, got[-1].step) == (0, LONG_STEPS - 1)
    assert [m.step for m in got] == sorted(m.step for m in got)
    # every bucket's lowest and highest point is there
    buckets = max_points // 2
    for i in range(buckets):
        inside = [m for m in full if m.step * buckets // LONG_STEPS == i]
        if inside:
            low = min(inside, key=lambda m: (m.value, m.step))
            high = max(inside, key=lambda m: (m.value, -m.step))
            assert low.step in {m.step for m in got} and high.step in {m.step for m in got}


def test_a_zoom_reads_the_range_again_with_more_detail(world):
    store, run = world["store"], world["run"]["long"]
    whole = load_series(store, run, "loss", PALETTE[0], max_points=40)
    part = load_series(store, run, "loss", PALETTE[0], steps=(1200, 1260), max_points=40)
    assert all(1200 <= s <= 1260 for s in part.steps)
    assert len(part.steps) >= 40  # 61 steps, about 40 points kept: far denser than whole
    assert sum(1200 <= s <= 1260 for s in whole.steps) < 10
    assert SPIKES[1234] in part.values and part.values[0] == long_value(1200)


def test_nan_and_inf_are_counted_not_drawn(world):
    series = load_series(world["store"], world["run"]["weird"], "w", PALETTE[0])
    assert series.values == [1.0, 3.0, 0.0, -2.0, 5.0]
    assert (series.nan, series.inf) == (1, 2)
    assert len(WEIRD_VALUES) == len(series.values) + series.nan + series.inf
    said = notes([series], ChartSettings(log_y=True))
    assert "1 NaN and 2 ±inf not drawn" in said
    assert "2 values ≤ 0 left out of the log scale" in said
    text = render([series], ChartSettings(log_y=True), 60, 15)
    assert "inf" not in text.lower() and "e+308" not in text


def test_a_one_point_metric_is_a_point_and_no_points_is_said(world):
    one = load_series(world["store"], world["run"]["single"], "one", PALETTE[1])
    assert (one.steps, one.values) == ([7], [42.0])
    drawn = render([one], ChartSettings(), 60, 15)
    assert "●" in drawn and "42" in drawn
    none = load_series(world["store"], world["run"]["empty"], "loss", PALETTE[2])
    assert render([none], ChartSettings(), 60, 15) == "no points to draw"
    assert notes([none], ChartSettings()) == ["no points: empty"]


def test_summary_min_max_and_sparkline(world):
    summary = summarize(world["store"], world["runs"]["long"], "loss", width=16)
    assert (summary.low, summary.high) == (SPIKES[2500], SPIKES[1234])
    assert len(summary.trend) == 16 and set(summary.trend) <= set("▁▂▃▄▅▆▇█")


# -- smoothing: TensorBoard's formula ----------------------------------------------


def _tensorboard(values, weight):
    """TensorBoard's smoothing, transcribed from its source (vz_line_chart2)."""
    last, num_accum, out = 0.0, 0, []
    for value in values:
        last = last * weight + (1 - weight) * value
        num_accum += 1  # noqa: SIM113 - as TensorBoard writes it
        debias = 1 - weight**num_accum if weight != 1 else 1
        out.append(last / debias)
    return out


@pytest.mark.parametrize("weight", [0.0, 0.6, 0.9, 0.99])
def test_smoothing_is_tensorboards(weight):
    values = [math.sin(i / 3) * 10 + i for i in range(50)]
    assert smooth(values, weight) == pytest.approx(_tensorboard(values, weight), rel=1e-12)
    # debiased: a constant stays constant from the first point on
    assert smooth([5.0] * 10, weight) == pytest.approx([5.0] * 10)


# -- zoom, pan, cursor -------------------------------------------------------------


def _series(xs, ys, name="r"):
    return Series(name, name, "m", PALETTE[0], steps=list(xs), timestamps=[x * 1000 for x in xs],
                  values=list(ys), run_start=0)


def test_zoom_pan_and_step_ranges():
    s = _series(range(0, 1001), [float(i) for i in range(1001)])
    full = x_range([s], "step")
    assert full == (0.0, 1000.0)
    z = zoomed(ChartSettings(cursor=800.0), full, 0.5)
    assert z.zoom == (550.0, 1050.0) or z.zoom == (500.0, 1000.0)  # kept inside the range
    assert z.zoom[1] <= 1000.0 and z.zoom[1] - z.zoom[0] == 500.0
    assert step_range([s], z) == (math.floor(z.zoom[0]), math.ceil(z.zoom[1]))
    left = panned(z, full, -0.5)
    assert left.zoom == (z.zoom[0] - 250.0, z.zoom[1] - 250.0)
    assert panned(ChartSettings(), full, 0.5).zoom is None  # nothing to pan unzoomed
    assert zoomed(z, full, 4).zoom is None  # out past everything: the whole range
    # after panning away from the cursor, Z zooms out around the view, not the cursor
    away = panned(z, full, -0.5)
    assert not away.zoom[0] <= away.cursor <= away.zoom[1]
    out = zoomed(away, full, 1.5)
    middle = (away.zoom[0] + away.zoom[1]) / 2
    assert out.zoom[0] < middle < out.zoom[1]
    assert out.zoom == (middle - 375.0, middle + 375.0)
    # on a time axis the steps come from the points read
    timed = replace_mode(z, "relative")
    assert step_range([s], timed) is not None


def replace_mode(settings, mode):
    from dataclasses import replace

    return replace(settings, x_mode=mode)


def test_readout_is_the_point_at_or_before_the_cursor():
    a = _series([0, 10, 20], [1.0, 2.0, 3.0], "a")
    b = _series([5, 15], [7.0, 8.0], "b")
    assert value_at(a, 12, "step") == (10.0, 2.0)
    assert value_at(b, 3, "step") is None
    got = {s.run_name: (x, v) for s, x, v in readout([a, b], ChartSettings(cursor=16.0))}
    assert got == {"a": (10.0, 2.0), "b": (15.0, 8.0)}
    smoothed = {s.run_name: v for s, _, v in readout([a], ChartSettings(cursor=20.0,
                                                                         smoothing=0.6))}
    assert smoothed["a"] == pytest.approx(smooth([1.0, 2.0, 3.0], 0.6)[-1])


def test_relative_and_wall_axes():
    s = Series("r", "r", "m", PALETTE[0], steps=[0, 1], timestamps=[5000, 65000],
               values=[1.0, 2.0], run_start=4000)
    assert s.xs("relative") == [1.0, 61.0]
    assert s.xs("wall") == [5.0, 65.0]
    settings = ChartSettings().next_x()
    assert settings.x_mode == "relative" and settings.next_x().x_mode == "wall"


def test_run_colours_are_stable_and_distinct():
    colors = RunColors()
    ids = [f"{i:032x}" for i in range(0, 20 * 7, 7)]
    first = [colors(i) for i in ids]
    assert len(set(first)) == 20  # the first twenty runs never share a colour
    assert [colors(i) for i in reversed(ids)] == first[::-1]  # the same colour every time


def test_sparkline():
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8) == "▁▂▃▄▅▆▇█"
    assert sparkline([3, 3, 3], 8) == "▅▅▅"  # a flat line in the middle
    assert sparkline([math.nan, math.inf], 8) == ""
    assert len(sparkline(list(range(1000)), 12)) == 12


# -- points read for zooming: thinned to the width, served from memory -----------------


def test_thinning_keeps_each_columns_extremes_and_both_ends():
    xs = [float(i) for i in range(10_000)]
    ys = [math.sin(i / 300) for i in range(10_000)]
    ys[4321], ys[777] = 50.0, -50.0
    tx, ty = thin(xs, ys, 100)
    assert len(tx) <= 2 * 100 + 2
    assert (tx[0], tx[-1]) == (0.0, 9999.0)
    assert 50.0 in ty and -50.0 in ty
    def column(x: float) -> int:
        return min(99, int(x * (100 / 9999)))

    assert [column(x) for x in tx] == sorted(column(x) for x in tx)  # columns in order
    assert len(set(tx)) == len(tx)  # no point twice

    for col in range(100):  # every column's own extremes are among the points kept
        inside = [y for x, y in zip(xs, ys, strict=True) if column(x) == col]
        kept = [y for x, y in zip(tx, ty, strict=True) if column(x) == col]
        if inside:
            assert min(inside) in kept and max(inside) in kept
    few = [1.0, 2.0, 3.0]
    assert thin(few, few, 100) == (few, few)


def test_a_read_serves_a_zoom_up_to_its_detail():
    series = [Series("r", "r", "loss", (1, 1, 1), steps=[0, 500, 1000], timestamps=[0, 1, 2],
                     values=[1.0, 2.0, 3.0])]
    whole = SeriesRead(None, series, detail=8)
    assert whole.serves(None)
    assert whole.serves((0, 999))  # 1x
    assert whole.serves((400, 525))  # 8x
    assert not whole.serves((400, 499))  # 10x: read again
    zoomed = SeriesRead((400, 600), series, detail=8)
    assert not zoomed.serves(None)
    assert zoomed.serves((450, 550))
    assert not zoomed.serves((300, 500))  # outside what was read


def test_less_smoothing_stops_at_off_and_more_cycles_back_to_off():
    settings = ChartSettings(smoothing=0.8)
    seen = []
    for _ in range(4):
        settings = settings.next_smoothing(-1)
        seen.append(settings.smoothing)
    assert seen == [0.6, 0.0, 0.0, 0.0]
    assert ChartSettings(smoothing=0.99).next_smoothing(1).smoothing == 0.0
    assert ChartSettings().next_smoothing(1).smoothing == 0.6
