"""Runs compared: side by side (only differences, last/min/max, the best run of
each metric marked), their curves overlaid, a scatter of one field against
another, parallel coordinates of params to a metric.

Rows, exports and chart data come from ``mltui.views.compare`` and
``mltui.views.compare_charts``; this module keeps the choices and starts the reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from pathlib import Path

from rich.console import JustifyMethod
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.widgets import Static, TabbedContent, TabPane

from ..background import run_blocking
from ..columns import Column
from ..store.entities import Run
from ..store.query import RunQuery
from ..store.search import ATTRIBUTE, METRIC, PARAM, TAG
from ..textfmt import count_of, safe_text, truncate
from ..views.charts import MAX_RUNS as MAX_CHART_RUNS
from ..views.charts import ChartSettings, Series
from ..views.compare import (
    METRIC_MODES,
    ONLY_DIFFERENCES_PAST,
    CompareRow,
    compare_rows,
    exact_text,
    export_text,
    guess_direction,
    read_ranges,
    run_label,
    shown_rows,
)
from ..views.compare_charts import (
    MAX_PARALLEL,
    MAX_SCATTER,
    PLOTTABLE_ATTRIBUTES,
    Parallel,
    Scatter,
    read_parallel,
    read_scatter,
    render_parallel,
    render_scatter,
)
from ..views.export import problem_with_path, write_text_file
from ..widgets.cell_grid import CellGrid
from ..widgets.footer import KeysFooter
from ..widgets.metric_chart import ChartPanel, MetricChart
from ..widgets.plot_view import PlotView
from ..widgets.status_bar import StatusBar
from . import edits
from .base import MltuiScreen
from .charts import CHART_ACTIONS, ChartScreen, ChartsTab, legend, read_charts

TABS = ("tab-table", "tab-charts", "tab-scatter", "tab-parallel")
TABLE_ACTIONS = {"toggle_diff", "cycle_mode", "flip_best", "view_value", "copy_md", "copy_csv",
                 "column"}
PLOT_ACTIONS = {"pick_x", "pick_y", "toggle_all"}
CELL_WIDTH = 28
KEY_WIDTH = 44
PARALLEL_AXES = 6
EXTENSIONS = {".md": "md", ".markdown": "md", ".csv": "csv", ".json": "json"}


class CompareScreen(ChartsTab, MltuiScreen[None]):
    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="compare.back"),
        Binding("d", "toggle_diff", "Only differences", id="compare.diff"),
        Binding("m", "cycle_mode", "Last/min/max", id="compare.mode"),
        Binding("b", "flip_best", "Best low/high", id="compare.best"),
        Binding("enter", "view_value", "Whole value", show=False, id="compare.value"),
        Binding("right,l", "column(1)", "Next run", show=False, priority=True,
                id="compare.next_run"),
        Binding("left,h", "column(-1)", "Previous run", show=False, priority=True,
                id="compare.previous_run"),
        Binding("e", "export", "Export", id="compare.export"),
        Binding("y", "copy_md", "Copy Markdown", id="compare.copy_md"),
        Binding("Y", "copy_csv", "Copy CSV", show=False, id="compare.copy_csv"),
        Binding("slash", "charts_filter", "Filter charts", id="compare.charts_filter"),
        Binding("x", "charts_x", "X axis", id="compare.charts_x"),
        Binding("s", "charts_smoothing", "Smoothing", id="compare.charts_smooth"),
        Binding("L", "charts_log", "Log y", id="compare.charts_log"),
        Binding("x", "pick_x", "X field", id="compare.pick_x"),
        Binding("y", "pick_y", "Y field", id="compare.pick_y"),
        Binding("a", "toggle_all", "Marked/all", id="compare.all"),
        Binding("1", "tab(0)", "Table tab", show=False, id="compare.tab_table"),
        Binding("2", "tab(1)", "Charts tab", show=False, id="compare.tab_charts"),
        Binding("3", "tab(2)", "Scatter tab", show=False, id="compare.tab_scatter"),
        Binding("4", "tab(3)", "Parallel tab", show=False, id="compare.tab_parallel"),
        Binding("right_square_bracket", "next_tab(1)", "Next tab", show=False,
                id="compare.next_tab"),
        Binding("left_square_bracket", "next_tab(-1)", "Previous tab", show=False,
                id="compare.previous_tab"),
    ]

    HELP = """\
The marked runs side by side, a column each in its chart colour: status, start,
duration, then params, metrics and tags. d shows only the rows that differ (on
by default past ten rows); m shows each metric's last value, or the lowest or
highest of its whole history. ★ marks the best run of a metric: lowest for a
loss or an error, highest for an accuracy or an F1, guessed from the name (↓
or ↑ beside it); b on a metric row flips it (or turns it off). enter shows a
value whole; h/l and the arrows scroll, the key column stays. e exports the
rows shown to a file (.md, .csv or .json by the name), y copies them as
Markdown and Y as CSV (OSC 52).

2 Charts overlays the runs' curves (the first 20 runs). 3 Scatter draws one
field against another (x and y pick them), over the marked runs or, with a,
over every run the runs table's filter matches (up to 100,000; the marked runs
in colour). 4 Parallel draws a line per run across chosen params (x) to a
metric (y), coloured by the metric; a over every matching run (up to 1,000).
"""

    DEFAULT_CSS = """
    CompareScreen .plot-note { height: auto; padding: 0 1; }
    """

    def __init__(self, runs: Sequence[Run], query: RunQuery | None = None):
        super().__init__()
        self.runs = list(runs)
        self.query_all = query
        self.mode = "last"
        self.ranges: dict[tuple[str, str], tuple[float, float]] | None = None
        self.directions: dict[str, str | None] = {}
        self.rows = compare_rows(self.runs)
        self.only_differences = len(self.rows) > ONLY_DIFFERENCES_PAST
        self.shown: list[CompareRow] = []
        self.chart_settings = ChartSettings()
        self.scatter_x, self.scatter_y = self._default_axes()
        self.parallel_params = self._default_params()
        self.all_runs = False
        self.first_run = 0
        """The table shows the runs that fit from this one on: a DataTable draws every
        column of a line, so 20 runs x 200 rows cost 1.3 s to show, a window 0.2 s."""
        """The scatter and parallel tabs draw every run of the query, not only these."""
        self.scatter: Scatter | None = None
        self.parallel: Parallel | None = None

    # -- layout -------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar()
        with TabbedContent(initial="tab-table"):
            with TabPane("1 Table", id="tab-table"):
                yield CellGrid(id="compare-table")
            with TabPane("2 Charts", id="tab-charts"):
                yield Container(id="charts-holder")
            with TabPane("3 Scatter", id="tab-scatter"), Vertical():
                yield Static(id="scatter-note", classes="plot-note")
                yield PlotView(id="scatter")
            with TabPane("4 Parallel", id="tab-parallel"), Vertical():
                yield Static(id="parallel-note", classes="plot-note")
                yield PlotView(id="parallel")
        yield KeysFooter()

    @property
    def table(self) -> CellGrid:
        return self.query_one("#compare-table", CellGrid)

    @property
    def active_tab(self) -> str:
        return self.query_one(TabbedContent).active

    def on_mount(self) -> None:
        self.fill_table()
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        tab = self.active_tab
        if action in TABLE_ACTIONS:
            return tab == "tab-table"
        if action in CHART_ACTIONS:
            return tab == "tab-charts"
        if action in PLOT_ACTIONS:
            if action == "toggle_all" and self.query_all is None:
                return False
            return tab in ("tab-scatter", "tab-parallel")
        return True

    def _status(self) -> None:
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("compare", "dim", 2),
            (count_of(len(self.runs), "run"), "bold cyan", 6),
            ("only differences" if self.only_differences else "all rows", "magenta", 7),
            (f"metrics: {self.mode}", "", 8),
            (f"{len(self.shown)} of {count_of(len(self.rows), 'row')}", "", 9),
            (f"runs {self.first_run + 1}-{self.first_run + len(self._window())} of "
             f"{len(self.runs)} ←→", "yellow", 8) if len(self._window()) < len(self.runs)
            else None,
        )

    def _window_size(self) -> int:
        width = self.table.size.width or self.app.size.width
        key = max((len(row.data_label) for row in self.shown), default=10)
        return max(1, (width - min(key, KEY_WIDTH) - 4) // (CELL_WIDTH + 2) + 1)

    def _window(self) -> range:
        n = self._window_size()
        self.first_run = max(0, min(self.first_run, len(self.runs) - n))
        return range(self.first_run, min(len(self.runs), self.first_run + n))

    def action_column(self, step: int) -> None:
        """Move along the runs; at the window's edge the window moves (the key column
        stays)."""
        table = self.table
        window = self._window()
        column = table.cursor_column + step
        if 0 <= column <= len(window):
            table.move_cursor(column=column)
            return
        moved = self.first_run + step
        if 0 <= moved <= len(self.runs) - len(window):
            self.first_run = moved
            self.fill_table()

    # -- the table ----------------------------------------------------------------
    def rebuild_rows(self) -> None:
        self.rows = compare_rows(self.runs, mode=self.mode, ranges=self.ranges,
                                 directions=self.directions)
        self.fill_table()

    def fill_table(self) -> None:
        """Fill the table with the rows shown, the cursor kept on its row."""
        table = self.table
        old = self.shown[table.cursor_row].label if self.shown and \
            0 <= table.cursor_row < len(self.shown) else None
        column = table.cursor_column
        self.shown = shown_rows(self.rows, self.only_differences)
        window = self._window()
        colors = self.mltui.run_colors
        header = [Text("key", style="bold")]
        for i in window:
            run = self.runs[i]
            r, g, b = colors(run.run_id)
            header.append(Text(truncate(run_label(run), CELL_WIDTH),
                               style=f"bold rgb({r},{g},{b})"))
        cells = [[_key_cell(row), *[_value_cell(row, i) for i in window]] for row in self.shown]
        widths = [min(KEY_WIDTH, max((line[0].cell_len for line in cells), default=3))]
        for i in range(1, len(header)):
            widths.append(max(header[i].cell_len,
                              max((line[i].cell_len for line in cells), default=1)))
        table.set_data(header, widths, cells)
        labels = [row.label for row in self.shown]
        if labels:
            table.move_cursor(row=labels.index(old) if old in labels else 0,
                              column=max(0, min(column, len(window))))
        self._status()

    def on_resize(self) -> None:
        if self.is_mounted and len(self.table.columns) - 1 != len(self._window()):
            self.fill_table()

    def _row_under_cursor(self) -> CompareRow | None:
        row = self.table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def action_toggle_diff(self) -> None:
        self.only_differences = not self.only_differences
        self.fill_table()
        if self.only_differences and not self.shown:
            self.notify("These runs do not differ in anything shown (d shows every row)")

    def action_cycle_mode(self) -> None:
        self.mode = METRIC_MODES[(METRIC_MODES.index(self.mode) + 1) % len(METRIC_MODES)]
        if self.mode != "last" and self.ranges is None:
            def read_done(found: dict) -> None:
                self.ranges = found
                self.rebuild_rows()

            run_blocking(self, read_ranges, self.store, self.runs, done=read_done,
                         group="compare-ranges")
        self.rebuild_rows()
        self.notify({"last": "Metrics: the last value logged",
                     "min": "Metrics: the lowest value of each history",
                     "max": "Metrics: the highest value of each history"}[self.mode])

    def action_flip_best(self) -> None:
        row = self._row_under_cursor()
        if row is None or row.section != "metrics":
            self.notify("b flips which value is best on a metric row", severity="warning")
            return
        order: list[str | None] = ["min", "max", None]
        current = self.directions.get(row.key, guess_direction(row.key)) \
            if row.key in self.directions else row.direction
        self.directions[row.key] = order[(order.index(current) + 1) % len(order)]
        self.rebuild_rows()
        said = {"min": "lowest is best", "max": "highest is best", None: "no best marked"}
        self.notify(f"{safe_text(row.key)}: {said[self.directions[row.key]]}")

    def action_view_value(self) -> None:
        from .value_viewer import ValueViewer

        row = self._row_under_cursor()
        if row is None:
            return
        column = self.table.cursor_column
        if column == 0:
            self.app.push_screen(ValueViewer("key", row.label))
            return
        run = self.runs[self.first_run + column - 1]
        value = row.values[self.first_run + column - 1]
        self.app.push_screen(ValueViewer(f"{row.label} of {run_label(run)}",
                                         exact_text(value) if value is not None else "(none)"))

    def on_cell_grid_cell_selected(self, event: CellGrid.CellSelected) -> None:
        event.stop()
        self.action_view_value()

    # -- export ---------------------------------------------------------------------
    def _text(self, fmt: str) -> str:
        return export_text(fmt, self.runs, self.shown, self.mode)

    def action_copy_md(self) -> None:
        self.app.copy_to_clipboard(self._text("md"))
        self.notify(f"Copied {count_of(len(self.shown), 'row')} as Markdown (OSC 52)")

    def action_copy_csv(self) -> None:
        # pasted into a spreadsheet: formulas quoted, control characters visible
        self.app.copy_to_clipboard(export_text("csv", self.runs, self.shown, self.mode,
                                               safe=True))
        self.notify(f"Copied {count_of(len(self.shown), 'row')} as CSV (OSC 52)")

    def action_export(self) -> None:
        default = str(Path.cwd() / f"compare-{len(self.runs)}-runs.md")

        def problem(text: str) -> str | None:
            found = problem_with_path(text)
            if found is None and Path(text).suffix.lower() not in EXTENSIONS:
                return "End the file name with .md, .csv or .json (it picks the format)"
            return found

        def write(path: Path) -> None:
            text = self._text(EXTENSIONS[path.suffix.lower()])
            run_blocking(self, write_text_file, path, text,
                         done=lambda _none: self.notify(
                             f"Wrote {count_of(len(self.shown), 'row')} to {path}"),
                         group="compare-export", exclusive=False)

        rows = "only the rows that differ" if self.only_differences else "every row"
        edits.ask_file(
            self, f"Export the comparison ({count_of(len(self.runs), 'run')})", default, write,
            body=f"Markdown (.md), CSV (.csv) or JSON (.json), by the name's ending: {rows}, "
                 f"metrics as their {self.mode} value.",
            validate=problem)

    # -- tabs ---------------------------------------------------------------------
    def action_tab(self, index: int) -> None:
        self.query_one(TabbedContent).active = TABS[index]

    def action_next_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active) + step) % len(TABS)]

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        pane = event.pane.id
        if pane == "tab-table":
            self.table.focus()
        elif pane == "tab-charts":
            await self._show_charts()
        elif pane == "tab-scatter":
            self.query_one("#scatter", PlotView).focus()
            if self.scatter is None:
                self.read_scatter()
        elif pane == "tab-parallel":
            self.query_one("#parallel", PlotView).focus()
            if self.parallel is None:
                self.read_parallel()
        self.refresh_bindings()

    # -- charts tab ---------------------------------------------------------------------
    async def _show_charts(self) -> None:
        panel = self._charts
        if panel is None:
            runs = self.runs[:MAX_CHART_RUNS]
            keys = sorted({k for run in runs for k in run.metrics})
            panel = ChartPanel(keys)
            await self.query_one("#charts-holder", Container).mount(panel)
            if not keys:
                panel.set_legend(Text("These runs logged no metrics.", style="dim"))
            read_charts(self, runs, keys, self._chart_read)
        panel.focus_first()

    def _chart_read(self, key: str, series: list[Series]) -> None:
        panel = self._charts
        if panel is None:
            return
        first = not any(c.loaded for c in panel.charts)
        panel.show(key, series, self.chart_settings)
        if first:
            text = legend(series, self.chart_settings)
            if len(self.runs) > MAX_CHART_RUNS:
                text.append(f"   (the first {MAX_CHART_RUNS} of {len(self.runs)} runs)",
                            style="dim")
            panel.set_legend(text)

    def on_metric_chart_activated(self, event: MetricChart.Activated) -> None:
        panel = self._charts
        keys = panel.keys if panel is not None else [event.chart.key]
        self.app.push_screen(ChartScreen(self.runs[:MAX_CHART_RUNS], keys, event.chart.key,
                                         self.chart_settings))

    # -- scatter and parallel ----------------------------------------------------------
    def fields(self) -> list[Column]:
        """What an axis can show: the runs' metrics, params, attributes, tags."""
        metrics = sorted({k for run in self.runs for k in run.metrics})
        params = sorted({k for run in self.runs for k in run.params})
        tags = sorted({k for run in self.runs for k in run.tags})
        return ([Column(METRIC, k) for k in metrics] + [Column(PARAM, k) for k in params]
                + [Column(ATTRIBUTE, a) for a in PLOTTABLE_ATTRIBUTES]
                + [Column(TAG, k) for k in tags])

    def _default_axes(self) -> tuple[Column | None, Column | None]:
        metrics = sorted({k for run in self.runs for k in run.metrics})
        guessed = [k for k in metrics if guess_direction(k)]
        y = Column(METRIC, (guessed or metrics)[0]) if metrics else None
        params = self._default_params()
        x = params[0] if params else Column(ATTRIBUTE, "start_time")
        return x, y

    def _default_params(self) -> list[Column]:
        """The params that differ, those holding numbers first (at most six)."""
        differing = [row for row in self.rows if row.section == "params" and row.differs]
        candidates = differing or [row for row in self.rows if row.section == "params"]
        candidates.sort(key=lambda row: not all(_is_number(v) for v in row.values
                                                if v is not None))
        return [Column(PARAM, row.key) for row in candidates[:PARALLEL_AXES]]

    def _over(self) -> dict:
        """Where the scatter and the parallel chart take their runs from."""
        if self.all_runs and self.query_all is not None:
            return {"query": self.query_all}
        return {"runs": self.runs}

    def _colors(self) -> dict[str, tuple[int, int, int]]:
        return {run.run_id: self.mltui.run_colors(run.run_id) for run in self.runs}

    def read_scatter(self) -> None:
        view = self.query_one("#scatter", PlotView)
        x, y = self.scatter_x, self.scatter_y
        if x is None or y is None:
            view.draw_with(None, "These runs logged no metrics: y picks another field")
            if y is None and x is None:
                return
        note = self.query_one("#scatter-note", Static)
        note.update(Text("reading…", style="dim"))
        view.draw_with(None, "reading…")
        if x is None or y is None:
            return
        run_blocking(self, partial(read_scatter, self.store, x, y, **self._over()),
                     done=self._scatter_read, group="compare-scatter")

    def _scatter_read(self, scatter: Scatter) -> None:
        self.scatter = scatter
        colors = self._colors()
        self.query_one("#scatter", PlotView).draw_with(
            partial(_draw_scatter, scatter, colors))
        note = Text()
        note.append(f"{scatter.y.label} against {scatter.x.label}: ", style="bold")
        note.append(count_of(len(scatter.xs), "run"))
        if self.all_runs:
            where = ("matching the filter" if self.query_all and self.query_all.filter
                     else "of the experiment" + ("s" if self.query_all and
                                                 len(self.query_all.experiment_ids) > 1
                                                 else ""))
            note.append(f" {where}" + (f" (the first {MAX_SCATTER:,})"
                                       if scatter.more else ""))
            note.append("; the marked runs in their colours", style="dim")
        if scatter.missing:
            note.append(f"; {count_of(scatter.missing, 'run')} without both values left out",
                        style="dim")
        self.query_one("#scatter-note", Static).update(note)

    def read_parallel(self) -> None:
        view = self.query_one("#parallel", PlotView)
        note = self.query_one("#parallel-note", Static)
        if not self.parallel_params or self.scatter_y is None:
            view.draw_with(None, "Pick params with x and a metric with y")
            note.update("")
            return
        note.update(Text("reading…", style="dim"))
        view.draw_with(None, "reading…")
        run_blocking(self, partial(read_parallel, self.store, self.parallel_params,
                                   self.scatter_y, **self._over()),
                     done=self._parallel_read, group="compare-parallel")

    def _parallel_read(self, parallel: Parallel) -> None:
        self.parallel = parallel
        colors = None if self.all_runs else self._colors()
        self.query_one("#parallel", PlotView).draw_with(
            partial(_draw_parallel, parallel, colors))
        note = Text()
        note.append(f"{count_of(len(parallel.run_ids), 'run')} across "
                    f"{count_of(len(parallel.axes) - 1, 'param')} to {parallel.axes[-1].label}",
                    style="bold")
        if self.all_runs:
            note.append(f" (the first {MAX_PARALLEL:,})" if parallel.more else "")
            note.append("; coloured from low (dark) to high (yellow)", style="dim")
        self.query_one("#parallel-note", Static).update(note)

    def action_pick_x(self) -> None:
        if self.active_tab == "tab-parallel":
            from .column_chooser import ColumnChooser

            available = [c for c in self.fields() if c.kind in (PARAM, ATTRIBUTE, TAG)]

            def chosen_params(columns: list[Column] | None) -> None:
                if columns is not None:
                    self.parallel_params = columns[:12]
                    self.read_parallel()

            self.app.push_screen(ColumnChooser(self.parallel_params, available),
                                 chosen_params)
            return
        self._pick("x axis", self.scatter_x, "x")

    def action_pick_y(self) -> None:
        self._pick("the metric (y)" if self.active_tab == "tab-parallel" else "y axis",
                   self.scatter_y, "y")

    def _pick(self, what: str, current: Column | None, which: str) -> None:
        from .field_picker import FieldPicker

        def picked(column: Column | None) -> None:
            if column is None:
                return
            if which == "x":
                self.scatter_x = column
            else:
                self.scatter_y = column
            self.scatter = self.parallel = None
            if self.active_tab == "tab-parallel":
                self.read_parallel()
            else:
                self.read_scatter()

        self.app.push_screen(FieldPicker(f"Pick the {what}", self.fields(), current), picked)

    def action_toggle_all(self) -> None:
        self.all_runs = not self.all_runs
        self.notify("Every run the filter matches" if self.all_runs else "The marked runs only")
        self.scatter = self.parallel = None
        if self.active_tab == "tab-parallel":
            self.read_parallel()
        else:
            self.read_scatter()

    def action_back(self) -> None:
        panel = self._charts
        if panel is not None and self.active_tab == "tab-charts" and panel.close_filter():
            return
        self.dismiss(None)


def _draw_scatter(scatter: Scatter, colors: dict, width: int, height: int) -> str:
    return render_scatter(scatter, width, height, highlight=colors)


def _draw_parallel(parallel: Parallel, colors: dict | None, width: int, height: int) -> str:
    return render_parallel(parallel, width, height, colors=colors)


def _is_number(value: object) -> bool:
    try:
        float(str(value))
    except ValueError:
        return False
    return True


def _key_cell(row: CompareRow) -> Text:
    text = Text(no_wrap=True)
    if row.section != "run":
        text.append(f"{row.section}.", style="dim")
    text.append(truncate(safe_text(row.key), 40), style="bold yellow" if row.differs else "")
    if row.direction:
        text.append(" ↓" if row.direction == "min" else " ↑", style="dim")
    return text


def _value_cell(row: CompareRow, index: int) -> Text:
    text = row.texts[index]
    justify: JustifyMethod = "right" if row.section == "metrics" else "left"
    if row.values[index] is None and not text:
        return Text("–", style="dim", justify=justify)
    shown = truncate(text, CELL_WIDTH)
    if index in row.best:
        return Text(f"★ {shown}", style="bold green", justify=justify)
    return Text(shown, style="yellow" if row.differs else "", justify=justify)

