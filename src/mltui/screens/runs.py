"""The runs of one or several experiments: filter, sort, columns, tree, marks,
live refresh, delete / restore and CSV export."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import Static

from ..background import run_blocking
from ..columns import DEFAULT_ATTRIBUTES, Column, parse_column
from ..completion import KeyIndex
from ..config import columns_key
from ..store.entities import Experiment, Run, RunKeys, ViewType
from ..store.query import RunQuery
from ..store.search import ATTRIBUTE, METRIC, PARAM, TAG, parse_filter
from ..textfmt import count_of
from ..views.charts import MAX_RUNS
from ..views.export import export_runs, problem_with_path
from ..views.prefetch import FirstPage
from ..views.run_pages import (
    LoadedPage,
    count_rows,
    iter_marked,
    load_children,
    load_page,
    reload_pages,
    runs_by_id,
)
from ..views.run_rows import RunRows
from ..widgets.filter_bar import FilterBar
from ..widgets.footer import KeysFooter
from ..widgets.runs_table import RunsTable
from ..widgets.status_bar import StatusBar
from . import edits, run_edits
from .column_chooser import ColumnChooser
from .dialogs import ConfirmDialog
from .paged import MltuiPagedScreen

MAX_DEFAULT_METRICS = 10
MAX_DEFAULT_PARAMS = 10
_VIEW_CYCLE = [ViewType.ACTIVE, ViewType.ALL, ViewType.DELETED]


class RunsScreen(MltuiPagedScreen[LoadedPage]):
    """Runs table for ``experiments`` (several are shown together, as MLflow does)."""

    BINDINGS = [
        Binding("slash,f", "filter", "Filter", id="runs.filter"),
        Binding("s", "sort", "Sort", id="runs.sort"),
        Binding("S", "clear_sort", "Default sort", show=False, id="runs.clear_sort"),
        Binding("c", "columns", "Columns", id="runs.columns"),
        Binding("space", "space", "Mark", id="runs.mark"),
        Binding("A", "mark_all", "Mark all", id="runs.mark_all"),
        Binding("enter", "enter", "Open", id="runs.open"),
        Binding("o", "toggle_expand", "Expand", show=False, id="runs.expand"),
        Binding("t", "toggle_tree", "Tree", id="runs.tree"),
        Binding("x", "cycle_view", "Deleted", id="runs.view"),
        Binding("D,delete", "delete", "Delete", id="runs.delete"),
        Binding("R", "restore", "Restore", show=False, id="runs.restore"),
        Binding("e", "export", "Export", id="runs.export"),
        Binding("v", "charts", "Charts", id="runs.charts"),
        Binding("C", "compare", "Compare", id="runs.compare"),
        Binding("a", "artifacts", "Artifacts", show=False, id="runs.artifacts"),
        Binding("M", "logged_models", "Logged models", show=False, id="runs.logged_models"),
        Binding("N", "rename", "Rename", show=False, id="runs.rename"),
        Binding("T", "tags", "Tags", show=False, id="runs.tags"),
        Binding("ctrl+t", "traces", "Traces", id="runs.traces"),
        Binding("n", "note", "Note", show=False, id="runs.note"),
        Binding("u", "undo", "Undo", show=False, id="runs.undo"),
        Binding("p", "toggle_live", "Pause", show=False, id="runs.live"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="runs.reload"),
        Binding("w", "view_value", "Whole value", show=False, id="runs.value"),
        Binding("y", "copy_id", "Copy run id", show=False, id="runs.copy_id"),
        Binding("Y", "copy_value", "Copy value", show=False, id="runs.copy_value"),
        Binding("U", "copy_artifact_uri", "Copy artifact URI", show=False,
                id="runs.copy_artifact_uri"),
        Binding("escape", "escape", "Clear/back", show=False, id="runs.escape"),
        Binding("backspace", "back", "Back", show=False, id="runs.back"),
    ]

    HELP = """\
The runs table shows the runs of the chosen experiments, fetched page by page
from the store, so it stays fast with 100,000 runs.

Status: ▶ running  ✔ finished  ✘ failed  ■ killed  ◷ scheduled. In tree view ▸
marks a parent (o opens it), └ its children, ⊘ a run whose parent is deleted.

Filter with MLflow's search syntax: metrics.acc > 0.9 AND params.lr = '0.01'.
Keys with spaces or slashes go in backticks: metrics.`val/loss` < 0.3.
Strings take quotes; LIKE / ILIKE use % and _ as wildcards; AND only (no OR).
tab completes keys (again: the next match). escape clears the filter.

Sorting happens in the store: s sorts by the focused column (press again to
flip), S returns to MLflow's default (newest first). h/l move between columns.

Nested runs (a sweep's children) sit under their parent in tree view: o, or
enter/space on the name column, opens a parent (space marks any other row).
With a filter the list is flat.

space marks runs (A marks all that match; the marks stay when you leave and come
back, escape clears them). v draws charts of the marked runs (or the run under the
cursor), each run in its own colour; C compares 2 to 50 marked runs side by side;
a browses the artifacts of the run (n / N: the same file in the next marked run).
e exports the marked runs, or every match, to CSV; D deletes the marked runs (or
the one under the cursor) with MLflow's soft delete: x shows deleted runs and R
restores them (u, right after, undoes the delete). N renames the run under the
cursor, n edits its note; T edits its tags, or sets (key=value) or deletes (-key)
one tag on every marked run in one confirmed step. w shows the focused cell's
value whole; y copies the run id, Y the focused cell's value, U the run's
artifact URI. Runs that are RUNNING refresh every few seconds (p pauses).
ctrl+t shows the traces (MLflow 3's records of LLM requests) of these experiments.
"""

    def __init__(self, experiments: list[Experiment], first_page: FirstPage | None = None):
        super().__init__()
        self._first_page = first_page
        self.experiments = experiments
        self.experiment_ids = [e.experiment_id for e in experiments]
        settings = self.mltui.settings
        self.rows: RunRows = RunRows(page_size=settings.page_size)
        self.keys = KeyIndex()
        self.run_keys: RunKeys | None = None
        self.order_by: list[str] = []
        self.sort_column: tuple[Column, bool] | None = None
        self.view = ViewType.ACTIVE
        self.tree_mode = settings.tree_view
        self.live = settings.refresh_interval > 0
        self.stale: str | None = None
        """Why the last live refresh failed; the rows shown are those of ``last_good``."""
        self.last_good: float | None = None
        self.nested: bool | None = None
        self._explain_flat = False
        """t asked for the tree: say so if no run turns out to have a parent."""
        self._timer: Timer | None = None
        self._columns_from_state = False
        self.refreshes = 0
        """Live refreshes delivered (a test and a status hook, never reset)."""

    @property
    def total_known(self) -> bool:
        return self.book.total_known

    @property
    def run_query(self) -> RunQuery:
        """What the table shows now, as the store is asked for it."""
        return RunQuery.of(self.experiment_ids, self.filter_text, self.order_by, self.view,
                           top_level=self._tree_active)

    @property
    def app_settings(self):
        return self.mltui.settings


    # -- layout ----------------------------------------------------------------
    NOUN = "runs"

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield FilterBar(self.keys, id="filter-bar")
        yield Static(id="load-error")
        table = RunsTable(self.rows, id="runs-table")
        table.show_tree = self.tree_mode
        table.relative_times = self.mltui.settings.relative_times
        yield table
        yield KeysFooter()

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    @property
    def title_text(self) -> str:
        names = ", ".join(e.name for e in self.experiments)
        return names if len(names) < 60 else f"{len(self.experiments)} experiments"

    def on_mount(self) -> None:
        saved = self.mltui.state.get("columns", self._columns_key)
        if saved:
            try:
                self.table.set_columns([parse_column(s) for s in saved])
                self._columns_from_state = True
            except ValueError:
                pass
        if not self._columns_from_state:
            self._columns_from_state = self._configured_columns()
        if not self._columns_from_state:
            self.table.set_columns([Column(ATTRIBUTE, a) for a in DEFAULT_ATTRIBUTES
                                    if a not in ("status", "run_name")])
        self.table.marks = self.mltui.marks.setdefault(tuple(self.experiment_ids), set())
        self.table.focus()
        self.reload()
        interval = self.mltui.settings.refresh_interval
        if interval > 0:
            self._timer = self.set_interval(interval, self._tick, pause=not self.live)

    def _configured_columns(self) -> bool:
        """The ``[columns]`` of config.toml for this experiment (by name, then id, then
        ``"*"``), when the person has not picked columns here yet. A column that does
        not parse is said in one line and the defaults are kept."""
        configured = self.mltui.settings.columns
        if not configured or len(self.experiments) != 1:
            return False
        exp = self.experiments[0]
        specs = configured.get(exp.name) or configured.get(exp.experiment_id) \
            or configured.get("*")
        if not specs:
            return False
        try:
            columns = [parse_column(s) for s in specs]
        except ValueError as exc:
            self.notify(f"config.toml [columns]: {exc}", severity="warning", timeout=8)
            return False
        self.table.set_columns(columns)
        return True

    @property
    def _columns_key(self) -> str:
        # display_uri: a database password must not land in state.json
        return columns_key(self.store.display_uri, self.experiment_ids)

    # -- status ----------------------------------------------------------------
    def update_status(self) -> None:
        noun = "top-level run" if self._tree_active and self.nested else "run"
        total = "…"
        if self.total is not None:
            # "40+ runs": the store is still counting
            total = count_of(self.total, noun) if self.total_known else \
                f"{self.total:,}+ {noun}s"
        sort = "sort: newest first"
        if self.sort_column:
            sort = f"sort: {self.sort_column[0].spec} {'↑' if self.sort_column[1] else '↓'}"
        mode = "tree" if self._tree_active else "flat"
        live = None
        if self._timer:
            live = ("live ●", "green", 8) if self.live else ("paused", "yellow", 8)
            if self.live and self.stale is not None:
                read = time.strftime("%H:%M:%S", time.localtime(self.last_good)) \
                    if self.last_good else "never"
                live = (f"stale: last read {read}, retrying", "bold red", 10)
        # priorities: on a narrow terminal the store, then the order and the mode go first
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            (self.title_text, "bold cyan", 6),
            (total, "", 7),
            (f"{len(self.table.marks):,} marked", "bold yellow", 9) if self.table.marks
            else None,
            (f"filter: {self.filter_text}", "magenta", 9) if self.filter_text else None,
            (sort, "", 3),
            (mode, "", 2),
            (f"view: {self.view.value}", "red", 9) if self.view != ViewType.ACTIVE else None,
            live,
            ("read-only", "bold", 9) if self.store.read_only else None,
            ("load failed: r retries", "bold red", 10) if self.error else None,
        )

    @property
    def _tree_active(self) -> bool:
        # nested is None until the first page tells whether any run has a parent
        # deleted children of a live parent would vanish from a tree: the
        # deleted and all views are flat
        return (self.tree_mode and not self.filter_text and self.nested is not False
                and self.view == ViewType.ACTIVE)

    # -- loading (screens/paged.py pages; these say what a page of runs is) -------
    def _reset_rows(self) -> None:
        self.rows.reset(0)
        self.table.show_tree = self._tree_active

    def _prefetched(self) -> LoadedPage | None:
        first, self._first_page = self._first_page, None
        if first is not None and first.tree == self._tree_active and not self.filter_text \
                and not self.order_by and self.view == ViewType.ACTIVE:
            return first.page  # fetched while the UI started (mltui --experiment)
        return None

    def _page_loader(self, page: int, first: bool) -> Callable[[], LoadedPage]:
        # the first page comes without a count when more follow: the count runs in
        # its own worker so rows show sooner
        return partial(load_page, self.store, self.run_query, page, self.book.size,
                       nested=self.nested)

    def _counter(self) -> Callable[[], int]:
        return partial(count_rows, self.store, self.run_query, self.nested)

    def _set_total(self, total: int) -> None:
        self.rows.total_top = total

    def _pages_shown(self, first_line: int, last_line: int) -> set[int]:
        return self.rows.top_indices_needed(first_line, last_line)

    def _page_arriving(self, page: LoadedPage, first: bool) -> None:
        if first:
            self.stale, self.last_good = None, time.time()
            if self.run_keys is None:
                self._load_keys()
        if first and self._explain_flat and page.nested is not None:
            self._explain_flat = False
            if not page.nested:
                self.notify("No run here has a parent run: the tree is the flat list")
        if page.nested is not None and self.nested is None:
            # before the count starts: a flat experiment is counted flat
            self.nested = page.nested
            self.table.show_tree = self._tree_active

    def _keep_page(self, page: LoadedPage, first: bool) -> None:
        if first and not self._columns_from_state and self.run_keys is None and page.runs:
            runs = page.runs
            self._default_columns(sorted({k for r in runs for k in r.metrics}),
                                  sorted({k for r in runs for k in r.params}))
        self.rows.set_page(page.page, page.runs, page.counts)

    def _counted(self, gen: int, total: int) -> None:
        super()._counted(gen, total)
        if self.book.current(gen) and self.table.want_end:
            self.table.action_last()  # G came before the count: on to the real end

    def _default_columns(self, metrics: list[str], params: list[str]) -> None:
        """Columns until the user picks some: a few attributes, then metrics and params
        (the first ones by name) of the whole experiment."""
        columns = [Column(ATTRIBUTE, a) for a in DEFAULT_ATTRIBUTES
                   if a not in ("status", "run_name")]
        columns += [Column(METRIC, k) for k in metrics[:MAX_DEFAULT_METRICS]]
        columns += [Column(PARAM, k) for k in params[:MAX_DEFAULT_PARAMS]]
        if columns != self.table.columns:
            self.table.set_columns(columns)

    def _load_keys(self) -> None:
        def done(keys: RunKeys) -> None:
            self.run_keys = keys
            self.keys.metrics, self.keys.params, self.keys.tags = (
                keys.metrics, keys.params, keys.tags)
            if not self._columns_from_state:
                self._default_columns(keys.metrics, keys.params)

        run_blocking(self, self.store.run_keys, self.experiment_ids, done=done,
                     group="run-keys")

    # -- live refresh ------------------------------------------------------------
    def _tick(self) -> None:
        if not self.live or self.book.in_flight or self.app.screen is not self:
            return
        table = self.table
        first = int(table.scroll_y)
        pages = sorted(self.rows.top_indices_needed(first, first + table.body_height))
        if not pages:
            return
        gen = self.book.generation
        anchor = table.current_run
        cursor = table.cursor
        offset = cursor - first
        run_blocking(
            self,
            reload_pages, self.store, self.run_query, pages, self.book.size, self.nested,
            done=lambda loaded: self._refreshed(gen, loaded, anchor, cursor, offset),
            failed=self._refresh_failed,
            group="live",
        )

    def _refresh_failed(self, message: str) -> None:
        # the rows stay as last read; the status says so, the next tick retries
        if self.stale is None:
            self.notify(f"Refresh failed: {message}", severity="warning")
        self.stale = message
        self.update_status()

    def _refreshed(self, gen: int, loaded: list[LoadedPage], anchor: Run | None, cursor: int,
                   offset: int) -> None:
        if not self.book.current(gen):
            return
        if loaded and loaded[0].total is not None:
            self.book.counted(loaded[0].total)
            self.rows.total_top = loaded[0].total
        self.rows.pages.clear()
        self.table.forget_requests()
        for page in loaded:
            self.rows.set_page(page.page, page.runs, page.counts)
        self.rows.relocate_expansions()
        self.table.data_changed()
        self._notice_new_keys(loaded)
        if anchor is not None and self.table.cursor == cursor:
            # the person did not move meanwhile: keep their run where it was
            line = self.rows.find_line(anchor.run_id)
            if line is not None and line != self.table.cursor:
                self.table.move_cursor(line, keep_offset=offset)
        self.table.refresh()
        self.refreshes += 1
        self.stale, self.last_good = None, time.time()
        self.update_status()

    def _notice_new_keys(self, loaded: list[LoadedPage]) -> None:
        """A live run logged a metric or param the table has not heard of (the table
        opened before its first one): read the keys again, for the default columns
        and the filter's completion."""
        known = self.run_keys
        if known is None:
            return  # the first read of the keys is on its way
        runs = [run for page in loaded for run in page.runs]
        if any(k not in known.metrics for run in runs for k in run.metrics) or any(
                k not in known.params for run in runs for k in run.params):
            self._load_keys()

    def action_toggle_live(self) -> None:
        if self._timer is None:
            self.notify("Live refresh is off (refresh_interval = 0 in config.toml)")
            return
        self.live = not self.live
        if self.live:
            self._timer.resume()
        else:
            self._timer.pause()
        self.update_status()

    def action_reload(self) -> None:
        self.reload(keep_cursor=True)
        self._load_keys()

    # -- filter (the bar and its keys: screens/paged.py) ---------------------------
    def _check_filter(self, text: str) -> None:
        parse_filter(text)

    # -- sort --------------------------------------------------------------------
    def _sort_by(self, column: Column, ascending: bool | None = None) -> None:
        if column.order_key is None:
            self.notify(f"MLflow cannot sort by {column.header}", severity="warning")
            return
        if ascending is None:
            if self.sort_column and self.sort_column[0] == column:
                ascending = not self.sort_column[1]
            else:
                ascending = column.kind in (PARAM, TAG) or column.key in ("run_name", "user",
                                                                          "status")
        self.sort_column = (column, ascending)
        order = column.order_by(ascending)
        if order is None:
            return
        self.order_by = [order]
        self.table.sort = self.sort_column
        self.reload(keep_total=True)

    def action_sort(self) -> None:
        column = self.table.current_column
        if column is not None:
            self._sort_by(column)

    def action_clear_sort(self) -> None:
        self.sort_column = None
        self.order_by = []
        self.table.sort = None
        self.reload(keep_total=True)

    # -- columns -----------------------------------------------------------------
    def action_columns(self) -> None:
        available = [Column(ATTRIBUTE, a) for a in
                     ("created", "duration", "user", "source", "status", "run_id", "start_time",
                      "end_time", "experiment_id", "lifecycle_stage", "artifact_uri",
                      "parent_run_id")]
        keys = self.run_keys or RunKeys()
        available += [Column(METRIC, k) for k in keys.metrics]
        available += [Column(PARAM, k) for k in keys.params]
        available += [Column(TAG, k) for k in keys.tags]

        def chosen(columns: list[Column] | None) -> None:
            if columns is None:
                return
            self.table.set_columns(columns)
            self._columns_from_state = True
            self.mltui.state.set("columns", self._columns_key, [c.spec for c in columns])

        self.app.push_screen(ColumnChooser(self.table.columns, available), chosen)

    # -- tree --------------------------------------------------------------------
    def action_toggle_tree(self) -> None:
        self.tree_mode = not self.tree_mode
        # t must never look like it did nothing: say why the list stays flat
        if self.tree_mode and self.filter_text:
            self.notify("Tree view applies when no filter is set; showing a flat list")
        elif self.tree_mode and self.view != ViewType.ACTIVE:
            self.notify("Tree view applies to active runs; deleted and all runs are a flat list")
        elif self.tree_mode:
            # whether any run has a parent is known once the tree's first page is read
            self._explain_flat = True
        self.reload()

    def action_toggle_expand(self) -> None:
        table = self.table
        run = table.current_run
        line = self.rows.line(table.cursor)
        if run is None or line is None:
            return
        if line.child_index is not None:
            # on a child: fold its parent and land on it
            parent_line = self.rows.line_of_top(line.top_index)
            parent = self.rows.top_run(line.top_index)
            if parent is not None:
                self.rows.collapse(parent.run_id)
            table.data_changed()
            table.move_cursor(parent_line)
            return
        if self.rows.is_expanded(run.run_id):
            self.rows.collapse(run.run_id)
            table.data_changed()
            return
        count = self.rows.child_counts.get(run.run_id, 0)
        if not self._tree_active or not count:
            return
        self.rows.expand(run.run_id, line.top_index)
        table.data_changed()
        gen = self.book.generation
        run_blocking(
            self,
            load_children, self.store, self.run_query.replace(filter="", top_level=False),
            run.run_id,
            done=lambda result: self._children_loaded(gen, run.run_id, result),
            group=f"children-{run.run_id}",
        )

    def _children_loaded(self, gen: int, parent_id: str, result) -> None:
        if not self.book.current(gen):
            return
        children, more = result
        self.rows.set_children(parent_id, children, more)
        self.table.measure(children)
        self.table.data_changed()
        line = self.rows.find_line(parent_id)
        if line is not None and self.rows.is_expanded(parent_id):
            self.table.reveal(line, line + len(children) + (1 if more else 0))

    # -- marks -------------------------------------------------------------------
    def _folds_here(self) -> bool:
        """Whether the row under the cursor opens or closes in the tree (a parent
        with children, an open parent, or a child)."""
        run, line = self.table.current_run, self.rows.line(self.table.cursor)
        if run is None or line is None:
            return False
        return (line.child_index is not None or self.rows.is_expanded(run.run_id)
                or (self._tree_active and self.rows.child_counts.get(run.run_id, 0) > 0))

    def action_space(self) -> None:
        table = self.table
        # on the name column space opens a parent; on any other row it still marks
        # (it used to do nothing there, which looked like marking was broken)
        if table.focused_column < 0 and self._folds_here():
            self.action_toggle_expand()
            return
        run = table.current_run
        if run is None:
            return
        if run.run_id in table.marks:
            table.marks.discard(run.run_id)
        else:
            table.marks.add(run.run_id)
        table.move_cursor(table.cursor + 1)
        table.refresh()
        self.update_status()

    def action_mark_all(self) -> None:
        def done(ids: list[str]) -> None:
            self.table.marks.update(ids)
            self.table.refresh()
            self.update_status()
            self.notify(f"Marked {count_of(len(ids), 'run')}")

        run_blocking(self, self.store.search_run_ids, list(self.experiment_ids),
                     self.filter_text, self.view, done=done, group="mark-all")

    def action_escape(self) -> None:
        """Undo one thing at a time, as k9s does: marks, then the filter, then leave."""
        if self.table.marks:
            self.table.marks.clear()
            self.table.refresh()
            self.update_status()
        elif self.filter_text:
            self.filter_text = ""
            self.reload()
        else:
            self.action_back()

    # -- open --------------------------------------------------------------------
    def action_enter(self) -> None:
        table = self.table
        run = table.current_run
        if run is None:
            return
        if table.focused_column < 0 and self.rows.child_counts.get(run.run_id):
            self.action_toggle_expand()
            return
        self._open_run(run)

    def on_paged_table_row_activated(self, event: RunsTable.RowActivated) -> None:
        self._open_run(event.item)

    def action_view_value(self) -> None:
        from .value_viewer import ValueViewer

        run = self.table.current_run
        column = self.table.current_column
        if run is None or column is None:
            return
        value = column.raw(run)
        text = "" if value is None else repr(value) if isinstance(value, float) else str(value)
        self.app.push_screen(ValueViewer(f"{column.spec} of {run.run_name or run.run_id}", text))

    def action_copy_id(self) -> None:
        from .clipboard import copy_text

        if (run := self.table.current_run) is not None:
            copy_text(self, run.run_id, "run id")

    def action_copy_value(self) -> None:
        """The whole value of the cell under the cursor, as w shows it."""
        from .clipboard import copy_text

        run, column = self.table.current_run, self.table.current_column
        if run is None or column is None:
            return
        value = column.raw(run)
        text = "" if value is None else repr(value) if isinstance(value, float) else str(value)
        copy_text(self, text, f"{column.spec} of {run.run_name or run.run_id}")

    def action_copy_artifact_uri(self) -> None:
        from .clipboard import copy_text

        if (run := self.table.current_run) is not None:
            copy_text(self, run.artifact_uri, "artifact URI")

    def action_charts(self) -> None:
        """Charts of the marked runs (or the run under the cursor), overlaid."""
        from .charts import ChartsScreen

        marked = sorted(self.table.marks)
        if not marked:
            if self.table.current_run is not None:
                self.app.push_screen(ChartsScreen([self.table.current_run]))
            return

        def found(runs: list[Run]) -> None:
            if len(runs) > MAX_RUNS:
                self.notify(f"Charts show {MAX_RUNS} runs at most: the newest {MAX_RUNS} of "
                            f"the {len(runs):,} marked")
                runs = sorted(runs, key=lambda r: -(r.start_time or 0))[:MAX_RUNS]
            self.app.push_screen(ChartsScreen(runs))

        run_blocking(self, runs_by_id, self.store, self.experiment_ids, marked,
                     list(self.rows.loaded_runs()), done=found, group="chart-runs")

    def action_logged_models(self) -> None:
        """MLflow 3's logged models of the experiments shown."""
        from .logged_models import LoggedModelsScreen

        if not self.store.capabilities.logged_models:
            self.notify("This store has no logged models", severity="warning")
            return
        names = ", ".join(e.name for e in self.experiments)
        self.app.push_screen(LoggedModelsScreen(self.experiment_ids, names))

    def action_artifacts(self) -> None:
        """The artifacts of the run under the cursor; with marks, of the marked runs
        (n / N there: the same artifact in the next run)."""
        from .artifacts import ArtifactsScreen

        marked = sorted(self.table.marks)
        current = self.table.current_run
        if not marked:
            if current is not None:
                self.app.push_screen(ArtifactsScreen([current]))
            return
        query = self.run_query.replace(top_level=False)

        def found(runs: list[Run]) -> None:
            if not runs:
                self.notify("The marked runs are gone from the store", severity="warning")
                return
            ids = [r.run_id for r in runs]
            start = ids.index(current.run_id) if current and current.run_id in ids else 0
            self.app.push_screen(ArtifactsScreen(runs, start))

        run_blocking(self, lambda: list(iter_marked(self.store, query, marked)), done=found,
                     group="artifact-runs")

    def action_compare(self) -> None:
        """The marked runs side by side, in the table's order."""
        from ..views.compare import MAX_RUNS as MAX_COMPARE
        from ..views.compare import MIN_RUNS as MIN_COMPARE
        from .compare import CompareScreen

        marked = sorted(self.table.marks)
        if not MIN_COMPARE <= len(marked) <= MAX_COMPARE:
            self.notify(f"Mark {MIN_COMPARE} to {MAX_COMPARE} runs with space, then C "
                        f"({count_of(len(marked), 'run')} marked)", severity="warning")
            return
        query = self.run_query.replace(top_level=False)

        def found(runs: list[Run]) -> None:
            if len(runs) < MIN_COMPARE:
                self.notify("The marked runs are gone from the store", severity="warning")
                return
            self.app.push_screen(CompareScreen(runs, query))

        run_blocking(self, lambda: list(iter_marked(self.store, query, marked)), done=found,
                     group="compare-runs")

    def action_traces(self) -> None:
        from .traces import open_traces

        open_traces(self, self.experiment_ids, names=[e.name for e in self.experiments])

    def _open_run(self, run: Run) -> None:
        from .run import RunScreen

        self.app.push_screen(RunScreen(run))

    # -- view, delete, restore ---------------------------------------------------
    def action_cycle_view(self) -> None:
        self.view = _VIEW_CYCLE[(_VIEW_CYCLE.index(self.view) + 1) % len(_VIEW_CYCLE)]
        self.notify(f"Showing {self.view.value} runs")
        self.reload()

    def _lifecycle_change(self, delete: bool) -> None:
        if self.store.read_only:
            self.notify("Read-only mode (--read-only): runs cannot be deleted or restored",
                        severity="warning")
            return
        marked = sorted(self.table.marks)
        if marked:
            # names and stages of every marked run before anything is asked
            run_blocking(self, runs_by_id, self.store, self.experiment_ids, marked,
                         list(self.rows.loaded_runs()),
                         done=lambda runs: self._confirm_lifecycle(runs, delete),
                         group="lifecycle-targets")
        elif self.table.current_run is not None:
            self._confirm_lifecycle([self.table.current_run], delete)

    def _confirm_lifecycle(self, runs: list[Run], delete: bool) -> None:
        targets = [r for r in runs if (r.lifecycle_stage != "deleted") == delete]
        targets.sort(key=lambda r: -(r.start_time or 0))  # newest first, as listed
        if not targets:
            self.notify("Nothing to " + ("delete" if delete else "restore") +
                        (": these runs are already deleted" if delete else
                         ": press x to show deleted runs, then mark them"), severity="warning")
            return
        verb = "Delete" if delete else "Restore"
        names = "\n".join(f"  {r.run_name or r.run_id}" for r in targets[:12])
        if len(targets) > 12:
            names += f"\n  … and {count_of(len(targets) - 12, 'more run', 'more runs')}"
        skipped = len(runs) - len(targets)
        state = "deleted" if delete else "active"
        note = f"\n({count_of(skipped, 'marked run')} already {state}: left alone)" \
            if skipped else ""
        body = (
            f"{verb} {count_of(len(targets), 'run')}?\n\n{names}\n{note}\n"
            + ("MLflow's soft delete: the runs move to the deleted view and can be restored "
               "(R) until `mlflow gc` removes them." if delete else
               "The runs return to the active view.")
        )

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            ids = [r.run_id for r in targets]
            action = self.store.delete_runs if delete else self.store.restore_runs
            undo = run_edits.delete_undo(self, ids) if delete else None
            run_blocking(self, action, ids,
                         done=lambda _: self._lifecycle_done(verb, len(ids), undo),
                         group="lifecycle", exclusive=False)

        self.app.push_screen(ConfirmDialog(f"{verb} runs", body, verb, danger=delete), confirmed)

    def _lifecycle_done(self, verb: str, n: int, undo: edits.Undo | None = None) -> None:
        if undo is None:
            self.notify(f"{verb}d {count_of(n, 'run')}")
        else:
            edits.offer_undo(self, undo)
            self.notify(f"{verb}d {count_of(n, 'run')} · u: {undo.label}",
                        timeout=edits.UNDO_SECONDS)
        self.table.marks.clear()
        self.reload(keep_cursor=True)

    def action_delete(self) -> None:
        self._lifecycle_change(delete=True)

    def action_restore(self) -> None:
        self._lifecycle_change(delete=False)

    def action_undo(self) -> None:
        def after(_result: object = None) -> None:
            self.reload(keep_cursor=True)

        edits.run_undo(self, after=after)

    # -- edits (screens/run_edits.py) ---------------------------------------------
    def action_rename(self) -> None:
        run_edits.rename(self)

    def action_note(self) -> None:
        run_edits.note(self)

    def action_tags(self) -> None:
        run_edits.tags(self)

    # -- export --------------------------------------------------------------------
    def action_export(self) -> None:
        safe_name = re.sub(r"[^\w.-]+", "_", self.title_text)[:60] or "runs"
        default = str(Path.cwd() / f"{safe_name}-runs.csv")
        marked = sorted(self.table.marks)
        if marked:
            what = (f"The {count_of(len(marked), 'marked run')} (space marks, escape clears "
                    "the marks to export every match instead)")
        else:
            what = "Every run that matches the filter" if self.filter_text else \
                f"Every run of the {self.view.value} view"
        body = f"{what}, in the current order, with the columns on screen."

        def write(path: Path) -> None:
            # the query is fixed now: changing the sort meanwhile must not mix orders
            query = self.run_query.replace(top_level=False)
            run_blocking(self, export_runs, self.store, query, list(self.table.columns), path,
                         marked,
                         done=lambda n: self.notify(f"Exported {count_of(n, 'run')} to {path}"),
                         group="export", exclusive=False)

        edits.ask_file(
            self, "Export to CSV" + (f" ({count_of(len(marked), 'marked run')})" if marked
                                     else ""),
            default, write, body=body, validate=problem_with_path)

    def on_screen_resume(self) -> None:
        self.update_status()
