"""The traces table: a virtual table drawn with Textual's Line API, on the same
:class:`~.paged_table.PagedTable` as the runs table.

It draws only the visible lines and asks for the pages it lacks with a
:class:`~.paged_table.PagedTable.PageNeeded` message; the screen fetches them in
a worker and hands them back through :class:`~mltui.views.trace_pages.TraceRows`.
Every cell is text from ``views.trace_pages.cell_text`` (control characters made
visible, never markup); columns scroll sideways one at a time behind the state
symbol.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..store.trace_entities import TraceInfo
from ..textfmt import safe_text
from ..views.trace_pages import COLUMNS, STATE_SYMBOLS, TraceColumn, TraceRows, cell_text
from .paged_table import PagedTable, table_bindings

LEAD = 2
"""The state symbol before the columns (it never scrolls away)."""
_STATE_STYLE = {"OK": "ok", "ERROR": "error", "IN_PROGRESS": "running"}


class TracesTable(PagedTable[TraceInfo, TraceColumn]):
    """Virtual, paged table of traces."""

    BINDINGS = table_bindings("traces_table")

    STYLE_PREFIX = "traces-table"

    COMPONENT_CLASSES = {
        "traces-table--ok",
        "traces-table--error",
        "traces-table--running",
    }

    DEFAULT_CSS = """
    TracesTable > .traces-table--ok { color: $success; }
    TracesTable > .traces-table--error { color: $error; }
    TracesTable > .traces-table--running { color: $accent; text-style: bold; }
    """

    rows: TraceRows

    def __init__(self, rows: TraceRows, *, name: str | None = None, id: str | None = None):
        super().__init__(rows, name=name, id=id)
        self.columns = list(COLUMNS)
        self.measure([])  # the headers' widths

    def _start_width(self, column: TraceColumn) -> int:
        return max(column.min_width, cell_len(column.header) + 2)

    def _max_width(self, column: TraceColumn) -> int:
        return column.max_width

    def cell_text(self, column: TraceColumn, item: TraceInfo) -> str:
        # cell_text makes control characters visible; safe_text again costs
        # nothing and keeps this widget safe whatever a column returns
        return safe_text(cell_text(column, item, relative=self.relative_times))

    def _right_aligned(self, column: TraceColumn) -> bool:
        return column.right

    def _is_status(self, column: TraceColumn) -> bool:
        return column.key == "status"

    @property
    def line_count(self) -> int:
        return self.rows.total

    def item_at(self, index: int) -> TraceInfo | None:
        return self.rows.trace_at(index)

    @property
    def current_trace(self) -> TraceInfo | None:
        return self.rows.trace_at(self.cursor)

    @property
    def current_column(self) -> TraceColumn:
        return self.columns[max(0, min(self.focused_column, len(self.columns) - 1))]

    @property
    def lead_width(self) -> int:
        return LEAD

    # -- drawing ---------------------------------------------------------------
    def _render_row(self, index: int, width: int, row_style: Style) -> Strip:
        info = self.rows.trace_at(index)
        if info is None:
            self._request(self.rows.page_of(index))
            return self._dim_line("  …", width, row_style)
        state_style = row_style + self._style(_STATE_STYLE.get(info.state, "dim"))
        segments = [Segment(STATE_SYMBOLS.get(info.state, "?") + " ", state_style)]
        segments += self._cells(info, row_style, index == self.cursor, state_style)
        return Strip(segments).adjust_cell_length(width, row_style)

    def _header_lead(self, style: Style) -> list[Segment]:
        return [Segment(" " * LEAD, style)]
