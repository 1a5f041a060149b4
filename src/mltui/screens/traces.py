"""The traces of one or several experiments (or of one run): MLflow 3's records
of LLM application requests, page by page, filtered and sorted by the store with
MLflow's trace search syntax.

The screen pages as the runs screen does (``screens/paged.py``): a
:class:`~mltui.views.run_pages.PageBook` per query, pages fetched in workers as
lines come into view, a total that may arrive late from a store that cannot count
(a tracking server). ``enter`` opens the trace (``screens/trace.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..background import run_blocking
from ..store.search.trace_filters import parse_trace_filter
from ..store.trace_entities import TraceInfo, TraceQuery
from ..textfmt import count_of
from ..views.trace_pages import (
    LoadedTraces,
    Refused,
    SortState,
    TraceColumn,
    TraceRows,
    any_traces,
    count_trace_rows,
    load_trace_page,
    trace_query,
    whole_value,
)
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from ..widgets.trace_filter_bar import TraceFilterBar
from ..widgets.traces_table import TracesTable
from .base import MltuiScreen
from .clipboard import copy_text
from .paged import MltuiPagedScreen


def open_traces(
    screen: MltuiScreen, experiment_ids: Sequence[str], *, names: Sequence[str] = (),
    run_id: str | None = None, run_name: str | None = None,
) -> None:
    """Push the traces screen from ``screen`` (the experiments, runs or run screen)
    once the store says there is something to show; otherwise say so in one line."""
    what = f"run {run_name or run_id}" if run_id else ", ".join(names) or "this experiment"
    if not screen.store.capabilities.traces:
        screen.notify("This store keeps no traces (MLflow 3's trace tables are missing)",
                      severity="warning")
        return
    query = trace_query(experiment_ids, run_id=run_id)

    def answered(found: bool) -> None:
        if not found:
            screen.notify(f"No traces in {what}", severity="warning")
        elif screen.is_current:
            screen.app.push_screen(TracesScreen(experiment_ids, run_id, names=names,
                                                run_name=run_name))

    run_blocking(screen, any_traces, screen.store, query, done=answered, group="has-traces")


class TracesScreen(MltuiPagedScreen[LoadedTraces]):
    """Traces table for ``experiment_ids``; only those made under ``run_id`` when given."""

    BINDINGS = [
        Binding("slash,f", "filter", "Filter", id="traces.filter"),
        Binding("s", "sort", "Sort", id="traces.sort"),
        Binding("S", "clear_sort", "Default sort", show=False, id="traces.clear_sort"),
        Binding("enter", "open", "Open", id="traces.open"),
        Binding("r,ctrl+r", "reload", "Reload", id="traces.reload"),
        Binding("w", "view_value", "Whole value", show=False, id="traces.value"),
        Binding("y", "copy_id", "Copy trace id", show=False, id="traces.copy_id"),
        Binding("escape", "escape", "Clear/back", id="traces.escape"),
        Binding("backspace", "back", "Back", show=False, id="traces.back"),
    ]

    HELP = """\
A trace records one request to an LLM application (MLflow 3): when it came, how
long it took, its state (✔ OK, ✘ ERROR, ▶ in progress), previews of the request
and the response, the tokens and cost where the application logged them, the
feedback and expectations logged on it, and its tags. The table is read page by
page from the store, so it stays fast with 100,000 traces.

Filter with MLflow's trace search syntax: attributes.status = 'ERROR',
tags.team = 'red', name LIKE 'agent%', trace.timestamp_ms > 1700000000000,
execution_time_ms > 1000, metadata.`mlflow.trace.user` = 'alice',
feedback.correct = 'true', span.type = 'TOOL' (AND joins clauses; span and
feedback filters need a database). escape clears the filter, then goes back.

s sorts by the column under the cursor (h/l move between columns; again flips
the direction); on a column MLflow cannot sort by, s steps through time,
duration, status and name. S returns to MLflow's default (newest first).
enter opens the trace (its spans as a waterfall), w shows the focused cell
whole, y copies the trace id, r reads the traces again.
"""

    NOUN = "traces"

    def __init__(self, experiment_ids: Sequence[str], run_id: str | None = None, *,
                 names: Sequence[str] = (), run_name: str | None = None):
        super().__init__()
        self.experiment_ids = [str(e) for e in experiment_ids]
        self.run_id = run_id
        self.run_name = run_name
        self.names = list(names)
        """Experiment names for the header (read from the store when not given)."""
        self.rows: TraceRows = TraceRows(page_size=self.mltui.settings.page_size)
        self.sort = SortState()
        self._good_filter = ""
        """The last filter the store answered: where a refused one goes back to."""

    @property
    def traces_query(self) -> TraceQuery:
        """What the table shows now, as the store is asked for it."""
        return trace_query(self.experiment_ids, self.filter_text, self.sort.order_by,
                           self.run_id)

    # -- layout ----------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        yield TraceFilterBar(id="filter-bar")
        yield Static(id="load-error")
        table = TracesTable(self.rows, id="traces-table")
        table.relative_times = self.mltui.settings.relative_times
        yield table
        yield KeysFooter()

    @property
    def table(self) -> TracesTable:
        return self.query_one(TracesTable)

    @property
    def title_text(self) -> str:
        names = ", ".join(self.names) if self.names else \
            ", ".join(f"experiment {e}" for e in self.experiment_ids)
        if len(names) >= 60:
            names = f"{len(self.experiment_ids)} experiments"
        if self.run_id is not None:
            return f"traces of run {self.run_name or self.run_id} ({names})"
        return f"traces of {names}"

    def on_mount(self) -> None:
        self.table.focus()
        if not self.names:
            run_blocking(self, self._experiment_names, done=self._named, group="names",
                         failed=lambda _m: None)
        self.reload()

    def _experiment_names(self) -> list[str]:
        return [self.store.get_experiment(e).name for e in self.experiment_ids]

    def _named(self, names: list[str]) -> None:
        self.names = names
        self.update_status()

    def on_screen_resume(self) -> None:
        self.update_status()

    # -- status ----------------------------------------------------------------
    def update_status(self) -> None:
        total = "…"
        if self.total is not None:
            # "40+ traces": the store is still counting
            total = count_of(self.total, "trace") if self.book.total_known else \
                f"{self.total:,}+ traces"
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            (self.title_text, "bold cyan", 6),
            (total, "", 7),
            (f"filter: {self.filter_text}", "magenta", 9) if self.filter_text else None,
            (f"sort: {self.sort.label}", "", 3),
            ("load failed: r retries", "bold red", 10) if self.error else None,
        )

    # -- loading (screens/paged.py pages; these say what a page of traces is) -----
    def _reset_rows(self) -> None:
        self.rows.reset(self.book.total or 0)
        self.table.sort = (self.sort.column, self.sort.ascending) if self.sort.column else None

    def _page_loader(self, page: int, first: bool) -> Callable[[], LoadedTraces | Refused]:
        return partial(load_trace_page, self.store, self.traces_query, page, self.book.size,
                       count=first)

    def _counter(self) -> Callable[[], int]:
        return partial(count_trace_rows, self.store, self.traces_query)

    def _set_total(self, total: int) -> None:
        self.rows.total = total

    def _pages_shown(self, first_line: int, last_line: int) -> set[int]:
        return self.rows.pages_needed(first_line, last_line)

    def _page_loaded(self, gen: int, first: bool, result: LoadedTraces | Refused) -> None:
        if isinstance(result, Refused):
            if self.book.current(gen):
                self._refused(result.message)
            return
        super()._page_loaded(gen, first, result)

    def _page_arriving(self, page: LoadedTraces, first: bool) -> None:
        if first:
            self._good_filter = self.filter_text

    def _keep_page(self, page: LoadedTraces, first: bool) -> None:
        self.rows.set_page(page.page, page.traces)

    def _refused(self, message: str) -> None:
        """The store cannot answer this filter (its grammar is fine, the backend is
        not: a span filter on an mlruns folder): back to the last filter it answered,
        the reason in one line."""
        self.notify(message, severity="error", timeout=8)
        if self.filter_text == self._good_filter:
            self._page_failed(self.book.generation, 0, True, message)
            return
        self.filter_text = self._good_filter
        self.reload()

    def action_reload(self) -> None:
        self.reload(keep_cursor=True)

    # -- filter (the bar and its keys: screens/paged.py) ---------------------------
    def _check_filter(self, text: str) -> None:
        parse_trace_filter(text)

    # -- sort --------------------------------------------------------------------
    def _sort_by(self, column: TraceColumn) -> None:
        if not self.sort.by(column):
            column = self.sort.cycle()
            self.notify(f"MLflow cannot sort traces by that column: sorted by "
                        f"{column.header.lower()}")
        self.reload(keep_total=True)

    def action_sort(self) -> None:
        self._sort_by(self.table.current_column)

    def action_clear_sort(self) -> None:
        self.sort.reset()
        self.reload(keep_total=True)

    # -- open, values, back ------------------------------------------------------
    def action_open(self) -> None:
        info = self.table.current_trace
        if info is not None:
            self._open_trace(info)

    def on_paged_table_row_activated(self, event: TracesTable.RowActivated) -> None:
        self._open_trace(event.item)

    def _open_trace(self, info: TraceInfo) -> None:
        try:
            from .trace import TraceScreen
        except ImportError:
            self.notify("trace view not available", severity="warning")
            return
        self.app.push_screen(TraceScreen(info.trace_id, info=info))

    def action_view_value(self) -> None:
        from .value_viewer import ValueViewer

        info = self.table.current_trace
        if info is None:
            return
        column = self.table.current_column
        self.app.push_screen(ValueViewer(f"{column.header} of {info.trace_id}",
                                         whole_value(column, info)))

    def action_copy_id(self) -> None:
        info = self.table.current_trace
        if info is not None:
            copy_text(self, info.trace_id, "trace id")

    def action_escape(self) -> None:
        """The filter first, then back (as the runs screen)."""
        if self.filter_text:
            self.filter_text = ""
            self.reload()
        else:
            self.action_back()
