"""Faster copies of four plotext helpers, each giving plotext's own answer.

A dense chart's build is spent in a few of ``plotext._utility``'s helpers, run
once per braille dot: ``hd_group`` (allocates a fresh matrix per dot: 0.24 of
0.36 s for one zoomed run, 27,000 dots), ``get_lines`` (slices and flattens two
lists per segment: a third of a 20-run overlay), ``brush`` and
``remove_outsiders`` (tuples of five per dot), and the matrix's ``set_canvas``
(two list lookups per cell and colour). The copies here take the common case
(plain numbers, one marker size, one colour per series) in a few list passes;
anything else (strings, gaps, NaN, mixed sizes) goes to plotext's own.
``tests/views/test_plotext_fast.py`` compares each with plotext's on random
input and whole charts built both ways.

The charts are still drawn by plotext: only these helpers are replaced, once,
while the first build holds the plotext lock.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

_original: dict[str, Callable[..., Any]] = {}


def _plain(values: Sequence[Any]) -> bool:
    """Every value an int or a finite-or-infinite float (no None, NaN or str)."""
    for v in values:
        t = type(v)
        if t is int:
            continue
        if t is not float or v != v:
            return False
    return True


def _constant(values: Sequence[Any]) -> bool:
    return not values or values.count(values[0]) == len(values)


def hd_group(x: Sequence[Any], y: Sequence[Any], xf: Sequence[int], yf: Sequence[int]):
    """``plotext._utility.hd_group``: the cells the dots fall in (their x and y)
    and, per cell, the dots set as a flat tuple, top row first."""
    if not x or len(x) != len(y) or min(xf) != max(xf) or min(yf) != max(yf):
        return _original["hd_group"](x, y, xf, yf)
    fx, fy = xf[0], yf[0]
    size = fx * fy
    cells: dict[tuple[Any, Any], list[int]] = {}
    floor = math.floor
    for xi, yi in zip(x, y, strict=True):
        # plotext's "numerical": a str, or neither None nor NaN; strings and gaps
        # are rare (date strings, broken lines), so they take plotext's own path
        if xi is None or yi is None or isinstance(xi, str) or isinstance(yi, str) \
                or xi != xi or yi != yi:
            return _original["hd_group"](x, y, xf, yf)
        key = (xi // fx, yi // fy)
        dots = cells.get(key)
        if dots is None:
            dots = cells[key] = [0] * size
        dots[(fy - 1 - floor(yi % fy)) * fx + floor(xi % fx)] = 1
    return ([k[0] for k in cells], [k[1] for k in cells],
            [tuple(dots) for dots in cells.values()])


def get_lines(x: list, y: list, *other: list) -> list:
    """``plotext._utility.get_lines``: the dots of the straight segments between
    consecutive points, the other lists (markers, colours, styles) stretched
    alike. Same arithmetic as plotext's ``get_line``/``linspace``."""
    n = len(x)
    if n == 0 or len(y) != n or any(len(o) != n for o in other) \
            or not _plain(x) or not _plain(y):
        return _original["get_lines"](x, y, *other)
    xl: list = []
    yl: list = []
    counts: list[int] = []
    for i in range(n - 1):
        x0, x1, y0, y1 = x[i], x[i + 1], y[i], y[i + 1]
        a = int(max(abs(int(x1) - int(x0)), abs(int(y1) - int(y0))) + 1)
        if a > 1:
            sx = (x1 - x0) / (a - 1)
            sy = (y1 - y0) / (a - 1)
            # plotext keeps all but the segment's last dot (the next one's first)
            xl += [int(x0 + k * sx) for k in range(a - 1)]
            yl += [int(y0 + k * sy) for k in range(a - 1)]
        counts.append(a - 1)
    xl.append(x[-1])
    yl.append(y[-1])
    stretched = []
    for values in other:
        if _constant(values):
            stretched.append([values[0]] * len(xl))
            continue
        out: list = []
        for value, count in zip(values, counts, strict=False):
            out += [value] * count
        out.append(values[-1])
        stretched.append(out)
    return [xl, yl, *stretched]


def brush(*lists: list) -> list:
    """``plotext._utility.brush``: the lists without repeated rows. plotext keeps
    them in a set's order; here they keep their first order, which draws the same
    (a series' rows are then unique cells, and series are drawn one after the
    other). Only the dots' brush (x, y and their markers, colours, styles): the
    axis ticks' keep plotext's own."""
    if len(lists) < 3 or not all(_constant(o) for o in lists[2:]):
        return _original["brush"](*lists)
    length = min(map(len, lists))
    if length == 0:
        return [[] for _ in lists]
    pairs = list(dict.fromkeys(zip(lists[0][:length], lists[1][:length], strict=True)))
    return [[p[0] for p in pairs], [p[1] for p in pairs],
            *[[o[0]] * len(pairs) for o in lists[2:]]]


def remove_outsiders(x: list, y: list, width: int, height: int, *other: list) -> list:
    """``plotext._utility.remove_outsiders``: the rows whose cell is on the canvas."""
    n = len(x)
    if len(y) != n or any(len(o) != n for o in other) \
            or any(type(v) is not int for v in x) or any(type(v) is not int for v in y):
        return _original["remove_outsiders"](x, y, width, height, *other)
    keep = [i for i in range(n) if 0 <= x[i] < width and 0 <= y[i] < height]
    if not keep:
        return [[] for _ in range(2 + len(other))]
    return [[values[i] for i in keep] for values in (x, y, *other)]


def set_canvas(self: Any) -> str:
    """``plotext._matrix.matrix_class.set_canvas``: the matrix as text, an ANSI
    code where the colours change and a reset where they end."""
    from plotext import _utility as ut

    parts: list[str] = []
    last = self.cols - 1
    for row in self.Rows[::-1]:
        markers = self.marker[row]
        colors = list(zip(self.fullground[row], self.style[row], self.background[row],
                          strict=True))
        for col in self.Cols:
            here = colors[col]
            if col == 0 or here != colors[col - 1]:
                parts.append(ut.colors_to_ansi(*here))
            parts.append(markers[col])
            if col == last or here != colors[col + 1]:
                parts.append(ut.ansi_end)
        parts.append("\n")
    self.canvas = "".join(parts)
    return self.canvas


def install() -> None:
    """Put these helpers in plotext (idempotent; call with the plotext lock held)."""
    if _original:
        return
    from plotext import _matrix, _utility

    for name, fast in (("hd_group", hd_group), ("get_lines", get_lines), ("brush", brush),
                       ("remove_outsiders", remove_outsiders)):
        _original[name] = getattr(_utility, name)
        setattr(_utility, name, fast)
    _original["set_canvas"] = _matrix.matrix_class.set_canvas
    _matrix.matrix_class.set_canvas = set_canvas
