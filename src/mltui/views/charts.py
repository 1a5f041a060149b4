"""Metric charts without Textual: series read from the store (downsampled there),
smoothed, put on an x axis, and drawn as text with plotext.

A chart never holds a whole history: the store returns about two points per
column of the chart (each bucket's lowest and highest value, so a spike is
never lost, plus the first and last points), and a zoom asks the store again
for the narrower range, so detail appears as one zooms in.

plotext is pinned below 6: 6.x is a rewrite with another API (figures with
``signal``/``line`` methods, little documentation) that textual-plotext does
not support either; 5.3 draws braille lines in 24-bit colour, log scales and
vertical lines, which is all a metric chart needs. Its state is global, so
every build holds :data:`PLOTEXT`.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from ..store.base import BaseStore
from ..store.entities import Run
from . import plotext_fast

X_MODES = ("step", "relative", "wall")
"""The x axes: the step; seconds since the run started; the wall clock."""
X_LABELS = {"step": "step", "relative": "time since start (s)", "wall": "wall time"}
SMOOTHING = (0.0, 0.6, 0.8, 0.9, 0.95, 0.99)
"""The smoothing weights one key cycles through (0 is off)."""
MAX_RUNS = 20
POINTS_PER_COLUMN = 2
DETAIL = 8
"""A chart that zooms reads this many times the points its width needs. The
database visits every point of the range whatever the number of buckets, so
finer buckets cost little more (one more index seek each), and a zoom of up to
8x is drawn from memory with at least two points per column; past that, the
narrower range is read again."""
SPARK = "▁▂▃▄▅▆▇█"



class _PlotextLock:
    """plotext keeps one figure in module state, so every build holds this lock;
    the first also gives plotext the faster ``hd_group`` (``plotext_fast``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            plotext_fast.install()
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, *exc: object) -> None:
        self._lock.release()


PLOTEXT = _PlotextLock()


def warm_up() -> None:
    """Import plotext, give it the faster helpers and build one small chart, so
    the first chart a person opens does not pay for them. May block."""
    series = Series("warm", "warm", "warm", (0, 0, 0), [0, 1, 2], [0, 1, 2], [0.0, 1.0, 0.5])
    render([series], ChartSettings(), 40, 10)

# twenty colours told apart on dark and light terminals (Tableau 20, reordered so
# that neighbours differ most)
PALETTE: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207),
    (174, 199, 232), (255, 187, 120), (152, 223, 138), (255, 152, 150), (197, 176, 213),
    (196, 156, 148), (247, 182, 210), (199, 199, 199), (219, 219, 141), (158, 218, 229),
)


class RunColors:
    """A colour per run for the whole session: the same on every chart and in the
    comparison screen. A run takes the slot its id hashes to, or the next free one,
    so the first twenty runs shown never share a colour."""

    def __init__(self) -> None:
        self._of: dict[str, int] = {}
        self._lock = threading.Lock()

    def preset(self, run_ids: Sequence[str]) -> None:
        """Give these runs the first colours, in order (screenshots and tests, where
        run ids are random but the picture must not be)."""
        with self._lock:
            self._of = {rid: i % len(PALETTE) for i, rid in enumerate(run_ids)}

    def __call__(self, run_id: str) -> tuple[int, int, int]:
        with self._lock:
            if run_id not in self._of:
                used = set(self._of.values())
                slot = int(run_id[:8], 16) if _is_hex(run_id[:8]) else hash(run_id)
                slot %= len(PALETTE)
                for step in range(len(PALETTE)):
                    candidate = (slot + step) % len(PALETTE)
                    if candidate not in used or len(used) >= len(PALETTE):
                        slot = candidate
                        break
                self._of[run_id] = slot
            return PALETTE[self._of[run_id]]


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdefABCDEF" for c in text)


# -- series --------------------------------------------------------------------------


@dataclass
class Series:
    """One run's points of one metric, finite values only (NaN and ±inf are
    counted, never drawn)."""

    run_id: str
    run_name: str
    key: str
    color: tuple[int, int, int]
    steps: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    run_start: int | None = None
    """The run's start time (ms): 0 on the relative time axis."""
    nan: int = 0
    inf: int = 0

    def xs(self, mode: str) -> list[float]:
        if mode == "step":
            return [float(s) for s in self.steps]
        if mode == "relative":
            start = self.run_start if self.run_start is not None else (
                self.timestamps[0] if self.timestamps else 0)
            return [(t - start) / 1000.0 for t in self.timestamps]
        return [t / 1000.0 for t in self.timestamps]


def load_series(
    store: BaseStore, run: Run, key: str, color: tuple[int, int, int], *,
    steps: tuple[int, int] | None = None, max_points: int = 400,
) -> Series:
    """The points of ``key`` in ``run`` (within ``steps``, inclusive), about
    ``max_points`` of them, as the store downsamples them. May block."""
    lo, hi = steps if steps is not None else (None, None)
    points = store.get_metric_history(run.run_id, key, lo, hi, max_points=max_points)
    series = Series(run.run_id, run.run_name or run.run_id[:8], key, color,
                    run_start=run.start_time)
    for m in points:
        if math.isnan(m.value):
            series.nan += 1
        elif math.isinf(m.value):
            series.inf += 1
        else:
            series.steps.append(m.step)
            series.timestamps.append(m.timestamp)
            series.values.append(m.value)
    return series


def load_all_series(
    store: BaseStore, runs: Sequence[Run], key: str, colors: RunColors, *,
    steps: tuple[int, int] | None = None, width: int = 160, detail: int = 1,
) -> list[Series]:
    """``key`` of every run, each downsampled to about two points per column (fewer
    when many runs share the chart) times ``detail``, read two at a time: sqlite
    releases the GIL while it scans, so two cores read two histories at once."""
    per_run = max(60, POINTS_PER_COLUMN * width // max(1, math.ceil(len(runs) / 5)))
    per_run *= max(1, detail)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(
            lambda run: load_series(store, run, key, colors(run.run_id), steps=steps,
                                    max_points=per_run),
            runs,
        ))


def smooth(values: Sequence[float], weight: float) -> list[float]:
    """TensorBoard's smoothing: an exponential moving average, debiased so the
    first points are not pulled towards zero."""
    if weight <= 0:
        return list(values)
    out = []
    last = 0.0
    for n, value in enumerate(values, start=1):
        last = last * weight + (1 - weight) * value
        out.append(last / (1 - weight**n))
    return out


def value_at(series: Series, x: float, mode: str) -> tuple[float, float] | None:
    """The point at or just before ``x`` (x, value), or None before the first."""
    xs = series.xs(mode)
    best = None
    for px, value in zip(xs, series.values, strict=True):
        if px > x:
            break
        best = (px, value)
    return best


def sparkline(values: Sequence[float], width: int = 12) -> str:
    """A row of block characters, one per bucket of the finite values."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return ""
    if len(finite) > width:
        size = len(finite) / width
        finite = [max(finite[int(i * size):max(int(i * size) + 1, int((i + 1) * size))])
                  for i in range(width)]
    lo, hi = min(finite), max(finite)
    if hi == lo:
        return SPARK[len(SPARK) // 2] * len(finite)
    return "".join(SPARK[min(len(SPARK) - 1, int((v - lo) / (hi - lo) * len(SPARK)))]
                   for v in finite)


# -- the chart -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChartSettings:
    """How a chart is drawn; a key press makes a new one."""

    x_mode: str = "step"
    log_y: bool = False
    smoothing: float = 0.0
    zoom: tuple[float, float] | None = None
    """The x range shown (in the x axis' units), or None for everything."""
    cursor: float | None = None
    """The x of the readout line, or None."""

    def next_x(self) -> ChartSettings:
        mode = X_MODES[(X_MODES.index(self.x_mode) + 1) % len(X_MODES)]
        return replace(self, x_mode=mode, zoom=None, cursor=None)

    def toggled_log(self) -> ChartSettings:
        return replace(self, log_y=not self.log_y)

    def next_smoothing(self, step: int = 1) -> ChartSettings:
        """``step`` 1 cycles up (past the strongest, back to off); -1 goes down
        and stops at off, so pressing it to turn smoothing off never overshoots."""
        i = SMOOTHING.index(self.smoothing) if self.smoothing in SMOOTHING else 0
        if step < 0:
            return replace(self, smoothing=SMOOTHING[max(0, i + step)])
        return replace(self, smoothing=SMOOTHING[(i + step) % len(SMOOTHING)])


def x_range(series: Sequence[Series], mode: str) -> tuple[float, float] | None:
    ends = [(xs[0], xs[-1]) for s in series if (xs := s.xs(mode))]
    if not ends:
        return None
    return min(a for a, _ in ends), max(b for _, b in ends)


def zoomed(settings: ChartSettings, full: tuple[float, float], factor: float) -> ChartSettings:
    """Zoom by ``factor`` (0.5 halves the range shown) around the cursor when it
    is in view (after a pan it may be far outside), else the middle; the range
    never leaves ``full`` and never goes below one unit."""
    lo, hi = settings.zoom or full
    cursor = settings.cursor
    centre = cursor if cursor is not None and lo <= cursor <= hi else (lo + hi) / 2
    width = max(1.0, (hi - lo) * factor)
    if width >= full[1] - full[0]:
        return replace(settings, zoom=None)
    new_lo = min(max(full[0], centre - width / 2), full[1] - width)
    return replace(settings, zoom=(new_lo, new_lo + width))


def panned(settings: ChartSettings, full: tuple[float, float], fraction: float) -> ChartSettings:
    if settings.zoom is None:
        return settings
    lo, hi = settings.zoom
    shift = (hi - lo) * fraction
    shift = max(full[0] - lo, min(full[1] - hi, shift))
    return replace(settings, zoom=(lo + shift, hi + shift))


def step_range(series: Sequence[Series], settings: ChartSettings) -> tuple[int, int] | None:
    """The steps a zoomed x range covers, for asking the store again (on a time
    axis, from the points already read)."""
    if settings.zoom is None:
        return None
    lo, hi = settings.zoom
    if settings.x_mode == "step":
        return math.floor(lo), math.ceil(hi)
    steps = [step for s in series
             for x, step in zip(s.xs(settings.x_mode), s.steps, strict=True) if lo <= x <= hi]
    if not steps:
        return None
    return min(steps), max(steps)


def step_span(series: Sequence[Series]) -> tuple[int, int] | None:
    """The first and last step of the points read."""
    ends = [(s.steps[0], s.steps[-1]) for s in series if s.steps]
    if not ends:
        return None
    return min(a for a, _ in ends), max(b for _, b in ends)


@dataclass(frozen=True)
class SeriesRead:
    """Series as read for a step range (None: the whole history), ``detail`` times
    the points the chart's width needs."""

    steps: tuple[int, int] | None
    series: list[Series]
    detail: int = DETAIL

    def serves(self, wanted: tuple[int, int] | None) -> bool:
        """Whether these points draw ``wanted`` (a step range, None: everything)
        with at least the detail a fresh read would give."""
        if wanted is None:
            return self.steps is None
        if self.steps is not None and (wanted[0] < self.steps[0] or wanted[1] > self.steps[1]):
            return False
        bounds = self.steps or step_span(self.series)
        if bounds is None:
            return False
        return bounds[1] - bounds[0] + 1 <= self.detail * max(1, wanted[1] - wanted[0] + 1)


def thin(xs: list[float], ys: list[float], columns: int) -> tuple[list[float], list[float]]:
    """At most about ``POINTS_PER_COLUMN`` points per column: each column's lowest
    and highest (a spike stays), the first and the last. Columns stay in order;
    inside one, the extreme nearer the previous point comes first, so the line
    crosses a noisy band once per column rather than twice (plotext's cost is the
    dots it draws: a quarter less on a dense zoom)."""
    if len(xs) <= POINTS_PER_COLUMN * columns + 2 or columns < 1:
        return xs, ys
    lo, hi = min(xs), max(xs)
    scale = columns / (hi - lo) if hi > lo else 0.0
    low: dict[int, int] = {}
    high: dict[int, int] = {}
    for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
        col = min(columns - 1, int((x - lo) * scale))
        if col not in low or y < ys[low[col]]:
            low[col] = i
        if col not in high or y > ys[high[col]]:
            high[col] = i
    last = len(xs) - 1
    keep = [0]
    for col in sorted(low):
        first, second = low[col], high[col]
        if abs(ys[first] - ys[keep[-1]]) > abs(ys[second] - ys[keep[-1]]):
            first, second = second, first
        keep += [i for i in (first, second) if i not in (0, last, keep[-1])]
    keep.append(last)
    return [xs[i] for i in keep], [ys[i] for i in keep]


def notes(series: Sequence[Series], settings: ChartSettings) -> list[str]:
    """What the chart leaves out, said once: NaN/inf points, non-positive values on
    a log scale, metrics without points."""
    out = []
    nan, inf = sum(s.nan for s in series), sum(s.inf for s in series)
    if nan or inf:
        parts = [f"{nan:,} NaN" if nan else "", f"{inf:,} ±inf" if inf else ""]
        out.append(" and ".join(p for p in parts if p) + " not drawn")
    if settings.log_y:
        dropped = sum(1 for s in series for v in s.values if v <= 0)
        if dropped:
            out.append(f"{dropped:,} values ≤ 0 left out of the log scale")
    empty = [s.run_name for s in series if not s.values]
    if empty:
        out.append("no points: " + ", ".join(empty[:5]) + (" …" if len(empty) > 5 else ""))
    return out


def render(
    series: Sequence[Series], settings: ChartSettings, width: int, height: int,
    title: str = "", legend: bool = True, color: bool = True,
) -> str:
    """The chart as text, ``width`` x ``height`` cells, with ANSI colours unless
    ``color`` is False (a pipe, a file)."""
    width, height = max(20, width), max(5, height)
    with PLOTEXT:
        import plotext as plt

        plt.clf()
        # plotext caps a plot to the size of the terminal it thinks it runs in
        plt.limitsize(False, False)
        plt.plotsize(width, height)
        plt.theme("clear")
        plt.frame(True)
        if title:
            plt.title(title)
        drawn = 0
        for s in series:
            xs, ys = s.xs(settings.x_mode), s.values
            if settings.zoom is not None:
                lo, hi = settings.zoom
                pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if lo <= x <= hi]
                xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
            if settings.log_y:
                pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if y > 0]
                xs, ys = [p[0] for p in pairs], [p[1] for p in pairs]
            if not xs:
                continue
            # the points read for zooming in: about two per column of the range shown
            xs, ys = thin(xs, ys, width)
            label = s.run_name if legend and len(series) > 1 else None
            if settings.smoothing > 0 and len(ys) > 1:
                if color:  # the raw series faint behind (without colour: only confusing)
                    faint = tuple(int(c * 0.45) for c in s.color)
                    plt.plot(xs, ys, color=faint, marker="braille")
                plt.plot(xs, smooth(ys, settings.smoothing), color=s.color, marker="braille",
                         label=label)
            elif len(xs) == 1:
                plt.scatter(xs, ys, color=s.color, marker="●", label=label)
            else:
                plt.plot(xs, ys, color=s.color, marker="braille", label=label)
            drawn += 1
        if settings.log_y:
            plt.yscale("log")
        if settings.zoom is not None:
            plt.xlim(*settings.zoom)
        if settings.cursor is not None and drawn:
            plt.vline(settings.cursor, color=(200, 200, 200))
        if settings.x_mode == "wall" and drawn:
            _wall_ticks(plt, series, settings)
        plt.xlabel(X_LABELS[settings.x_mode])
        text = plt.build() if drawn else ""
        if not color:
            text = plt.uncolorize(text)
    if not drawn:
        return "no points to draw" + (" (zoom out with Z)" if settings.zoom else "")
    return text


def _wall_ticks(plt, series: Sequence[Series], settings: ChartSettings) -> None:
    bounds = settings.zoom or x_range(series, "wall")
    if bounds is None:
        return
    lo, hi = bounds
    ticks = [lo + (hi - lo) * i / 4 for i in range(5)]
    fmt = "%H:%M:%S" if hi - lo < 86_400 else "%m-%d %H:%M"
    plt.xticks(ticks, [time.strftime(fmt, time.localtime(t)) for t in ticks])


def readout(series: Sequence[Series], settings: ChartSettings) -> list[tuple[Series, float, float]]:
    """Every run's (x, value) at the cursor, smoothed as drawn."""
    if settings.cursor is None:
        return []
    out = []
    for s in series:
        point = value_at(s, settings.cursor, settings.x_mode)
        if point is None:
            continue
        x, value = point
        if settings.smoothing > 0:
            index = s.xs(settings.x_mode).index(x)
            value = smooth(s.values[: index + 1], settings.smoothing)[-1]
        out.append((s, x, value))
    return out


@dataclass
class MetricSummary:
    """A metric's whole history in a few characters: lowest, highest, a sparkline."""

    low: float | None
    high: float | None
    trend: str
    points: int


def summarize(store: BaseStore, run_id: str, key: str, width: int = 16) -> MetricSummary:
    """Read about ``2 * width`` points (the store keeps every bucket's extremes, so
    the lowest and highest are exact) and sketch them. May block."""
    points = store.get_metric_history(run_id, key, max_points=2 * width)
    finite = [m.value for m in points if math.isfinite(m.value)]
    return MetricSummary(min(finite) if finite else None, max(finite) if finite else None,
                         sparkline(finite, width), len(points))
