"""The first screen: every experiment, filtered as you type."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from ..background import run_blocking
from ..store.entities import NOTE_TAG, Experiment, ViewType
from ..store.errors import AuthError
from ..textfmt import count_of, first_line, format_relative, safe_text, truncate
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable
from . import edits
from .base import MltuiScreen
from .registry_dialogs import TagsDialog, TextEditor

SORTS = ("name", "last activity", "id")
RETRY_SECONDS = 5.0
"""After a failed load the list is asked again this often, until it answers; not
after a refusal (401/403): credentials do not fix themselves, r asks again."""


NAME_WIDTH = 60
"""Cells of an experiment's name in the table (the whole name shows once opened)."""


class _Refused:
    """A list the server refused (:class:`AuthError`): shown as a failure that is not
    retried on its own."""

    def __init__(self, message: str) -> None:
        self.message = message


class ExperimentsScreen(MltuiScreen):
    BINDINGS = [
        Binding("slash,f", "filter", "Filter", id="experiments.filter"),
        Binding("s", "sort", "Sort", id="experiments.sort"),
        Binding("x", "toggle_deleted", "Deleted", id="experiments.deleted"),
        Binding("space", "mark", "Mark", id="experiments.mark"),
        Binding("enter", "open", "Open runs", id="experiments.open"),
        Binding("T,ctrl+t", "traces", "Traces", id="experiments.traces"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="experiments.reload"),
        Binding("escape", "escape", "Clear", show=False, id="experiments.escape"),
        Binding("n", "create", "New", id="experiments.create"),
        Binding("N", "rename", "Rename", show=False, id="experiments.rename"),
        Binding("d", "describe", "Describe", show=False, id="experiments.describe"),
        Binding("t", "tags", "Tags", show=False, id="experiments.tags"),
        Binding("D,delete", "delete", "Delete", show=False, id="experiments.delete"),
        Binding("R", "restore", "Restore", show=False, id="experiments.restore"),
        Binding("u", "undo", "Undo", show=False, id="experiments.undo"),
        Binding("M", "logged_models", "Logged models", show=False,
                id="experiments.logged_models"),
        Binding("y", "copy_id", "Copy id", show=False, id="experiments.copy_id"),
        Binding("U", "copy_artifact_uri", "Copy artifact location", show=False,
                id="experiments.copy_artifact_uri"),
    ]

    HELP = """\
An experiment groups the runs of one project or question. / filters by name as
you type; s sorts by name, last activity or id; x shows deleted experiments too.
Mark several with space and press enter to see their runs together in one table,
as MLflow's UI does when you tick several experiments. T shows the traces (MLflow
3's records of LLM requests) of the experiment under the cursor, or of the marked ones.

n creates an experiment (name, then optional artifact location), N renames the
one under the cursor, d edits its description (Markdown, the mlflow.note.content
tag), t its tags. D deletes it with MLflow's soft delete (its runs stay, marked
deleted with it; u undoes for a few seconds); x shows deleted experiments and R
restores the one under the cursor. Each change is confirmed first.

M lists the experiment's logged models (MLflow 3's log_model).
y copies the experiment's id, U its artifact location (OSC 52; the message shows
the text too, for a terminal that refuses).
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
        self.listing = False
        """A list is being read (not Textual's ``loading``, which blanks the screen)."""
        """A list is in flight."""
        self.last_good: float | None = None
        """When the list on screen was read (time.time()); None before the first."""
        self._retry_timer: Timer | None = None
        self._retry_due = False
        self.retrying = False
        """A failed load is asked again every RETRY_SECONDS (not after a refusal)."""

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
        elif self._retry_due:  # a retry fell due while another screen was on top
            self._retry()
        self.update_status()

    def action_reload(self) -> None:
        self._cancel_retry()
        self.listing = True
        self.update_status()
        run_blocking(self, self._list, self.view, done=self._answered,
                     failed=self._failed, group="experiments")

    def _list(self, view: ViewType) -> list[Experiment] | _Refused:
        """(In a worker.) The experiments, or the server's refusal."""
        try:
            return self.store.list_experiments(view)
        except AuthError as exc:
            return _Refused(str(exc))

    def _answered(self, answer: list[Experiment] | _Refused) -> None:
        if isinstance(answer, _Refused):
            self._failed(answer.message, retry=False)
        else:
            self._loaded(answer)

    def _failed(self, message: str, retry: bool = True) -> None:
        self.listing = False
        first = self.error is None
        self.error = message
        self.retrying = retry
        if self.last_good is not None:
            # the last good list stays, marked stale in the status bar; said once
            if first:
                self.notify(f"Cannot refresh the experiments: {message}",
                            severity="warning", timeout=8)
        else:
            # in the screen, where it stays: an empty list would look like an empty store
            self.add_class("-failed")
            self.query_one("#load-error", Static).update(Text.assemble(
                ("Cannot list the experiments of ", "bold"),
                (safe_text(self.mltui.store_label), "bold"),
                "\n\n", safe_text(message), "\n\n",
                (f"retrying every {RETRY_SECONDS:g} s   r retries now   q quits" if retry else
                 "not retried on its own (a refused login does not fix itself)   r retries   "
                 "q quits", "dim"),
            ))
        if retry:
            self._schedule_retry()
        else:
            self._cancel_retry()
        self.update_status()

    def _schedule_retry(self) -> None:
        self._cancel_retry()
        self._retry_timer = self.set_timer(RETRY_SECONDS, self._retry)

    def _cancel_retry(self) -> None:
        self._retry_due = False
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None

    def _retry(self) -> None:
        self._retry_timer = None
        if self.error is None or self.listing:
            return
        if not self.is_current:  # asked again when shown (on_screen_resume)
            self._retry_due = True
            return
        self.action_reload()

    def _loaded(self, experiments: list[Experiment]) -> None:
        self.listing = False
        self.error = None
        self.retrying = False
        self.last_good = time.time()
        self._cancel_retry()
        self.remove_class("-failed")
        self.experiments = experiments
        self.mltui.show_store_warning()
        self._fill_table()

    def update_status(self) -> None:
        stale = self.error is not None and self.last_good is not None
        count = (
            "loading…" if self.listing and not stale else
            "not loaded" if self.error and not stale else
            f"{len(self.shown)} of {len(self.experiments)} experiments"
        )
        since = (time.strftime("%H:%M:%S", time.localtime(self.last_good))
                 if self.last_good is not None else "")
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("experiments", "bold cyan", 6),
            (count, "", 7),
            (f"stale: last read {since}" + (", retrying" if self.retrying else ", r retries"),
             "bold red", 8) if stale else None,
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
            # one long name must not push the other columns off the screen
            name.truncate(NAME_WIDTH, overflow="ellipsis")
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

    def action_traces(self) -> None:
        from .traces import open_traces

        chosen = [e for e in self.experiments if e.experiment_id in self.marks]
        if not chosen and self.current is not None:
            chosen = [self.current]
        if chosen:
            open_traces(self, [e.experiment_id for e in chosen], names=[e.name for e in chosen])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_logged_models(self) -> None:
        """MLflow 3's logged models of the experiment under the cursor."""
        from .logged_models import LoggedModelsScreen

        exp = self.current
        if exp is None:
            return
        if not self.store.capabilities.logged_models:
            self.notify("This store has no logged models", severity="warning")
            return
        self.app.push_screen(LoggedModelsScreen([exp.experiment_id], exp.name))

    def action_copy_id(self) -> None:
        from .clipboard import copy_text

        if (exp := self.current) is not None:
            copy_text(self, exp.experiment_id, "experiment id")

    def action_copy_artifact_uri(self) -> None:
        from .clipboard import copy_text

        if (exp := self.current) is not None:
            copy_text(self, exp.artifact_location or "", "artifact location")

    # -- edits -------------------------------------------------------------------------
    def _after_edit(self, _result: object = None) -> None:
        self.action_reload()

    def action_create(self) -> None:
        if edits.refuse_read_only(self, "experiments cannot be created"):
            return

        def named(name: str) -> None:
            # a taken name is said before the location is asked for; a tracking
            # server answers it with its database's raw constraint error
            run_blocking(self, self.store.get_experiment_by_name, name,
                         done=lambda found: taken(name, found) if found else ask_where(name),
                         group="experiment-name")

        def taken(name: str, found: Experiment) -> None:
            deleted = found.lifecycle_stage == "deleted"
            self.notify(f"An experiment named {name!r} exists already" + (
                " (deleted: x shows deleted experiments, R restores it)" if deleted else ""),
                severity="error", markup=False)

        def ask_where(name: str) -> None:
            edits.ask_text(self, f"Artifact location of {name}", "",
                           lambda where: create(name, where), allow_same=True,
                           body="Empty: the store's default (MLflow's rule).")

        def create(name: str, where: str) -> None:
            body = f"Create the experiment {name!r}" + (f"\nartifacts at {where}" if where
                                                        else "")
            edits.confirm_write(self, "Create experiment", body, "Create",
                                self.store.create_experiment, name, where.strip() or None,
                                done_message=f"Created experiment {name}",
                                after=self._after_edit)

        edits.ask_text(self, "New experiment: name", "", named)

    def action_rename(self) -> None:
        exp = self.current
        if exp is None or edits.refuse_read_only(self, "experiments cannot be renamed"):
            return

        def renamed(name: str) -> None:
            edits.confirm_write(
                self, "Rename experiment", f"{exp.name!r} → {name!r}", "Rename",
                self.store.rename_experiment, exp.experiment_id, name, exp.name,
                done_message=f"Renamed to {name}", after=self._after_edit)

        edits.ask_text(self, f"Rename experiment {exp.name}", exp.name, renamed)

    def action_describe(self) -> None:
        exp = self.current
        if exp is None or edits.refuse_read_only(self, "descriptions cannot be edited"):
            return
        old = exp.tags.get(NOTE_TAG, "")

        def saved(text: str | None) -> None:
            if text is None or text == old:
                return
            edits.write(self, self.store.set_experiment_tag, exp.experiment_id, NOTE_TAG, text,
                        done_message=f"Saved the description of {exp.name}",
                        after=self._after_edit)

        self.app.push_screen(TextEditor(f"Description of experiment {exp.name}", old), saved)

    def action_tags(self) -> None:
        exp = self.current
        if exp is None or edits.refuse_read_only(self, "tags cannot be changed"):
            return
        eid = exp.experiment_id
        dialog: TagsDialog

        def change(fn, *args) -> None:
            def job() -> dict[str, str]:
                fn(*args)
                return self.store.get_experiment(eid).tags

            run_blocking(self, job, done=dialog.show_tags, group="experiment-tags",
                         failed=lambda m: self.notify(m, severity="error", timeout=10))

        dialog = TagsDialog(
            f"experiment {exp.name}", exp.tags,
            lambda k, v: change(self.store.set_experiment_tag, eid, k, v),
            lambda k: change(self.store.delete_experiment_tag, eid, k),
        )
        self.app.push_screen(dialog, lambda _: self.action_reload())

    def action_delete(self) -> None:
        exp = self.current
        if exp is None or edits.refuse_read_only(self, "experiments cannot be deleted"):
            return
        if exp.lifecycle_stage == "deleted":
            self.notify(f"{exp.name} is already deleted (R restores it)", severity="warning")
            return
        runs = f" and its {count_of(exp.run_count, 'run')}" if exp.run_count else ""
        edits.confirm_write(
            self, "Delete experiment",
            f"Delete {exp.name!r}{runs} (MLflow's soft delete: x shows it, R restores it; "
            "the garbage collector of mlflow gc removes it for good)",
            "Delete", self.store.delete_experiment, exp.experiment_id,
            done_message=f"Deleted experiment {exp.name}", after=self._after_edit, danger=True,
            undo=edits.new_undo(f"restore {exp.name}", self.store.restore_experiment,
                                exp.experiment_id))

    def action_restore(self) -> None:
        exp = self.current
        if exp is None or edits.refuse_read_only(self, "experiments cannot be restored"):
            return
        if exp.lifecycle_stage != "deleted":
            self.notify("Not deleted: x shows deleted experiments, then R restores one",
                        severity="warning")
            return
        edits.confirm_write(self, "Restore experiment", f"Restore {exp.name!r} and its runs",
                            "Restore", self.store.restore_experiment, exp.experiment_id,
                            done_message=f"Restored experiment {exp.name}",
                            after=self._after_edit)

    def action_undo(self) -> None:
        edits.run_undo(self, after=self._after_edit)
