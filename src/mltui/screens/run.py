"""One run: its info, params, latest metrics, charts, tags, datasets, outputs
and artifacts.

A RUNNING run refreshes on its own (the runs table's interval; `p` pauses),
long values open whole with enter, and the parent run is one key away.
"""

from __future__ import annotations

import time

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, VerticalScroll
from textual.timer import Timer
from textual.widgets import DataTable, Markdown, Static, TabbedContent, TabPane

from ..background import run_blocking
from ..store.entities import NOTE_TAG, Run, RunDetail
from ..textfmt import (
    STATUS_SYMBOLS,
    format_age,
    format_duration,
    format_number,
    format_timestamp,
    safe_multiline,
    safe_text,
)
from ..views.charts import ChartSettings, MetricSummary, Series, summarize
from ..views.run_detail import NameCache, RunView, load_run_view
from ..widgets.footer import KeysFooter
from ..widgets.metric_chart import ChartPanel, MetricChart
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable
from .artifact_browser import ArtifactBrowser
from .base import MltuiScreen
from .charts import CHART_ACTIONS, ChartScreen, ChartsTab, read_charts
from .detail import DetailTabs, add_field, key_value_at, key_value_rows, metric_at
from .theme_styles import status_style as status_style_of

TABS = ("tab-metrics", "tab-charts", "tab-params", "tab-tags", "tab-io", "tab-artifacts")


class RunScreen(DetailTabs, ChartsTab, MltuiScreen):
    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="run.back"),
        Binding("enter", "view_value", "Whole value", id="run.value"),
        Binding("y", "copy_id", "Copy run id", id="run.copy_id"),
        Binding("Y", "copy_value", "Copy value", show=False, id="run.copy_value"),
        Binding("U", "copy_artifact_uri", "Copy artifact URI", show=False,
                id="run.copy_artifact_uri"),
        Binding("P", "open_parent", "Parent run", id="run.parent"),
        Binding("p", "toggle_live", "Pause", show=False, id="run.live"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="run.reload"),
        Binding("1", "tab(0)", "Metrics tab", show=False, id="run.tab_metrics"),
        Binding("2", "tab(1)", "Charts tab", show=False, id="run.tab_charts"),
        Binding("3", "tab(2)", "Params tab", show=False, id="run.tab_params"),
        Binding("4", "tab(3)", "Tags tab", show=False, id="run.tab_tags"),
        Binding("5", "tab(4)", "Inputs/outputs tab", show=False, id="run.tab_io"),
        Binding("6", "tab(5)", "Artifacts tab", show=False, id="run.tab_artifacts"),
        Binding("a", "artifacts", "Artifacts", id="run.artifacts"),
        Binding("M", "logged_models", "Logged models", show=False, id="run.logged_models"),
        Binding("T,ctrl+t", "traces", "Traces", id="run.traces"),
        Binding("slash", "charts_filter", "Filter charts", id="run.charts_filter"),
        Binding("x", "charts_x", "X axis", id="run.charts_x"),
        Binding("s", "charts_smoothing", "Smoothing", id="run.charts_smooth"),
        Binding("L", "charts_log", "Log y", id="run.charts_log"),
        Binding("right_square_bracket", "next_tab(1)", "Next tab", show=False,
                id="run.next_tab"),
        Binding("left_square_bracket", "next_tab(-1)", "Previous tab", show=False,
                id="run.previous_tab"),
    ]

    HELP = """\
A run's details: the latest value of each metric (with its step, its lowest
and highest value and a sparkline of its history), a chart of each metric,
parameters, tags, the datasets it consumed and the models it logged. Keys with
the mlflow. prefix are MLflow's own system tags (user, source, parent run, note).

On the Charts tab, / keeps the metrics matching a pattern, enter opens a chart
full size (cursor, zoom, pan), x changes the x axis, s the smoothing, L the log
scale.

The Artifacts tab shows the run's files beside a preview of the one under the
cursor (logs, JSON, tables, images, MLmodel); a opens them full size, where
?-help lists the keys (/ find, s save, y copy URI, o open in $PAGER).
M lists the logged models the run produced (MLflow 3); enter opens one.

1 to 6 (or [ and ]) switch tabs. enter shows the value under the cursor whole
(a 5,000-character param scrolls; y there copies it). y copies the run id, Y the
value under the cursor, U the run's artifact URI. P opens the parent run of a
nested run. A RUNNING run refreshes every few seconds
(p pauses), its duration counting up. T lists the traces made while the run was
active (MLflow 3 links them through the trace metadata mlflow.sourceRun).
"""

    DEFAULT_CSS = """
    RunScreen #run-info { height: auto; padding: 0 1; }
    RunScreen #run-note { height: auto; max-height: 8; padding: 0 1;
                          border-bottom: solid $panel; }
    RunScreen #run-note.-empty { display: none; }
    """

    TABS = TABS
    TABLES = {"tab-metrics": "metrics", "tab-params": "params", "tab-tags": "tags"}

    def __init__(self, run: Run):
        super().__init__()
        self.run = run
        self.view: RunView | None = None
        self.live = True
        self._names = NameCache()
        self._timer: Timer | None = None
        self._note_shown: str | None = None
        self.summaries: dict[str, MetricSummary] = {}
        """Lowest, highest and a sparkline per metric key (read after the run)."""
        self.chart_settings = ChartSettings()
        self.stale: str | None = None
        """Why the last read failed (what is shown is from ``last_good``)."""
        self.reading = False
        """A read of the run is on its way."""
        self.last_good: float | None = None

    @property
    def detail(self) -> RunDetail | None:
        return self.view.detail if self.view else None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="run-info")
        with VerticalScroll(id="run-note", classes="-empty"):
            yield Markdown("", id="note")
        with TabbedContent(initial="tab-metrics"):
            with TabPane("1 Metrics", id="tab-metrics"):
                yield VimTable(id="metrics", cursor_type="row", zebra_stripes=True)
            with TabPane("2 Charts", id="tab-charts"):
                yield Container(id="charts-holder")
            with TabPane("3 Params", id="tab-params"):
                yield VimTable(id="params", cursor_type="row", zebra_stripes=True)
            with TabPane("4 Tags", id="tab-tags"):
                yield VimTable(id="tags", cursor_type="row", zebra_stripes=True)
            with TabPane("5 Inputs / outputs", id="tab-io"), VerticalScroll():
                yield Static(id="io")
            with TabPane("6 Artifacts", id="tab-artifacts"):
                yield Container(id="artifacts-holder")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#run-note").can_focus = False  # keys belong to the tables
        self.query_one("#metrics", DataTable).focus()
        self._show_info(self.run)
        self.action_reload()
        # the status colour comes from the theme
        self.watch(self.app, "theme", lambda _theme: self._show_info(self.run), init=False)

    # -- loading ------------------------------------------------------------------
    def action_reload(self) -> None:
        self.reading = True
        run_blocking(self, load_run_view, self.store, self.run.run_id, self._names,
                     done=self._loaded, failed=self._failed, group="run-detail")

    def _failed(self, message: str) -> None:
        # what was read stays on screen, marked stale; a followed run retries each tick
        self.reading = False
        # a RUNNING run whose first read failed (the server down) is followed all the
        # same: the timer starts after a good read, and would never start otherwise
        self._follow(self.run)
        if self.stale is None:
            retry = "retrying" if self._timer is not None and self.live else "r reads again"
            self.notify(f"{message} ({retry})", severity="warning")
        self.stale = message
        self._show_info(self.run)

    def _tick(self) -> None:
        # not while a read is on its way: the tick would cancel it (one exclusive
        # group), and a read slower than the interval would never arrive
        if self.live and self.app.screen is self and not self.reading:
            self.action_reload()

    def _follow(self, run: Run) -> None:
        """Refresh while the run is RUNNING (the runs table's interval)."""
        interval = self.mltui.settings.refresh_interval
        running = run.status in ("RUNNING", "SCHEDULED")
        if running and interval > 0 and self._timer is None:
            self._timer = self.set_interval(interval, self._tick, pause=not self.live)
        elif not running and self._timer is not None:
            self._timer.stop()
            self._timer = None

    def action_toggle_live(self) -> None:
        if self._timer is None:
            self.notify("Only a RUNNING run refreshes (and refresh_interval > 0)")
            return
        self.live = not self.live
        if self.live:
            self._timer.resume()
            self.action_reload()
        else:
            self._timer.pause()
        self._show_info(self.run)

    def action_back(self) -> None:
        if self._charts is not None and self._on_charts() and self._charts.close_filter():
            return
        self.app.pop_screen()

    # -- header -------------------------------------------------------------------
    def _show_info(self, run: Run) -> None:
        view = self.view
        live = None
        if self._timer is not None:
            live = ("live ●", "green", 8) if self.live else ("paused", "yellow", 8)
        if self.stale is not None:
            read = time.strftime("%H:%M:%S", time.localtime(self.last_good)) \
                if self.last_good else "never"
            live = (f"stale: last read {read}", "bold red", 10)
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("run", "dim", 2),
            (run.run_name or run.run_id, "bold cyan", 6),
            (f"{STATUS_SYMBOLS.get(run.status, '?')} {run.status}", "", 7),
            ("deleted", "red", 9) if run.lifecycle_stage == "deleted" else None,
            live,
        )
        # one line per field group, cut at the edge: the tables below keep their room
        info = Text(no_wrap=True, overflow="ellipsis")
        status_style = status_style_of(self.app, run.status)
        info.append(safe_text(run.run_name or run.run_id), style="bold")
        info.append(f"  {STATUS_SYMBOLS.get(run.status, '?')} {safe_text(run.status)}",
                    style=status_style)
        duration = run.duration_ms
        if duration is None and run.status in ("RUNNING", "SCHEDULED") and run.start_time:
            duration = max(0, int(time.time() * 1000) - run.start_time)
            info.append(f"  {format_duration(duration)} so far")
        elif duration is not None:
            info.append(f"  {format_duration(duration)}")
        if run.start_time:
            info.append(f"  started {format_timestamp(run.start_time)} "
                        f"({format_age(run.start_time)})", style="dim")
        info.append("\n")
        experiment = view.experiment_name if view else ""
        add_field(info, "experiment", f"{experiment} ({run.experiment_id})" if experiment
                  else run.experiment_id)
        add_field(info, "user", run.user_id)
        add_field(info, "source", run.source)
        info.append("\n")
        add_field(info, "run id", run.run_id)
        if run.parent_run_id:
            name = (view.parent_name if view else "") or run.parent_run_id
            info.append("  parent ", style="dim")
            # clickable, and P opens it
            info.append(safe_text(name), style=Style(underline=True, bold=True,
                                                     meta={"@click": "screen.open_parent"}))
            info.append(" (P)", style="dim")
        info.append("\n")
        add_field(info, "artifacts", run.artifact_uri)
        self.query_one("#run-info", Static).update(info)
        note = run.tags.get(NOTE_TAG, "")
        if note != self._note_shown:
            # Markdown re-renders its whole tree: only when the note changed
            self._note_shown = note
            self.query_one("#note", Markdown).update(safe_multiline(note))
            self.query_one("#run-note").set_class(not note, "-empty")

    def _loaded(self, view: RunView) -> None:
        self.reading = False
        self.view = view
        self.stale, self.last_good = None, time.time()
        run = view.detail.run
        self.run = run
        self._follow(run)
        self._show_info(run)
        self._fill_metrics()
        self._read_summaries()
        if self._charts is not None and self._on_charts():
            read_charts(self, [run], self._charts.keys, self._chart_read)
        self.query_one("#params", VimTable).fill(("Param", "Value"), key_value_rows(run.params))
        self.query_one("#tags", VimTable).fill(("Tag", "Value"), key_value_rows(run.tags))
        detail = view.detail
        io = Text()
        capabilities = self.store.capabilities
        if capabilities.datasets:
            io.append("Datasets\n", style="bold")
            for ds in detail.inputs:
                io.append(
                    f"  {safe_text(ds.name)}  digest {safe_text(ds.digest)}  context "
                    f"{safe_text(ds.context or '-')}  source {safe_text(ds.source_type)}\n"
                )
            if not detail.inputs:
                io.append("  none\n", style="dim")
        if capabilities.logged_models:
            io.append("\nLogged models (outputs; M opens them)\n", style="bold")
            for out in detail.outputs:
                io.append(f"  {safe_text(out.model_id)}  step {out.step}\n")
            if not detail.outputs:
                io.append("  none\n", style="dim")
        self.query_one("#io", Static).update(io)

    def _fill_metrics(self) -> None:
        def cell(value: float | None) -> Text:
            return Text("…" if value is None else format_number(value), justify="right")

        rows = []
        for key, m in sorted(self.run.metrics.items()):
            summary = self.summaries.get(key)
            rows.append((
                Text(safe_text(key)), Text(format_number(m.value), justify="right"),
                cell(summary.low if summary else None), cell(summary.high if summary else None),
                Text(summary.trend if summary else "", style="cyan"),
                str(m.step), format_timestamp(m.timestamp),
            ))
        self.query_one("#metrics", VimTable).fill(
            ("Metric", "Value", "Min", "Max", "History", "Step", "Logged"), rows)

    def _read_summaries(self) -> None:
        run_id, keys, store = self.run.run_id, sorted(self.run.metrics), self.store

        def read() -> dict[str, MetricSummary]:
            return {key: summarize(store, run_id, key) for key in keys}

        def done(found: dict[str, MetricSummary]) -> None:
            self.summaries = found
            self._fill_metrics()

        run_blocking(self, read, done=done, failed=lambda _m: None, group="run-summaries")

    # -- charts tab ---------------------------------------------------------------------
    def _on_charts(self) -> bool:
        return self.query_one(TabbedContent).active == "tab-charts"

    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-artifacts":
            await self._show_artifacts()
            return
        if event.pane.id != "tab-charts":
            return
        panel = self._charts
        if panel is None:
            # built when first shown: reading every history costs the other tabs nothing
            panel = ChartPanel(sorted(self.run.metrics))
            await self.query_one("#charts-holder", Container).mount(panel)
            read_charts(self, [self.run], sorted(self.run.metrics), self._chart_read)
        if not isinstance(self.focused, MetricChart):
            panel.focus_first()  # the table that had focus is hidden now
        self.refresh_bindings()

    async def _show_artifacts(self) -> None:
        holder = self.query_one("#artifacts-holder", Container)
        browsers = holder.query(ArtifactBrowser)
        if not browsers:
            # listed when first shown, like the charts: the other tabs pay nothing
            await holder.mount(ArtifactBrowser(self.run.run_id))
        else:
            browsers.first().artifact_tree.focus()
        self.refresh_bindings()

    def action_artifacts(self) -> None:
        from .artifacts import ArtifactsScreen

        self.app.push_screen(ArtifactsScreen([self.run]))

    def action_logged_models(self) -> None:
        """The logged models this run produced (its outputs), each one enter away."""
        from .logged_models import LoggedModelsScreen

        if not self.store.capabilities.logged_models:
            self.notify("This store has no logged models", severity="warning")
            return
        name = self.view.experiment_name if self.view else ""
        self.app.push_screen(LoggedModelsScreen([self.run.experiment_id], name, run=self.run))

    def action_traces(self) -> None:
        from .traces import open_traces

        run = self.run
        open_traces(self, [run.experiment_id], run_id=run.run_id, run_name=run.run_name)

    def _chart_read(self, key: str, series: list[Series]) -> None:
        if self._charts is not None:
            self._charts.show(key, series, self.chart_settings)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # the chart keys exist on the Charts tab only
        if action in CHART_ACTIONS:
            return self._on_charts()
        return super().check_action(action, parameters)

    def on_metric_chart_activated(self, event: MetricChart.Activated) -> None:
        keys = self._charts.keys if self._charts is not None else [event.chart.key]
        self.app.push_screen(ChartScreen([self.run], keys, event.chart.key,
                                         self.chart_settings))

    # -- keys ---------------------------------------------------------------------
    def _row_value(self, table_id: str, row: int) -> tuple[str, str] | None:
        run = self.run
        if table_id == "metrics":
            return metric_at(sorted(run.metrics.items()), row)
        return key_value_at(table_id[:-1], run.params if table_id == "params" else run.tags,
                            row)

    def action_copy_id(self) -> None:
        from .clipboard import copy_text

        copy_text(self, self.run.run_id, "run id")

    def action_copy_value(self) -> None:
        """The whole value of the row under the cursor (metrics, params, tags)."""
        from .clipboard import copy_text

        found = self._current_value()
        if found is not None:
            copy_text(self, found[1], found[0])

    def action_copy_artifact_uri(self) -> None:
        from .clipboard import copy_text

        copy_text(self, self.run.artifact_uri, "artifact URI")

    def action_open_parent(self) -> None:
        parent = self.run.parent_run_id
        if not parent:
            self.notify("This run has no parent run", severity="warning")
            return

        def opened(detail: RunDetail) -> None:
            self.app.push_screen(RunScreen(detail.run))

        run_blocking(self, self.store.get_run, parent, done=opened, group="open-parent")

    def _focus_other_tab(self, active: str) -> None:
        if active == "tab-charts" and self._charts is not None:
            self._charts.focus_first()
        elif active == "tab-artifacts":
            for browser in self.query(ArtifactBrowser):
                browser.artifact_tree.focus()
