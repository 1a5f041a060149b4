"""Metric charts: a grid of small charts (one per metric, every run overlaid) and
one chart full size with its controls: x axis, log scale, smoothing, a cursor
with a readout, zoom and pan (a zoom asks the store again, so detail appears).

The series come from ``mltui.views.charts``; this module starts the workers,
keeps the settings and draws the legend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Static
from textual.worker import get_current_worker

from ..background import describe_error, run_blocking
from ..store.entities import Run
from ..textfmt import format_number, format_timestamp, safe_text
from ..views.charts import (
    DETAIL,
    MAX_RUNS,
    X_LABELS,
    ChartSettings,
    Series,
    SeriesRead,
    load_all_series,
    notes,
    panned,
    readout,
    step_range,
    x_range,
    zoomed,
)
from ..widgets.footer import KeysFooter
from ..widgets.metric_chart import ChartGrid, ChartPanel, MetricChart
from ..widgets.status_bar import StatusBar
from .base import MltuiScreen, ScreenMixin

LIVE_STATUSES = ("RUNNING", "SCHEDULED")
INTERIM_AFTER = 0.3
"""Seconds a zoom waits for its read before drawing the points in memory."""


def metric_keys(runs: Sequence[Run]) -> list[str]:
    """Every metric key any of ``runs`` logged, sorted."""
    return sorted({key for run in runs for key in run.metrics})


def legend(series: Sequence[Series], settings: ChartSettings) -> Text:
    """A line per run: its colour, name and the value at the cursor (else the last)."""
    at_cursor = {s.run_id: (x, v) for s, x, v in readout(series, settings)}
    text = Text()
    if settings.cursor is not None:
        # where the cursor is: the values below are the points at or before it
        at = settings.cursor
        where = format_timestamp(int(at * 1000)) if settings.x_mode == "wall" \
            else format_number(round(at, 3) if settings.x_mode == "relative" else int(at))
        text.append(f"{X_LABELS[settings.x_mode]} {where} ", style="bold")
        text.append("│ ", style="dim")
    for s in series:
        if text:
            text.append("   ")
        text.append("● ", style=f"rgb({s.color[0]},{s.color[1]},{s.color[2]})")
        text.append(safe_text(s.run_name))
        if settings.cursor is not None:
            point = at_cursor.get(s.run_id)
            text.append(f" {format_number(point[1])}" if point else " –", style="bold")
        elif s.values:
            text.append(f" {format_number(s.values[-1])}", style="dim")
    return text


class ChartScreen(MltuiScreen[None]):
    """One metric of one or more runs, full size."""

    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="chart.back"),
        Binding("x", "cycle_x", "X axis", id="chart.x"),
        Binding("L", "toggle_log", "Log y", id="chart.log"),
        Binding("s", "smoothing(1)", "Smoothing", id="chart.smooth"),
        Binding("S", "smoothing(-1)", "Less smoothing", show=False, id="chart.smooth_less"),
        Binding("left,h", "cursor(-1)", "Cursor left", show=False, id="chart.cursor_left"),
        Binding("right,l", "cursor(1)", "Cursor right", show=False, id="chart.cursor_right"),
        Binding("z", "zoom(0.5)", "Zoom in", id="chart.zoom_in"),
        Binding("Z", "zoom(2)", "Zoom out", id="chart.zoom_out"),
        Binding("0", "reset_zoom", "Whole range", show=False, id="chart.reset"),
        Binding("left_square_bracket", "pan(-0.5)", "Pan left", show=False,
                id="chart.pan_left"),
        Binding("right_square_bracket", "pan(0.5)", "Pan right", show=False,
                id="chart.pan_right"),
        Binding("j,tab", "metric(1)", "Next metric", show=False, id="chart.next"),
        Binding("k,shift+tab", "metric(-1)", "Previous metric", show=False, id="chart.previous"),
        Binding("p", "toggle_live", "Pause", show=False, id="chart.live"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="chart.reload"),
    ]

    HELP = """\
One metric of the chosen runs, each in its own colour (the same colour on every
chart). x cycles the x axis: step, time since the run started, wall time. L
switches the y axis to a log scale (values ≤ 0 are left out, with a note). s
smooths more (an exponential moving average, debiased as TensorBoard does; the
raw curve stays faint behind), S less.

h / l (or the arrows) move a cursor along x; the legend then shows every run's
value there. z zooms in around the cursor, Z out, 0 shows everything, [ and ]
pan. A zoom reads the range again from the store, so detail the whole-range
chart had to leave out appears. j / k show the next or previous metric.

A RUNNING run's curve grows on the refresh interval (p pauses) without losing
the zoom or the cursor. NaN and infinite values are never drawn; the note under
the chart counts them.
"""

    DEFAULT_CSS = """
    ChartScreen MetricChart { height: 1fr; }
    ChartScreen #chart-legend { height: auto; max-height: 4; padding: 0 1; }
    ChartScreen #chart-notes { height: auto; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, runs: Sequence[Run], keys: Sequence[str], key: str,
                 settings: ChartSettings | None = None):
        super().__init__()
        self.runs = list(runs)[:MAX_RUNS]
        self.keys = list(keys) or [key]
        self.key = key
        self.settings = settings or ChartSettings()
        self.series: list[Series] = []
        """The points drawn (read for the whole history or for a zoomed range)."""
        self.full: tuple[float, float] | None = None
        """The x range of the whole history (the zoom stays inside it)."""
        self._whole: SeriesRead | None = None
        self._zoomed: SeriesRead | None = None
        """The reads kept: a zoom draws from one of them when it has the detail
        (``SeriesRead.serves``), and reads the range again when not."""
        self.live = True
        self._timer: Timer | None = None
        self.reads = 0
        """Reads delivered (tests wait on it)."""
        self._interim: Timer | None = None
        """The draw from memory while a zoom's read is on its way (see _change)."""
        self.reading = False
        """A read is on its way (the chart shows the points in memory meanwhile)."""

    def compose(self) -> ComposeResult:
        yield StatusBar()
        # the legend is the line under the chart (with the cursor's values): not inside it
        yield MetricChart(self.key, openable=False, legend=False, id="chart")
        yield Static(id="chart-legend")
        yield Static(id="chart-notes")
        yield KeysFooter()

    @property
    def chart(self) -> MetricChart:
        return self.query_one(MetricChart)

    def on_mount(self) -> None:
        self.chart.focus()
        self.action_reload()
        interval = self.mltui.settings.refresh_interval
        if interval > 0 and any(r.status in LIVE_STATUSES for r in self.runs):
            self._timer = self.set_interval(interval, self._tick)
        self._show_status()

    # -- reading ----------------------------------------------------------------------
    @property
    def detail(self) -> int:
        """How many times the points the width needs a read asks for: fewer per run
        when many runs share the chart (each bucket is two lookups per run)."""
        return max(2, DETAIL * 5 // max(5, len(self.runs)))

    def _wanted(self) -> tuple[int, int] | None:
        """The steps the chart shows (None: all), found from the widest points read."""
        if self.settings.zoom is None:
            return None
        known = self._whole.series if self._whole is not None else self.series
        return step_range(known, self.settings) or step_range(self.series, self.settings)

    def action_reload(self) -> None:
        steps = self._wanted()
        width = max(40, self.chart.content_size.width or 120)
        key = self.key
        self.reading = True
        run_blocking(self, partial(load_all_series, steps=steps, width=width,
                                   detail=self.detail),
                     self.store, self.runs, key, self.mltui.run_colors,
                     done=partial(self._loaded, key, steps), failed=self._read_failed,
                     group="chart-read")

    def _read_failed(self, message: str) -> None:
        self.reading = False
        self.notify(message, severity="error", timeout=8)

    def _loaded(self, key: str, steps: tuple[int, int] | None, series: list[Series]) -> None:
        if key != self.key:
            return  # j / k moved on meanwhile
        self.reading = False
        read = SeriesRead(steps, series, self.detail)
        if steps is None:
            self._whole, self._zoomed = read, None
        else:
            self._zoomed = read
        self.reads += 1
        if self.settings.zoom is None or self.full is None:
            self.full = x_range(series, self.settings.x_mode)
        if read.serves(self._wanted()):
            self.series = series
        self._draw()

    def _from_memory(self) -> bool:
        """Draw the current settings from a read kept, if one has the detail."""
        wanted = self._wanted()
        for read in (self._zoomed, self._whole):
            if read is not None and read.serves(wanted):
                self.series = read.series
                return True
        return False

    def _tick(self) -> None:
        # not while a read is on its way: a tick would cancel it (the reads are one
        # exclusive group), and a read slower than the interval would never arrive
        if self.live and self.mltui.screen is self and not self.reading:
            # new points: a read kept for another range is out of date
            if self.settings.zoom is None:
                self._zoomed = None
            else:
                self._whole = None
            self.action_reload()

    def action_toggle_live(self) -> None:
        if self._timer is None:
            self.notify("Only charts of RUNNING runs refresh (and refresh_interval > 0)")
            return
        self.live = not self.live
        if self.live:
            self.action_reload()
        self._show_status()

    # -- drawing ----------------------------------------------------------------------
    def _draw(self) -> None:
        self._cancel_interim()
        self.chart.show(self.series, self.settings)
        self.query_one("#chart-legend", Static).update(legend(self.series, self.settings))
        said = notes(self.series, self.settings)
        self.query_one("#chart-notes", Static).update(Text("   ".join(said)))
        self._show_status()

    def _show_status(self) -> None:
        s = self.settings
        zoom = None
        if s.zoom is not None:
            zoom = f"zoom {format_number(s.zoom[0])}–{format_number(s.zoom[1])}"
        live = None
        if self._timer is not None:
            live = ("live ●", "green", 8) if self.live else ("paused", "yellow", 8)
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("chart", "dim", 2),
            (self.key, "bold cyan", 9),
            (f"{len(self.runs)} runs" if len(self.runs) > 1 else self.runs[0].run_name, "", 6),
            (f"x: {X_LABELS[s.x_mode]}", "", 7),
            (f"smoothing {s.smoothing:g}", "magenta", 7) if s.smoothing else None,
            ("log y", "magenta", 7) if s.log_y else None,
            (zoom, "yellow", 8) if zoom else None,
            live,
        )

    def _change(self, settings: ChartSettings, read: bool = False) -> None:
        self.settings = settings
        if read and not self._from_memory():
            # the new range, downsampled afresh. A build of the points in memory
            # would hold the UI thread (and the GIL) as long as the read itself on a
            # dense range, so it waits: only a read slower than INTERIM_AFTER shows it
            self.action_reload()
            self._cancel_interim()
            self._interim = self.set_timer(INTERIM_AFTER, self._draw)
            self._show_status()
            return
        self._draw()

    def _cancel_interim(self) -> None:
        if self._interim is not None:
            self._interim.stop()
            self._interim = None

    # -- keys -------------------------------------------------------------------------
    def action_cycle_x(self) -> None:
        self.settings = self.settings.next_x()  # and the whole range
        if not self._from_memory():
            self.action_reload()
        self.full = x_range(self.series, self.settings.x_mode)
        self._draw()

    def action_toggle_log(self) -> None:
        self._change(self.settings.toggled_log())

    def action_smoothing(self, step: int) -> None:
        self._change(self.settings.next_smoothing(step))

    def action_cursor(self, direction: int) -> None:
        bounds = self.settings.zoom or self.full
        if bounds is None:
            return
        lo, hi = bounds
        width = max(1, self.chart.content_size.width - 8)
        cursor = self.settings.cursor
        if cursor is None:
            cursor = hi if direction < 0 else lo
        else:
            cursor = min(hi, max(lo, cursor + direction * (hi - lo) / width))
        self._change(replace(self.settings, cursor=cursor))

    def action_zoom(self, factor: float) -> None:
        if self.full is None:
            return
        self._change(zoomed(self.settings, self.full, factor), read=True)

    def action_reset_zoom(self) -> None:
        if self.settings.zoom is not None:
            self._change(replace(self.settings, zoom=None), read=True)

    def action_pan(self, fraction: float) -> None:
        if self.full is not None and self.settings.zoom is not None:
            self._change(panned(self.settings, self.full, fraction), read=True)

    def action_metric(self, step: int) -> None:
        if len(self.keys) < 2:
            return
        self.key = self.keys[(self.keys.index(self.key) + step) % len(self.keys)]
        self.chart.key = self.key
        self.chart.border_title = Text(safe_text(self.key))  # a str is read as markup
        self.settings = ChartSettings(x_mode=self.settings.x_mode, log_y=self.settings.log_y,
                                      smoothing=self.settings.smoothing)
        self.full = None
        self.series = []
        self._whole = self._zoomed = None
        self.action_reload()
        self._show_status()

    def action_back(self) -> None:
        self.dismiss(None)


def read_charts(screen: MltuiScreen, runs: Sequence[Run], keys: Sequence[str],
                on_key: Callable[[str, list[Series]], object]) -> None:
    """Read the series of every key in one worker, key after key, handing each to
    ``on_key`` on the UI thread (the first charts show while the others are read).
    A failure is one notification; the charts already read stay."""
    store, colors, runs, keys = screen.store, screen.mltui.run_colors, list(runs), list(keys)

    def read() -> None:
        worker = get_current_worker()
        for key in keys:
            if worker.is_cancelled:
                return
            try:
                series = load_all_series(store, runs, key, colors, width=ChartGrid.MIN_WIDTH)
            except Exception as exc:
                screen.app.call_from_thread(screen.notify, describe_error(exc),
                                            severity="error")
                return
            screen.app.call_from_thread(on_key, key, series)

    screen.run_worker(read, thread=True, exclusive=True, group="charts-read",
                      exit_on_error=False)


CHART_ACTIONS = {"charts_filter", "charts_x", "charts_smoothing", "charts_log"}
"""The keys of a :class:`ChartsTab`: a screen offers them while the tab shows."""


class ChartsTab(ScreenMixin):
    """The Charts tab of the run and the compare screens: its :class:`ChartPanel`
    (mounted when the tab is first shown), / filtering it, x, s and L restyling
    every chart. The screen keeps ``chart_settings`` (a chart opened full size
    starts with them) and reads the series (:func:`read_charts`)."""

    chart_settings: ChartSettings

    @property
    def _charts(self) -> ChartPanel | None:
        """The tab's panel; None until the tab was first shown."""
        found = self.query(ChartPanel)
        return found.first() if found else None

    def _restyle_charts(self, settings: ChartSettings) -> None:
        self.chart_settings = settings
        if self._charts is not None:
            self._charts.set_settings(settings)

    def action_charts_filter(self) -> None:
        if self._charts is not None:
            self._charts.open_filter()

    def action_charts_x(self) -> None:
        self._restyle_charts(self.chart_settings.next_x())

    def action_charts_smoothing(self) -> None:
        self._restyle_charts(self.chart_settings.next_smoothing())

    def action_charts_log(self) -> None:
        self._restyle_charts(self.chart_settings.toggled_log())


class ChartsScreen(MltuiScreen[None]):
    """Every metric of the chosen runs, a small chart each, the runs overlaid."""

    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="charts.back"),
        Binding("slash", "filter", "Filter", id="charts.filter"),
        Binding("enter", "open", "Full size", id="charts.open"),
        Binding("x", "cycle_x", "X axis", id="charts.x"),
        Binding("s", "smoothing", "Smoothing", id="charts.smooth"),
        Binding("L", "toggle_log", "Log y", id="charts.log"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="charts.reload"),
    ]

    HELP = """\
A small chart for each metric the chosen runs logged, every run overlaid in its
own colour (the same on every chart). / keeps the metrics whose name matches
(a regular expression, or plain text), enter opens the chart under focus full
size with its controls (cursor, zoom, pan). x, s and L change every chart: the
x axis, the smoothing and the log scale. tab moves between charts.
"""

    def __init__(self, runs: Sequence[Run], keys: Sequence[str] | None = None):
        super().__init__()
        self.runs = list(runs)[:MAX_RUNS]
        self.all_keys = list(keys) if keys is not None else metric_keys(self.runs)
        self.settings = ChartSettings()
        self.read: dict[str, list[Series]] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield ChartPanel(self.all_keys)
        yield KeysFooter()

    @property
    def panel(self) -> ChartPanel:
        return self.query_one(ChartPanel)

    def on_mount(self) -> None:
        self.panel.focus_first()
        if not self.all_keys:
            self.panel.set_legend(Text("These runs logged no metrics.", style="dim"))
        self._status()
        self.action_reload()

    def _status(self) -> None:
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("charts", "dim", 2),
            (", ".join(r.run_name or r.run_id[:8] for r in self.runs[:3])
             + (f" +{len(self.runs) - 3}" if len(self.runs) > 3 else ""), "bold cyan", 8),
            (f"{len(self.panel.keys)} of {len(self.all_keys)} metrics", "", 7),
            (f"filter: {self.panel.pattern}", "magenta", 9) if self.panel.pattern else None,
            (f"x: {X_LABELS[self.settings.x_mode]}", "", 5),
        )

    def action_reload(self) -> None:
        read_charts(self, self.runs, self.panel.keys or self.all_keys, self._key_read)

    def _key_read(self, key: str, series: list[Series]) -> None:
        self.read[key] = series
        self.panel.show(key, series, self.settings)
        if len(self.read) == 1:
            self.panel.set_legend(legend(series, self.settings))

    def _redraw(self) -> None:
        self.panel.set_settings(self.settings)
        self._status()

    def action_cycle_x(self) -> None:
        self.settings = self.settings.next_x()
        self._redraw()

    def action_smoothing(self) -> None:
        self.settings = self.settings.next_smoothing()
        self._redraw()

    def action_toggle_log(self) -> None:
        self.settings = self.settings.toggled_log()
        self._redraw()

    def action_filter(self) -> None:
        self.panel.open_filter()

    def on_chart_panel_filtered(self, _event: ChartPanel.Filtered) -> None:
        self._status()

    def on_metric_chart_activated(self, event: MetricChart.Activated) -> None:
        self._open(event.chart.key)

    def action_open(self) -> None:
        if isinstance(self.focused, MetricChart):
            self._open(self.focused.key)

    def _open(self, key: str) -> None:
        self.app.push_screen(ChartScreen(self.runs, self.panel.keys, key, ChartSettings(
            x_mode=self.settings.x_mode, log_y=self.settings.log_y,
            smoothing=self.settings.smoothing)))

    def action_back(self) -> None:
        if not self.panel.close_filter():
            self.dismiss(None)
