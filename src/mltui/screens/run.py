"""One run: its info, params, latest metrics, tags, datasets and outputs."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static, TabbedContent, TabPane

from ..background import run_blocking
from ..store.entities import NOTE_TAG, Run, RunDetail
from ..textfmt import (
    STATUS_SYMBOLS,
    format_duration,
    format_number,
    format_timestamp,
    safe_multiline,
    safe_text,
)
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable


class RunScreen(Screen):
    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("r", "reload", "Reload", show=False),
    ]

    HELP = """\
A run's details: parameters, the latest value of each metric (with its step),
tags, the datasets it consumed and the models it logged. Keys with the mlflow.
prefix are MLflow's own system tags (user, source, parent run, note).
"""

    def __init__(self, run: Run):
        super().__init__()
        self.run = run
        self.detail: RunDetail | None = None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="run-info")
        with TabbedContent(initial="tab-metrics"):
            with TabPane("Metrics", id="tab-metrics"):
                yield VimTable(id="metrics", cursor_type="row", zebra_stripes=True)
            with TabPane("Params", id="tab-params"):
                yield VimTable(id="params", cursor_type="row", zebra_stripes=True)
            with TabPane("Tags", id="tab-tags"):
                yield VimTable(id="tags", cursor_type="row", zebra_stripes=True)
            with TabPane("Inputs / outputs", id="tab-io"), VerticalScroll():
                yield Static(id="io")
        yield Footer()

    def on_mount(self) -> None:
        self._show_info(self.run)
        self.action_reload()

    def action_reload(self) -> None:
        run_blocking(self, self.app.store.get_run, self.run.run_id, done=self._loaded,
                     group="run-detail")

    def action_back(self) -> None:
        self.app.pop_screen()

    def _show_info(self, run: Run) -> None:
        self.query_one(StatusBar).show(
            (self.app.store_label, "bold"),
            ("run", "dim"),
            (run.run_name or run.run_id, "bold cyan"),
            f"{STATUS_SYMBOLS.get(run.status, '?')} {run.status}",
            ("deleted", "red") if run.lifecycle_stage == "deleted" else None,
        )
        info = Text()
        rows = [
            ("Run ID", run.run_id),
            ("Experiment", run.experiment_id),
            ("Status", run.status),
            ("Started", format_timestamp(run.start_time)),
            ("Ended", format_timestamp(run.end_time)),
            ("Duration", format_duration(run.duration_ms)),
            ("User", run.user_id),
            ("Source", run.source),
            ("Parent run", run.parent_run_id or ""),
            ("Artifacts", run.artifact_uri),
        ]
        for label, value in rows:
            if value:
                info.append(f"{label:>11}  ", style="bold")
                info.append(safe_text(value) + "\n")
        note = run.tags.get(NOTE_TAG)
        if note:
            info.append("\n" + safe_multiline(note) + "\n", style="italic")
        self.query_one("#run-info", Static).update(info)

    def _loaded(self, detail: RunDetail) -> None:
        self.detail = detail
        run = detail.run
        self._show_info(run)
        metrics = self.query_one("#metrics", DataTable)
        metrics.clear(columns=True)
        metrics.add_columns("Metric", "Value", "Step", "Logged")
        for key in sorted(run.metrics):
            m = run.metrics[key]
            metrics.add_row(Text(safe_text(key)), format_number(m.value), str(m.step),
                            format_timestamp(m.timestamp))
        self._fill(self.query_one("#params", DataTable), ("Param", "Value"),
                   sorted(run.params.items()))
        self._fill(self.query_one("#tags", DataTable), ("Tag", "Value"), sorted(run.tags.items()))
        io = Text()
        io.append("Datasets\n", style="bold")
        for ds in detail.inputs:
            io.append(
                f"  {safe_text(ds.name)}  digest {safe_text(ds.digest)}"
                f"  context {safe_text(ds.context or '-')}  source {safe_text(ds.source_type)}\n"
            )
        if not detail.inputs:
            io.append("  none\n", style="dim")
        io.append("\nLogged models (outputs)\n", style="bold")
        for out in detail.outputs:
            io.append(f"  {safe_text(out.model_id)}  step {out.step}\n")
        if not detail.outputs:
            io.append("  none\n", style="dim")
        self.query_one("#io", Static).update(io)

    @staticmethod
    def _fill(table: DataTable, headers: tuple[str, str], items) -> None:
        table.clear(columns=True)
        table.add_columns(*headers)
        for key, value in items:
            table.add_row(Text(safe_text(key)), Text(safe_text(value)[:500]))
