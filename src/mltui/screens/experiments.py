"""The first screen: every experiment, filtered as you type."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static

from ..background import run_blocking
from ..store.entities import NOTE_TAG, Experiment, ViewType
from ..textfmt import first_line, format_relative, safe_text, truncate
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable
from .base import MltuiScreen

SORTS = ("name", "last activity", "id")


class ExperimentsScreen(MltuiScreen):
    BINDINGS = [
        Binding("slash,f", "filter", "Filter", id="experiments.filter"),
        Binding("s", "sort", "Sort", id="experiments.sort"),
        Binding("x", "toggle_deleted", "Deleted", id="experiments.deleted"),
        Binding("space", "mark", "Mark", id="experiments.mark"),
        Binding("enter", "open", "Open runs", id="experiments.open"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="experiments.reload"),
        Binding("escape", "escape", "Clear", show=False, id="experiments.escape"),
    ]

    HELP = """\
An experiment groups the runs of one project or question. / filters by name as
you type; s sorts by name, last activity or id; x shows deleted experiments too.
Mark several with space and press enter to see their runs together in one table,
as MLflow's UI does when you tick several experiments.
"""

    DEFAULT_CSS = """
    ExperimentsScreen > Input { display: none; border: tall $accent; }
    ExperimentsScreen > Input.visible { display: block; }
    ExperimentsScreen > DataTable { height: 1fr; }
    ExperimentsScreen > #load-error { display: none; color: $error; padding: 1 2; }
    ExperimentsScreen.-failed > #load-error { display: block; }
    ExperimentsScreen.-failed > DataTable { display: none; }
    """

    def __init__(self, defer_load: bool = False) -> None:
        super().__init__()
        self.defer_load = defer_load
        self.experiments: list[Experiment] = []
        self.shown: list[Experiment] = []
        self.marks: set[str] = set()
        self.sort = "name"
        self.view = ViewType.ACTIVE
        self.filter_text = ""
        self._loaded_once = False
        self.error: str | None = None
        """Why the last load failed (shown in the screen, not as a toast)."""

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(placeholder="filter experiments by name", id="experiment-filter")
        yield Static(id="load-error")
        yield VimTable(id="experiments", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#experiments", DataTable)

    @property
    def _counts(self) -> bool:
        """The store counts runs (a tracking server cannot: no Runs column there)."""
        return self.store.capabilities.run_counts

    def on_mount(self) -> None:
        columns = ["", "Name", "ID", "Runs", "Last activity", "Description", "Tags"]
        if not self._counts:
            columns.remove("Runs")
        self.table.add_columns(*columns)
        self.table.focus()

    def on_screen_resume(self) -> None:
        # Load when first really shown: with --experiment the runs screen opens
        # on top at once, and this list must not compete with it for the store.
        if self.defer_load:
            self.defer_load = False
            return
        if not self._loaded_once:
            self._loaded_once = True
            self.action_reload()
        self.update_status()

    def action_reload(self) -> None:
        self.update_status(loading=True)
        run_blocking(self, self.store.list_experiments, self.view, done=self._loaded,
                     failed=self._failed, group="experiments")

    def _failed(self, message: str) -> None:
        # in the screen, where it stays: an empty list would look like an empty store
        self.error = message
        self.add_class("-failed")
        self.query_one("#load-error", Static).update(Text.assemble(
            ("Cannot list the experiments of ", "bold"),
            (safe_text(self.mltui.store_label), "bold"),
            "\n\n", safe_text(message), "\n\n",
            ("r retries   q quits", "dim"),
        ))
        self.update_status()

    def _loaded(self, experiments: list[Experiment]) -> None:
        self.error = None
        self.remove_class("-failed")
        self.experiments = experiments
        self.mltui.show_store_warning()
        self._fill_table()

    def update_status(self, loading: bool = False) -> None:
        count = (
            "loading…" if loading else "not loaded" if self.error else
            f"{len(self.shown)} of {len(self.experiments)} experiments"
        )
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("experiments", "bold cyan", 6),
            (count, "", 7),
            (f"{len(self.marks)} marked", "bold yellow", 9) if self.marks else None,
            (f"filter: {self.filter_text}", "magenta", 9) if self.filter_text else None,
            (f"sort: {self.sort}", "", 3),
            ("incl. deleted", "red", 9) if self.view != ViewType.ACTIVE else None,
            ("read-only", "bold", 9) if self.store.read_only else None,
        )

    def _sorted(self, items: list[Experiment]) -> list[Experiment]:
        if self.sort == "name":
            return sorted(items, key=lambda e: e.name.lower())
        if self.sort == "id":
            return sorted(items, key=lambda e: (len(e.experiment_id), e.experiment_id))
        return sorted(items, key=lambda e: -(e.last_activity or 0))

    def _fill_table(self) -> None:
        table = self.table
        current = self.current
        needle = self.filter_text.lower()
        self.shown = self._sorted(
            [e for e in self.experiments if needle in e.name.lower()] if needle else
            list(self.experiments)
        )
        table.clear()
        for exp in self.shown:
            tags = ", ".join(f"{k}={v}" for k, v in sorted(exp.tags.items())
                             if not k.startswith("mlflow."))
            name = Text(safe_text(exp.name))
            if exp.lifecycle_stage == "deleted":
                name.stylize("strike dim")
            cells = [
                Text("●", style="bold yellow") if exp.experiment_id in self.marks else "",
                name,
                Text(safe_text(exp.experiment_id)),
                Text("" if exp.run_count is None else f"{exp.run_count:,}", justify="right"),
                format_relative(exp.last_activity),
                Text(truncate(safe_text(first_line(exp.tags.get(NOTE_TAG))), 40)),
                Text(truncate(safe_text(tags), 40)),
            ]
            if not self._counts:
                del cells[3]
            table.add_row(*cells, key=exp.experiment_id)
        if current is not None and current in self.shown:
            table.move_cursor(row=self.shown.index(current))
        self.update_status()

    @property
    def current(self) -> Experiment | None:
        row = self.table.cursor_row
        if 0 <= row < len(self.shown):
            return self.shown[row]
        return None

    # -- actions -------------------------------------------------------------------
    def action_filter(self) -> None:
        box = self.query_one("#experiment-filter", Input)
        box.add_class("visible")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self._fill_table()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.table.focus()
        if not event.value.strip():
            event.input.remove_class("visible")

    def action_escape(self) -> None:
        box = self.query_one("#experiment-filter", Input)
        if box.has_focus or self.filter_text:
            box.value = ""
            box.remove_class("visible")
            self.table.focus()
        elif self.marks:
            self.marks.clear()
            self._fill_table()

    def action_sort(self) -> None:
        self.sort = SORTS[(SORTS.index(self.sort) + 1) % len(SORTS)]
        self._fill_table()

    def action_toggle_deleted(self) -> None:
        self.view = ViewType.ALL if self.view == ViewType.ACTIVE else ViewType.ACTIVE
        self.action_reload()

    def action_mark(self) -> None:
        exp = self.current
        if exp is None:
            return
        self.marks.symmetric_difference_update({exp.experiment_id})
        row = self.table.cursor_row
        self._fill_table()
        self.table.move_cursor(row=min(row + 1, len(self.shown) - 1))

    def action_open(self) -> None:
        # marked ones count even when the filter hides them now
        chosen = [e for e in self.experiments if e.experiment_id in self.marks]
        if not chosen and self.current is not None:
            chosen = [self.current]
        if chosen:
            self.mltui.open_runs(chosen)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()





