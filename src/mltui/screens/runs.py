"""The runs of one or several experiments: filter, sort, columns, tree, marks,
live refresh, delete / restore and CSV export."""

from __future__ import annotations

import csv
import re
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer

from ..background import run_blocking
from ..columns import DEFAULT_ATTRIBUTES, Column, parse_column
from ..completion import KeyIndex
from ..config import columns_key
from ..prefetch import TOP_LEVEL_FILTER, FirstPage, load_page
from ..store.entities import PARENT_RUN_TAG, Experiment, Run, RunKeys, ViewType
from ..store.errors import InvalidSearch
from ..store.search import ATTRIBUTE, METRIC, PARAM, TAG, parse_filter
from ..widgets.filter_bar import FilterBar
from ..widgets.run_rows import RunRows
from ..widgets.runs_table import RunsTable
from ..widgets.status_bar import StatusBar
from .column_chooser import ColumnChooser
from .dialogs import ConfirmDialog, PromptDialog

MAX_DEFAULT_METRICS = 10
MAX_DEFAULT_PARAMS = 10
MAX_CHILDREN = 5000
_SAFE_ID = re.compile(r"^[\w\-]+$")
_VIEW_CYCLE = [ViewType.ACTIVE, ViewType.ALL, ViewType.DELETED]


class RunsScreen(Screen):
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
        Binding("p", "toggle_live", "Pause", show=False, id="runs.live"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="runs.reload"),
        Binding("escape", "escape", "Back/clear", show=False),
        Binding("backspace", "back", "Back", show=False),
    ]

    HELP = """\
The runs table shows the runs of the chosen experiments, fetched page by page
from the store, so it stays fast with 100,000 runs.

Filter with MLflow's search syntax: metrics.acc > 0.9 AND params.lr = '0.01'.
Keys with spaces or slashes go in backticks: metrics.`val/loss` < 0.3.
Strings take quotes; LIKE / ILIKE use % and _ as wildcards; AND only (no OR).

Sorting happens in the store: s sorts by the focused column (press again to
flip), S returns to MLflow's default (newest first). h/l move between columns.

Nested runs (a sweep's children) sit under their parent in tree view: o, or
enter/space on the name column, opens a parent. With a filter the list is flat.

space marks runs; compare, export and delete act on the marked runs (or the
run under the cursor). Deleting is MLflow's soft delete: x shows deleted runs
and R restores them. Runs that are RUNNING refresh every few seconds (p pauses).
"""

    def __init__(self, experiments: list[Experiment], first_page: FirstPage | None = None):
        super().__init__()
        self._first_page = first_page
        self.experiments = experiments
        self.experiment_ids = [e.experiment_id for e in experiments]
        settings = self.app_settings
        self.rows = RunRows(page_size=settings.page_size)
        self.keys = KeyIndex()
        self.run_keys: RunKeys | None = None
        self.filter_text = ""
        self.order_by: list[str] = []
        self.sort_column: tuple[Column, bool] | None = None
        self.view = ViewType.ACTIVE
        self.tree_mode = settings.tree_view
        self.live = settings.refresh_interval > 0
        self.generation = 0
        self.total: int | None = None
        self.total_known = False
        self.nested: bool | None = None
        self.error: str | None = None
        self._inflight: set[int] = set()
        self._queued: list[int] = []
        self._timer: Timer | None = None
        self._columns_from_state = False

    @property
    def app_settings(self):
        return self.app.settings

    @property
    def store(self):
        return self.app.store

    # -- layout ----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield FilterBar(self.keys, id="filter-bar")
        table = RunsTable(self.rows, id="runs-table")
        table.show_tree = self.tree_mode
        table.relative_times = self.app_settings.relative_times
        yield table
        yield Footer()

    @property
    def table(self) -> RunsTable:
        return self.query_one(RunsTable)

    @property
    def title_text(self) -> str:
        names = ", ".join(e.name for e in self.experiments)
        return names if len(names) < 60 else f"{len(self.experiments)} experiments"

    def on_mount(self) -> None:
        saved = self.app.state.get("columns", self._columns_key)
        if saved:
            try:
                self.table.set_columns([parse_column(s) for s in saved])
                self._columns_from_state = True
            except ValueError:
                pass
        if not self._columns_from_state:
            self.table.set_columns([Column(ATTRIBUTE, a) for a in DEFAULT_ATTRIBUTES
                                    if a not in ("status", "run_name")])
        self.table.focus()
        self.reload()
        interval = self.app_settings.refresh_interval
        if interval > 0:
            self._timer = self.set_interval(interval, self._tick, pause=not self.live)

    @property
    def _columns_key(self) -> str:
        # display_uri: a database password must not land in state.json
        return columns_key(self.store.display_uri, self.experiment_ids)

    # -- status ----------------------------------------------------------------
    def update_status(self) -> None:
        more = "" if self.total_known else "+"
        total = "…" if self.total is None else f"{self.total:,}{more} runs"
        if self._tree_active and self.nested and self.total is not None:
            total = total.replace(" runs", " top-level runs")
        sort = "sort: newest first"
        if self.sort_column:
            sort = f"sort: {self.sort_column[0].spec} {'↑' if self.sort_column[1] else '↓'}"
        mode = "tree" if self._tree_active else "flat"
        live = ("live ●", "green") if self.live and self._timer else ("paused", "yellow")
        if not self._timer:
            live = None
        self.query_one(StatusBar).show(
            (self.app.store_label, "bold"),
            (self.title_text, "bold cyan"),
            total,
            (f"{len(self.table.marks)} marked", "bold yellow") if self.table.marks else None,
            (f"filter: {self.filter_text}", "magenta") if self.filter_text else None,
            sort,
            mode,
            (f"view: {self.view.value}", "red") if self.view != ViewType.ACTIVE else None,
            live,
            ("read-only", "dim") if self.store.read_only else None,
        )

    @property
    def _tree_active(self) -> bool:
        # nested is None until the first page tells whether any run has a parent
        # deleted children of a live parent would vanish from a tree: the
        # deleted and all views are flat
        return (self.tree_mode and not self.filter_text and self.nested is not False
                and self.view == ViewType.ACTIVE)

    # -- loading -----------------------------------------------------------------
    def _effective_filter(self) -> str:
        if self._tree_active:
            return TOP_LEVEL_FILTER
        return self.filter_text

    def reload(self, keep_total: bool = False) -> None:
        """Start over: new filter, sort, view or tree mode. ``keep_total`` when only
        the order changed, so the store need not count again."""
        self.generation += 1
        self.rows.reset(0)
        self._inflight.clear()
        self._queued.clear()
        self.table.forget_requests()
        self.table.show_tree = self._tree_active
        self.table.data_changed()
        if not (keep_total and self.total_known):
            self.total = None
        self.update_status()
        first, self._first_page = self._first_page, None
        if first is not None and not self.filter_text and not self.order_by \
                and self.view == ViewType.ACTIVE:
            # fetched while the UI started (mltui --experiment)
            self._page_loaded(self.generation, 0, True, (first.page, first.counts, first.nested))
            return
        self._fetch_page(0, first=True)

    def _fetch_page(self, page: int, first: bool = False) -> None:
        gen = self.generation
        self._inflight.add(page)
        # the first page comes without a count when more pages follow: the
        # count runs in its own worker so rows show sooner
        count = False
        args = (self.experiment_ids, self._effective_filter(), list(self.order_by), self.view,
                page, count, self._tree_active)
        run_blocking(
            self,
            self._load_page,
            *args,
            done=lambda result: self._page_loaded(gen, page, first, result),
            failed=lambda message: self._page_failed(gen, page, message),
            group=f"page-{gen}-{page}",
            exclusive=False,
        )

    def _load_page(self, ids, filter_text, order_by, view, page, count, tree):
        return load_page(self.store, ids, filter_text, order_by, view, self.rows.page_size,
                         page, count, tree, self.nested)

    def _page_loaded(self, gen: int, page: int, first: bool, result) -> None:
        if gen != self.generation:
            return
        self._inflight.discard(page)
        run_page, counts, nested = result
        if nested is not None and self.nested is None:
            self.nested = nested
            self.table.show_tree = self._tree_active
        size = self.rows.page_size
        if first and run_page.total is not None:
            self.total, self.total_known = run_page.total, True
        elif first and run_page.next_page_token and not self.total_known:
            # rows first, the exact count right after (on REST a slow probe);
            # until then the table holds what it has and one page more
            self.total = len(run_page.runs) + size
            self._count_in_background(gen)
        elif first and not run_page.next_page_token:
            self.total, self.total_known = len(run_page.runs), True
        if first and self.run_keys is None:
            self._load_keys()
        if first:
            self.app.show_store_warning()
        elif not self.total_known:
            # the store cannot count (REST): grow the table as pages show more
            seen = page * size + len(run_page.runs) + (size if run_page.next_page_token else 0)
            self.total = max(self.total or 0, seen)
        self.rows.total_top = self.total or 0
        if first and not self._columns_from_state and self.run_keys is None and run_page.runs:
            runs = run_page.runs
            self._default_columns(sorted({k for r in runs for k in r.metrics}),
                                  sorted({k for r in runs for k in r.params}))
        self.rows.set_page(page, run_page.runs, counts)
        self.table.page_arrived(page)
        self.update_status()
        self._drain_queue()

    def _count_in_background(self, gen: int) -> None:
        """Stores without counts (REST) get the total from a slower probe, so the
        scrollbar and G know the real end."""
        def counted(n: int) -> None:
            if gen == self.generation:
                self.total, self.total_known = n, True
                self.rows.total_top = n
                self.table.data_changed()
                self.update_status()

        run_blocking(self, self.store.count_runs, self.experiment_ids, self._effective_filter(),
                     self.view, done=counted, failed=lambda _m: None, group="count")

    def _page_failed(self, gen: int, page: int, message: str) -> None:
        if gen != self.generation:
            return
        self._inflight.discard(page)
        self.table.forget_request(page)  # the next draw asks again
        self.notify(message, severity="error", timeout=8)
        self._drain_queue()

    def on_runs_table_page_needed(self, event: RunsTable.PageNeeded) -> None:
        page = event.page
        if page in self._inflight or self.rows.has_page(page):
            return
        if len(self._inflight) >= 2:
            if page not in self._queued:
                self._queued.append(page)
            return
        self._fetch_page(page)

    def _drain_queue(self) -> None:
        table = self.table
        first = int(table.scroll_y)
        wanted = self.rows.top_indices_needed(first, first + table.body_height)
        while self._queued and len(self._inflight) < 2:
            page = self._queued.pop()
            if page in wanted and not self.rows.has_page(page):
                self._fetch_page(page)
        self._queued = [p for p in self._queued if p in wanted]

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
        if not self.live or self._inflight or self.app.screen is not self:
            return
        table = self.table
        first = int(table.scroll_y)
        pages = sorted(self.rows.top_indices_needed(first, first + table.body_height))
        if not pages:
            return
        gen = self.generation
        anchor = table.current_run
        offset = table.cursor - first
        args = (self.experiment_ids, self._effective_filter(), list(self.order_by), self.view,
                pages, self._tree_active)
        run_blocking(
            self,
            self._load_pages,
            *args,
            done=lambda result: self._refreshed(gen, result, anchor, offset),
            failed=lambda message: self.notify(f"Refresh failed: {message}",
                                               severity="warning"),
            group="live",
        )

    def _load_pages(self, ids, filter_text, order_by, view, pages, tree):
        loaded = []
        total = None
        for i, page in enumerate(pages):
            run_page, counts, _ = self._load_page(ids, filter_text, order_by, view, page,
                                                  i == 0, tree)
            if i == 0:
                total = run_page.total
            loaded.append((page, run_page.runs, counts))
        return total, loaded

    def _refreshed(self, gen: int, result, anchor: Run | None, offset: int) -> None:
        if gen != self.generation:
            return
        total, loaded = result
        if total is not None:
            self.total = total
            self.rows.total_top = total
        self.rows.pages.clear()
        self.table.forget_requests()
        for page, runs, counts in loaded:
            self.rows.set_page(page, runs, counts)
        self.rows.relocate_expansions()
        self.table.data_changed()
        if anchor is not None:
            line = self.rows.find_line(anchor.run_id)
            if line is not None and line != self.table.cursor:
                self.table.move_cursor(line, keep_offset=offset)
        self.table.refresh()
        self.update_status()

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
        self.reload()
        self._load_keys()

    # -- filter ------------------------------------------------------------------
    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.open(self.filter_text)
        bar.show_hint(self.filter_text)

    def on_filter_bar_submitted(self, event: FilterBar.Submitted) -> None:
        text = event.text.strip()
        bar = self.query_one(FilterBar)
        try:
            parse_filter(text)
        except InvalidSearch as exc:
            # keep the last good result on screen; point at the mistake
            bar.show_error(str(exc), exc.position, text)
            return
        bar.clear_error()
        bar.remove_class("visible")
        self.table.focus()
        if text != self.filter_text:
            self.filter_text = text
            self.reload()

    def on_filter_bar_closed(self, _event: FilterBar.Closed) -> None:
        self.table.focus()

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
        self.order_by = [column.order_by(ascending)]
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

    def on_runs_table_header_clicked(self, event: RunsTable.HeaderClicked) -> None:
        self._sort_by(event.column)

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
            self.app.state.set("columns", self._columns_key, [c.spec for c in columns])

        self.app.push_screen(ColumnChooser(self.table.columns, available), chosen)

    # -- tree --------------------------------------------------------------------
    def action_toggle_tree(self) -> None:
        self.tree_mode = not self.tree_mode
        if self.filter_text and self.tree_mode:
            self.notify("Tree view applies when no filter is set; showing a flat list")
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
            self.rows.collapse(self.rows.top_run(line.top_index).run_id)
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
        gen = self.generation
        run_blocking(
            self,
            self._load_children,
            run.run_id,
            list(self.order_by),
            self.view,
            done=lambda result: self._children_loaded(gen, run.run_id, result),
            group=f"children-{run.run_id}",
        )

    def _load_children(self, parent_id: str, order_by, view):
        if not _SAFE_ID.match(parent_id):
            raise InvalidSearch(f"Unexpected run id {parent_id!r}")
        text = f"tags.`{PARENT_RUN_TAG}` = '{parent_id}'"
        children: list[Run] = []
        token = None
        total = 0
        while len(children) < MAX_CHILDREN:
            page = self.store.search_runs(
                self.experiment_ids, text, order_by, view, max_results=1000, page_token=token,
                count_total=not children,
            )
            if not children:
                total = page.total or 0
            children.extend(page.runs)
            token = page.next_page_token
            if not token:
                break
        return children, max(0, total - len(children))

    def _children_loaded(self, gen: int, parent_id: str, result) -> None:
        if gen != self.generation:
            return
        children, more = result
        self.rows.set_children(parent_id, children, more)
        self.table.measure(children)
        self.table.data_changed()

    # -- marks -------------------------------------------------------------------
    def action_space(self) -> None:
        table = self.table
        if table.focused_column < 0:
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
            self.notify(f"Marked {len(ids):,} runs")

        run_blocking(self, self.store.search_run_ids, list(self.experiment_ids),
                     self.filter_text, self.view, done=done, group="mark-all")

    def action_escape(self) -> None:
        if self.table.marks:
            self.table.marks.clear()
            self.table.refresh()
            self.update_status()
        else:
            self.action_back()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

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

    def on_runs_table_row_activated(self, event: RunsTable.RowActivated) -> None:
        self._open_run(event.run)

    def _open_run(self, run: Run) -> None:
        from .run import RunScreen

        self.app.push_screen(RunScreen(run))

    # -- view, delete, restore ---------------------------------------------------
    def action_cycle_view(self) -> None:
        self.view = _VIEW_CYCLE[(_VIEW_CYCLE.index(self.view) + 1) % len(_VIEW_CYCLE)]
        self.notify(f"Showing {self.view.value} runs")
        self.reload()

    def _targets(self) -> list[Run]:
        marked = self.table.marks
        loaded = {r.run_id: r for r in self.rows.loaded_runs()}
        if marked:
            return [loaded.get(rid) or Run(run_id=rid, experiment_id="") for rid in marked]
        run = self.table.current_run
        return [run] if run else []

    def _lifecycle_change(self, delete: bool) -> None:
        if self.store.read_only:
            self.notify("Read-only mode (--read-only): runs cannot be deleted or restored",
                        severity="warning")
            return
        targets = [r for r in self._targets()
                   if (r.lifecycle_stage != "deleted") == delete or not r.experiment_id]
        if not targets:
            self.notify("Nothing to " + ("delete" if delete else "restore") +
                        (": these runs are already deleted" if delete else
                         ": press x to show deleted runs, then mark them"), severity="warning")
            return
        verb = "Delete" if delete else "Restore"
        names = "\n".join(f"  {r.run_name or r.run_id}" for r in targets[:12])
        if len(targets) > 12:
            names += f"\n  … and {len(targets) - 12} more"
        body = (
            f"{verb} {len(targets)} run(s)?\n\n{names}\n\n"
            + ("MLflow's soft delete: the runs move to the deleted view and can be restored "
               "(R) until `mlflow gc` removes them." if delete else
               "The runs return to the active view.")
        )

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            ids = [r.run_id for r in targets]
            action = self.store.delete_runs if delete else self.store.restore_runs
            run_blocking(self, action, ids, done=lambda _: self._lifecycle_done(verb, len(ids)),
                         group="lifecycle", exclusive=False)

        self.app.push_screen(ConfirmDialog(f"{verb} runs", body, verb, danger=delete), confirmed)

    def _lifecycle_done(self, verb: str, n: int) -> None:
        self.notify(f"{verb}d {n} run(s)")
        self.table.marks.clear()
        self.reload()

    def action_delete(self) -> None:
        self._lifecycle_change(delete=True)

    def action_restore(self) -> None:
        self._lifecycle_change(delete=False)

    # -- export --------------------------------------------------------------------
    def action_export(self) -> None:
        safe_name = re.sub(r"[^\w.-]+", "_", self.title_text)[:60] or "runs"
        default = str(Path.cwd() / f"{safe_name}-runs.csv")

        def chosen(path: str | None) -> None:
            if not path:
                return
            columns = [Column(ATTRIBUTE, "run_id"), Column(ATTRIBUTE, "run_name"),
                       Column(ATTRIBUTE, "status"), *self.table.columns]
            # the query is fixed now: changing the sort meanwhile must not mix orders
            query = (list(self.experiment_ids), self.filter_text, list(self.order_by),
                     self.view)
            run_blocking(self, self._export, Path(path).expanduser(), columns, query,
                         done=lambda n: self.notify(f"Exported {n:,} runs to {path}"),
                         group="export", exclusive=False)

        self.app.push_screen(
            PromptDialog(
                "Export the current view to CSV",
                default,
                body="Every run that matches the filter, in the current order, with the "
                "columns on screen.",
                validate=_check_export_path,
            ),
            chosen,
        )

    def _export(self, path: Path, columns: list[Column], query: tuple) -> int:
        unique = list(dict.fromkeys(columns))
        count = 0
        tmp = path.with_name(path.name + ".part")
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.spec for c in unique])
            for run in self.store.iter_runs(*query):
                writer.writerow(["" if (v := c.raw(run)) is None else v for c in unique])
                count += 1
        tmp.replace(path)
        return count

    def on_screen_resume(self) -> None:
        self.update_status()


def _check_export_path(text: str) -> str | None:
    if not text.strip():
        return "Give a file name"
    path = Path(text).expanduser()
    if path.is_dir():
        return f"{path} is a directory"
    if not path.parent.exists():
        return f"No such directory: {path.parent}"
    return None
