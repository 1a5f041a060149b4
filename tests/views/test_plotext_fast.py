"""The faster hd_group gives exactly what plotext's own gives."""

from __future__ import annotations

import math
import random

import pytest
from plotext import _utility

from mltui.views import plotext_fast
from mltui.views.charts import PLOTEXT, ChartSettings, Series, render


def _plotexts_own():
    with PLOTEXT:  # installs the fast one and keeps plotext's
        pass
    assert plotext_fast._original is not None
    assert _utility.hd_group is plotext_fast.hd_group
    return plotext_fast._original


def _dots(rng: random.Random, n: int, span: int) -> tuple[list, list]:
    return [rng.randrange(span) for _ in range(n)], [rng.randrange(span) for _ in range(n)]


@pytest.mark.parametrize("seed", range(20))
def test_same_cells_and_dots_as_plotext(seed):
    original = _plotexts_own()
    rng = random.Random(seed)
    n = rng.randrange(1, 3000)
    x, y = _dots(rng, n, rng.choice([4, 40, 400]))
    fx, fy = rng.choice([(2, 4), (2, 2), (1, 1), (2, 3)])
    xf, yf = [fx] * n, [fy] * n
    assert plotext_fast.hd_group(x, y, xf, yf) == original(x, y, xf, yf)


def test_unusual_dots_take_plotexts_path():
    original = _plotexts_own()
    cases = [
        ([1, None, 5], [2, 3, 4], [2, 2, 2], [4, 4, 4]),           # a gap
        ([1.0, math.nan, 5.0], [2, 3, 4], [2, 2, 2], [4, 4, 4]),   # NaN
        ([1, 2, 3], [2, 3, 4], [2, 1, 2], [4, 4, 1]),              # mixed marker sizes
        ([0.5, 3.25, 7.75], [1.5, 2.0, 9.9], [2, 2, 2], [4, 4, 4]),  # float dots
    ]
    for x, y, xf, yf in cases:
        assert plotext_fast.hd_group(x, y, xf, yf) == original(x, y, xf, yf)


def test_a_dense_chart_draws_the_same_with_either(monkeypatch):
    original = _plotexts_own()
    rng = random.Random(7)
    series = Series("r1", "noisy", "loss", (200, 80, 80))
    for step in range(3000):
        series.steps.append(step)
        series.timestamps.append(step)
        series.values.append(rng.random())
    fast = render([series], ChartSettings(cursor=1500.0), 120, 30, title="loss")
    monkeypatch.setattr(_utility, "hd_group", original)
    slow = render([series], ChartSettings(cursor=1500.0), 120, 30, title="loss")
    assert fast == slow
    assert "⣿" in fast or "⡇" in fast  # braille was drawn
