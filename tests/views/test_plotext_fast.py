"""The faster plotext helpers give exactly what plotext's own give."""

from __future__ import annotations

import math
import random

import pytest
from plotext import _matrix, _utility

from mltui.views import plotext_fast
from mltui.views.charts import PLOTEXT, ChartSettings, Series, render

NAMES = ("hd_group", "get_lines", "brush", "remove_outsiders")


def _plotexts_own() -> dict:
    with PLOTEXT:  # installs the fast ones and keeps plotext's
        pass
    for name in NAMES:
        assert getattr(_utility, name) is getattr(plotext_fast, name)
    assert _matrix.matrix_class.set_canvas is plotext_fast.set_canvas
    return plotext_fast._original


def _dots(rng: random.Random, n: int, span: int) -> tuple[list, list]:
    return [rng.randrange(span) for _ in range(n)], [rng.randrange(span) for _ in range(n)]


@pytest.mark.parametrize("seed", range(20))
def test_same_cells_and_dots_as_plotext(seed):
    original = _plotexts_own()["hd_group"]
    rng = random.Random(seed)
    n = rng.randrange(1, 3000)
    x, y = _dots(rng, n, rng.choice([4, 40, 400]))
    fx, fy = rng.choice([(2, 4), (2, 2), (1, 1), (2, 3)])
    xf, yf = [fx] * n, [fy] * n
    assert plotext_fast.hd_group(x, y, xf, yf) == original(x, y, xf, yf)


def test_unusual_dots_take_plotexts_path():
    original = _plotexts_own()["hd_group"]
    cases = [
        ([1, None, 5], [2, 3, 4], [2, 2, 2], [4, 4, 4]),           # a gap
        ([1.0, math.nan, 5.0], [2, 3, 4], [2, 2, 2], [4, 4, 4]),   # NaN
        ([1, 2, 3], [2, 3, 4], [2, 1, 2], [4, 4, 1]),              # mixed marker sizes
        ([0.5, 3.25, 7.75], [1.5, 2.0, 9.9], [2, 2, 2], [4, 4, 4]),  # float dots
    ]
    for x, y, xf, yf in cases:
        assert plotext_fast.hd_group(x, y, xf, yf) == original(x, y, xf, yf)


@pytest.mark.parametrize("seed", range(20))
def test_same_line_dots_as_plotext(seed):
    original = _plotexts_own()["get_lines"]
    rng = random.Random(seed)
    n = rng.randrange(0, 400)
    span = rng.choice([3, 50, 600])
    x = [rng.randrange(-span, span) for _ in range(n)]
    y = [rng.randrange(-span, span) for _ in range(n)]
    if seed % 3 == 0:  # floats, as a caller could give
        x = [v + rng.random() for v in x]
    markers = ["braille"] * n
    colors = [(1, 2, 3)] * n if seed % 2 else [(rng.randrange(9), 0, 0) for _ in range(n)]
    styles = ["default"] * n
    assert plotext_fast.get_lines(x, y, markers, colors, styles) == \
        original(x, y, markers, colors, styles)


def test_line_gaps_take_plotexts_path():
    original = _plotexts_own()["get_lines"]
    for x, y in (([0, None, 9], [0, 5, 2]), ([0, 4, 9], [0, math.nan, 2]), ([0], [3])):
        other = (["braille"] * len(x), ["red"] * len(x))
        assert plotext_fast.get_lines(x, y, *other) == original(x, y, *other)


@pytest.mark.parametrize("seed", range(10))
def test_same_rows_as_plotexts_brush(seed):
    original = _plotexts_own()["brush"]
    rng = random.Random(seed)
    n = rng.randrange(0, 2000)
    x, y = _dots(rng, n, rng.choice([5, 60]))
    other = (["⠁"] * n, [(9, 9, 9)] * n, ["default"] * n)
    fast, slow = plotext_fast.brush(x, y, *other), original(x, y, *other)
    # plotext's come in a set's order: the same rows, in any order
    assert sorted(zip(*fast, strict=True)) == sorted(zip(*slow, strict=True))
    assert len(fast[0]) == len(set(zip(x, y, strict=True)))
    # rows that differ in colour, and the axis ticks' pairs, take plotext's own
    mixed = (x, y, ["⠁"] * n, [(rng.randrange(3),) for _ in range(n)], ["default"] * n)
    assert plotext_fast.brush(*mixed) == original(*mixed)
    assert plotext_fast.brush(x, [str(v) for v in y]) == original(x, [str(v) for v in y])


@pytest.mark.parametrize("seed", range(10))
def test_same_rows_on_the_canvas_as_plotext(seed):
    original = _plotexts_own()["remove_outsiders"]
    rng = random.Random(seed)
    n = rng.randrange(0, 1000)
    x = [rng.randrange(-5, 60) for _ in range(n)]
    y = [rng.randrange(-5, 30) for _ in range(n)]
    other = (["⠁"] * n, [(1, 1, 1)] * n, ["default"] * n)
    assert plotext_fast.remove_outsiders(x, y, 50, 20, *other) == \
        original(x, y, 50, 20, *other)
    floats = ([1.0, 2.5, 70.0], [1, 2, 3], ["a"] * 3)
    assert plotext_fast.remove_outsiders(*floats[:2], 50, 20, floats[2]) == \
        original(*floats[:2], 50, 20, floats[2])


def _noisy(name: str, color: tuple[int, int, int], seed: int, n: int = 3000,
           offset: float = 0.0) -> Series:
    rng = random.Random(seed)
    series = Series(name, name, "loss", color, run_start=1_000)
    for step in range(n):
        series.steps.append(step)
        series.timestamps.append(1_000 + step * 1_000)
        series.values.append(offset + math.exp(-step / 800) + rng.random() * 0.3)
    return series


def _with_plotexts_own(monkeypatch, original: dict) -> None:
    for name in NAMES:
        monkeypatch.setattr(_utility, name, original[name])
    monkeypatch.setattr(_matrix.matrix_class, "set_canvas", original["set_canvas"])


CHARTS = {
    "one dense run, cursor": ([0], ChartSettings(cursor=1500.0), 120, 30),
    "twenty runs overlaid": (list(range(20)), ChartSettings(), 156, 40),
    "three runs, smoothed": ([0, 1, 2], ChartSettings(smoothing=0.6), 100, 25),
    "log y, zoomed": ([0, 5], ChartSettings(log_y=True, zoom=(500.0, 900.0)), 140, 35),
    "wall time": ([3, 4], ChartSettings(x_mode="wall"), 130, 30),
    "relative, narrow": ([7], ChartSettings(x_mode="relative"), 30, 8),
}


@pytest.mark.parametrize("name", list(CHARTS))
def test_charts_draw_the_same_with_either(monkeypatch, name):
    original = _plotexts_own()
    picked, settings, width, height = CHARTS[name]
    palette = [(31 + 11 * i, 119 - 5 * i, 180 - 7 * i) for i in range(20)]
    series = [_noisy(f"run-{i}", palette[i], seed=i, offset=i * 0.05) for i in picked]
    fast = render(series, settings, width, height, title="loss")
    _with_plotexts_own(monkeypatch, original)
    slow = render(series, settings, width, height, title="loss")
    assert fast == slow
    assert any(ch in fast for ch in "⣿⡇⠁⢀⠈")  # braille was drawn
