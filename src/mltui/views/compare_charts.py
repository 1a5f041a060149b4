"""The comparison's other charts, without Textual: a scatter of one field against
another, and parallel coordinates of params to a metric, drawn with plotext.

A scatter may cover every run a filter matches (up to 100,000): the store reads
the two columns in one query, and the points are binned to the chart's braille
dots before plotext sees them, so drawing costs the size of the chart, not the
number of runs. Params are text: a param whose values all read as numbers is
drawn on a number axis, any other on an axis of its sorted distinct values.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..columns import Column
from ..store.base import BaseStore, field_value
from ..store.entities import Run
from ..store.query import RunQuery
from ..store.search import ATTRIBUTE, METRIC
from ..textfmt import format_number, safe_text, truncate
from .charts import PLOTEXT

MAX_SCATTER = 100_000
MAX_PARALLEL = 1_000
"""Lines a parallel-coordinates chart draws at most (more are a solid block)."""
GREY = (110, 110, 110)
MAX_TICKS = 8

# an attribute column -> the store fields it is made of
_FIELDS = {"created": ("start_time",), "start_time": ("start_time",),
           "end_time": ("end_time",), "duration": ("start_time", "end_time"),
           "status": ("status",), "user": ("user_id",), "run_name": ("run_name",)}
PLOTTABLE_ATTRIBUTES = tuple(_FIELDS)


def store_fields(column: Column) -> list[tuple[str, str]]:
    """The ``(kind, key)`` fields ``BaseStore.query_values`` reads for ``column``."""
    if column.kind != ATTRIBUTE:
        return [(column.kind, column.key)]
    if column.key not in _FIELDS:
        raise ValueError(f"'{column.spec}' cannot be plotted (use one of "
                         f"{', '.join(PLOTTABLE_ATTRIBUTES)}, metrics.KEY, params.KEY, tags.KEY)")
    return [(ATTRIBUTE, key) for key in _FIELDS[column.key]]


def _combine(column: Column, parts: Sequence) -> object:
    """The column's value from its fields' values: a duration in seconds, times in
    epoch seconds, the rest as read."""
    if column.kind != ATTRIBUTE:
        return parts[0]
    if column.key == "duration":
        start, end = parts
        return (end - start) / 1000.0 if start is not None and end is not None else None
    if column.key in ("created", "start_time", "end_time"):
        return parts[0] / 1000.0 if parts[0] is not None else None
    return parts[0]


@dataclass
class Axis:
    """How one column's values become positions."""

    column: Column
    categories: list[str] | None = None
    """None: a number axis. Else the sorted distinct values, at 0, 1, 2, ..."""
    time: bool = False
    log: bool = False
    """Positions are log10 of the values (a learning rate from 1e-5 to 0.1)."""

    @property
    def label(self) -> str:
        text = safe_text(self.column.header if self.column.kind == ATTRIBUTE
                         else self.column.spec)
        return text + " (log)" if self.log else text

    def positions(self, values: Sequence) -> list[float | None]:
        """Where each value goes (None: not drawn), in one pass (100,000 runs)."""
        if self.categories is not None:
            at = {name: float(i) for i, name in enumerate(self.categories)}
            return [None if v is None else at.get(str(v)) for v in values]
        out: list[float | None] = []
        append, isfinite, log10, log = out.append, math.isfinite, math.log10, self.log
        for value in values:
            if value is None:
                append(None)
                continue
            number = float(value)
            if not isfinite(number) or (log and number <= 0):
                append(None)
            else:
                append(log10(number) if log else number)
        return out

    def tick_text(self, value: float) -> str:
        if self.categories is not None:
            index = round(value)
            return safe_text(self.categories[index]) if 0 <= index < len(self.categories) \
                else ""
        if self.time:
            return time.strftime("%m-%d %H:%M", time.localtime(value))
        if self.log:
            return format_number(float(f"{10 ** value:.3g}"))
        return format_number(value)


def make_axis(column: Column, values: Sequence) -> Axis:
    """A number axis when every present value reads as a number, else categories."""
    present = [v for v in values if v is not None]
    is_time = column.kind == ATTRIBUTE and column.key in ("created", "start_time", "end_time")
    if column.kind == METRIC or all(isinstance(v, int | float) for v in present):
        return Axis(column, time=is_time)
    try:
        numbers = [float(v) for v in present]
    except (TypeError, ValueError):
        return Axis(column, sorted({str(v) for v in present}, key=_natural))
    # a param spanning two orders of magnitude or more was searched on a log scale
    finite = [n for n in numbers if math.isfinite(n)]
    log = bool(finite) and min(finite) > 0 and max(finite) / min(finite) >= 100
    return Axis(column, log=log)


def _natural(text: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in _split_digits(text))


def _split_digits(text: str) -> list[str]:
    import re

    return [p for p in re.split(r"(\d+)", text.lower()) if p]


def read_columns(
    store: BaseStore, columns: Sequence[Column], *, query: RunQuery | None = None,
    runs: Sequence[Run] = (), limit: int = MAX_SCATTER,
) -> tuple[list[str], list[list], bool]:
    """Run ids and each column's values over ``runs`` (already read), or over the
    runs of ``query`` (one store query, at most ``limit``); and whether the query
    matched more than ``limit``. May block."""
    fields: list[tuple[str, str]] = []
    spans = []
    for column in columns:
        own = store_fields(column)
        spans.append((len(fields), len(fields) + len(own)))
        fields += own
    if query is not None:
        rows = store.query_values(query, fields, limit=limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
    else:
        rows = [(run.run_id, tuple(field_value(run, k, key) for k, key in fields))
                for run in runs]
        more = False
    ids = [rid for rid, _values in rows]
    values = [[_combine(column, cells[a:b]) for _rid, cells in rows]
              for column, (a, b) in zip(columns, spans, strict=True)]
    return ids, values, more


# -- scatter ---------------------------------------------------------------------------


@dataclass
class Scatter:
    x: Axis
    y: Axis
    run_ids: list[str]
    xs: list[float]
    ys: list[float]
    missing: int = 0
    """Runs without a value for x or y (or a NaN): not drawn."""
    more: bool = False
    """The filter matched more runs than were read."""


def read_scatter(
    store: BaseStore, x: Column, y: Column, *, query: RunQuery | None = None,
    runs: Sequence[Run] = (), limit: int = MAX_SCATTER,
) -> Scatter:
    """The points of ``y`` against ``x`` over ``runs`` or the runs of ``query``."""
    ids, (x_values, y_values), more = read_columns(store, [x, y], query=query, runs=runs,
                                                   limit=limit)
    x_axis, y_axis = make_axis(x, x_values), make_axis(y, y_values)
    out = Scatter(x_axis, y_axis, [], [], [], more=more)
    xs, ys = x_axis.positions(x_values), y_axis.positions(y_values)
    for rid, px, py in zip(ids, xs, ys, strict=True):
        if px is None or py is None:
            out.missing += 1
            continue
        out.run_ids.append(rid)
        out.xs.append(px)
        out.ys.append(py)
    return out


def _bounds(values: Sequence[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if lo == hi:
        pad = abs(lo) * 0.05 or 0.5
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.03
    return lo - pad, hi + pad


def binned(xs: Sequence[float], ys: Sequence[float], columns: int, rows: int,
           bounds: tuple[float, float, float, float]) -> tuple[list[float], list[float]]:
    """One point per occupied cell of a ``columns`` x ``rows`` grid (the chart's
    braille dots): what plotext would draw anyway, at the cost of the chart."""
    x0, x1, y0, y1 = bounds
    sx, sy = columns / (x1 - x0), rows / (y1 - y0)
    cells = {(int((x - x0) * sx), int((y - y0) * sy)) for x, y in zip(xs, ys, strict=True)}
    return ([x0 + (cx + 0.5) / sx for cx, _cy in cells],
            [y0 + (cy + 0.5) / sy for _cx, cy in cells])


def render_scatter(
    scatter: Scatter, width: int, height: int, *,
    highlight: Mapping[str, tuple[int, int, int]] | None = None, color: bool = True,
) -> str:
    """The scatter as text. Runs in ``highlight`` are drawn on top in their colour
    (the marked runs, over every run of a filter); the others as grey dots."""
    width, height = max(30, width), max(8, height)
    if not scatter.xs:
        return "no run has both values"
    highlight = highlight or {}
    bounds = (*_bounds(scatter.xs), *_bounds(scatter.ys))
    on_top = [(rid, x, y) for rid, x, y in zip(scatter.run_ids, scatter.xs, scatter.ys,
                                                strict=True) if rid in highlight]
    if on_top:
        back_x = [x for rid, x in zip(scatter.run_ids, scatter.xs, strict=True)
                  if rid not in highlight]
        back_y = [y for rid, y in zip(scatter.run_ids, scatter.ys, strict=True)
                  if rid not in highlight]
    else:  # nothing on top: every point is background (100,000 of them, no copy)
        back_x, back_y = scatter.xs, scatter.ys
    with PLOTEXT:
        import plotext as plt

        plt.clf()
        plt.limitsize(False, False)
        plt.plotsize(width, height)
        plt.theme("clear")
        if back_x:
            bx, by = binned(back_x, back_y, 2 * width, 4 * height, bounds)
            plt.scatter(bx, by, marker="braille", color=GREY if highlight else (31, 119, 180))
        for rid, x, y in on_top:
            plt.scatter([x], [y], marker="●", color=highlight[rid])
        plt.xlim(bounds[0], bounds[1])
        plt.ylim(bounds[2], bounds[3])
        _ticks(plt, scatter.x, bounds[:2], "x")
        _ticks(plt, scatter.y, bounds[2:], "y")
        plt.xlabel(truncate(scatter.x.label, max(10, width - 10)))
        plt.ylabel(truncate(scatter.y.label, 30))
        text = plt.build()
        if not color:
            text = plt.uncolorize(text)
    return text


def _ticks(plt, axis: Axis, bounds: tuple[float, float], which: str) -> None:
    lo, hi = bounds
    if axis.categories is not None:
        count = len(axis.categories)
        step = max(1, math.ceil(count / MAX_TICKS))
        ticks = [float(i) for i in range(0, count, step)]
    elif axis.time:
        ticks = [lo + (hi - lo) * i / 4 for i in range(5)]
    elif axis.log and hi - lo >= 1:
        ticks = [float(p) for p in range(math.ceil(lo), math.floor(hi) + 1)]
    else:
        return  # plotext's own number ticks
    labels = [truncate(axis.tick_text(t), 12) for t in ticks]
    (plt.xticks if which == "x" else plt.yticks)(ticks, labels)


# -- parallel coordinates ---------------------------------------------------------------


@dataclass
class Parallel:
    """Each run a line across the axes (params, then the metric last), every axis
    scaled to 0..1 between its lowest and highest value."""

    axes: list[Axis]
    run_ids: list[str] = field(default_factory=list)
    lines: list[list[float | None]] = field(default_factory=list)
    metric: list[float | None] = field(default_factory=list)
    lows: list[float] = field(default_factory=list)
    highs: list[float] = field(default_factory=list)
    more: bool = False


def read_parallel(
    store: BaseStore, params: Sequence[Column], metric: Column, *,
    query: RunQuery | None = None, runs: Sequence[Run] = (), limit: int = MAX_PARALLEL,
) -> Parallel:
    columns = [*params, metric]
    ids, values, more = read_columns(store, columns, query=query, runs=runs, limit=limit)
    axes = [make_axis(c, v) for c, v in zip(columns, values, strict=True)]
    positions = [axis.positions(column_values)
                 for axis, column_values in zip(axes, values, strict=True)]
    out = Parallel(axes, more=more)
    for axis_positions, axis in zip(positions, axes, strict=True):
        present = [p for p in axis_positions if p is not None]
        if axis.categories is not None:
            lo, hi = 0.0, float(max(len(axis.categories) - 1, 1))
        else:
            lo, hi = (min(present), max(present)) if present else (0.0, 1.0)
        out.lows.append(lo)
        out.highs.append(hi)
    for i, rid in enumerate(ids):
        out.run_ids.append(rid)
        out.lines.append([_scale(positions[a][i], out.lows[a], out.highs[a])
                          for a in range(len(axes))])
        out.metric.append(positions[-1][i])
    return out


def _scale(value: float | None, lo: float, hi: float) -> float | None:
    if value is None:
        return None
    return 0.5 if hi == lo else (value - lo) / (hi - lo)


def gradient(fraction: float) -> tuple[int, int, int]:
    """Dark blue (low) through teal to yellow (high), as viridis runs."""
    stops = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))
    fraction = min(1.0, max(0.0, fraction)) * (len(stops) - 1)
    i = min(int(fraction), len(stops) - 2)
    t = fraction - i
    a, b = stops[i], stops[i + 1]
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t),
            round(a[2] + (b[2] - a[2]) * t))


def render_parallel(
    par: Parallel, width: int, height: int, *,
    colors: Mapping[str, tuple[int, int, int]] | None = None, color: bool = True,
) -> str:
    """The lines as text: in the runs' own colours when ``colors`` names them, else
    from dark (low metric) to yellow (high). A missing value breaks the line."""
    width, height = max(30, width), max(8, height)
    if not par.run_ids:
        return "no runs to draw"
    count = len(par.axes)
    metric_lo, metric_hi = par.lows[-1], par.highs[-1]
    with PLOTEXT:
        import plotext as plt

        plt.clf()
        plt.limitsize(False, False)
        plt.plotsize(width, height)
        plt.theme("clear")
        coloured = colors or {}
        order = sorted(range(len(par.run_ids)), key=lambda i: par.run_ids[i] in coloured)
        for i in order:  # the runs with their own colour last, on top
            rid, line, value = par.run_ids[i], par.lines[i], par.metric[i]
            if rid in coloured:
                shade = coloured[rid]
            elif value is None:
                shade = GREY
            else:
                shade = gradient(_scale(value, metric_lo, metric_hi) or 0.0)
            xs: list[float] = []
            ys: list[float] = []
            for a, y in enumerate(line):
                if y is None:
                    if len(xs) > 1:
                        plt.plot(xs, ys, marker="braille", color=shade)
                    xs, ys = [], []
                    continue
                xs.append(float(a))
                ys.append(y)
            if len(xs) > 1:
                plt.plot(xs, ys, marker="braille", color=shade)
            elif len(xs) == 1:
                plt.scatter(xs, ys, marker="•", color=shade)
        for a in range(count):
            plt.vline(a, color=(160, 160, 160))
            plt.text(truncate(_end_text(par, a, high=True), 12), a, 1.06, alignment="center")
            plt.text(truncate(_end_text(par, a, high=False), 12), a, -0.06,
                     alignment="center")
        plt.xlim(-0.4, count - 0.6)
        plt.ylim(-0.12, 1.12)
        column_width = max(6, width // max(count, 1) - 2)
        plt.xticks(list(range(count)), [truncate(axis.label, column_width) for axis in par.axes])
        plt.yticks([], [])
        text = plt.build()
        if not color:
            text = plt.uncolorize(text)
    return text


def _end_text(par: Parallel, a: int, high: bool) -> str:
    axis = par.axes[a]
    value = par.highs[a] if high else par.lows[a]
    return axis.tick_text(value)
