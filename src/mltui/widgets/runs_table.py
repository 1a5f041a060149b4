"""The runs table: a virtual table drawn with Textual's Line API
(:class:`~.paged_table.PagedTable`).

It draws only the visible lines and asks for pages it lacks with a
:class:`~.paged_table.PagedTable.PageNeeded` message; the screen fetches them in
a worker and hands them back through :class:`RunRows`. The mark, the status and
the run-name column stay put while the other columns scroll sideways one column
at a time. In tree view the children of an opened parent sit under it.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..columns import Column
from ..store.entities import Run
from ..store.search import ATTRIBUTE, METRIC
from ..textfmt import STATUS_SYMBOLS, safe_text
from ..views.run_rows import RunRows
from .paged_table import GAP, MEASURED, PagedTable, table_bindings

NAME_MIN, NAME_MAX = 12, 36
CELL_MIN, CELL_MAX = 6, 28
ORPHAN_MARK = "⊘ "
"""Before a top-level row whose parent run is not in the table (deleted, elsewhere)."""
NAME_COLUMN = Column(ATTRIBUTE, "run_name")
"""The column in the lead (focused at -1: where the tree arrows are)."""
_STATUS_STYLE = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed",
                 "RUNNING": "running", "SCHEDULED": "running"}


class RunsTable(PagedTable[Run, Column]):
    """Virtual, paged table of runs."""

    BINDINGS = table_bindings("table")

    STYLE_PREFIX = "runs-table"
    FIRST_COLUMN = -1

    COMPONENT_CLASSES = {
        "runs-table--marked",
        "runs-table--finished",
        "runs-table--failed",
        "runs-table--killed",
        "runs-table--running",
        "runs-table--deleted",
    }

    DEFAULT_CSS = """
    /* the $text-* shades: readable on the theme's background, light or dark */
    RunsTable > .runs-table--marked { color: $text-warning; text-style: bold; }
    RunsTable > .runs-table--finished { color: $text-success; }
    RunsTable > .runs-table--failed { color: $text-error; }
    RunsTable > .runs-table--killed { color: $text-warning; }
    RunsTable > .runs-table--running { color: $text-accent; text-style: bold; }
    RunsTable > .runs-table--deleted { text-style: strike; color: $text-muted; }
    """

    rows: RunRows

    def __init__(self, rows: RunRows, *, name: str | None = None, id: str | None = None):
        super().__init__(rows, name=name, id=id)
        self.name_width = NAME_MIN
        self.marks: set[str] = set()
        self.show_tree = True
        self.want_end = False
        """G was the last move: follow the end when the total grows."""

    # -- data ------------------------------------------------------------------
    def set_columns(self, columns: list[Column]) -> None:
        self.columns = list(columns)
        self.widths = {}
        self.first_column = 0
        self.focused_column = min(self.focused_column, len(self.columns) - 1)
        self.measure(self.rows.loaded_runs())
        self.refresh()

    def measure(self, runs: Iterable[Run]) -> None:
        """Widen the name and the columns to fit ``runs`` (widths only grow)."""
        runs = list(runs)[:MEASURED]
        # +4 leaves room for the tree prefix ("▸ " or "  └ ")
        name = max([self.name_width] + [cell_len(safe_text(r.run_name)) + 4 for r in runs])
        self.name_width = max(NAME_MIN, min(NAME_MAX, name))
        super().measure(runs)

    def _start_width(self, column: Column) -> int:
        return max(CELL_MIN, min(CELL_MAX, cell_len(column.header) + 2))

    def _max_width(self, column: Column) -> int:
        return CELL_MAX

    def cell_text(self, column: Column, item: Run) -> str:
        return column.text(item, relative=self.relative_times)

    def _right_aligned(self, column: Column) -> bool:
        return column.kind == METRIC or column.key in ("duration",)

    def _is_status(self, column: Column) -> bool:
        return column.key == "status" and column.kind == ATTRIBUTE

    @property
    def line_count(self) -> int:
        return self.rows.total_lines

    def item_at(self, index: int) -> Run | None:
        return self.rows.run_at(index)

    @property
    def current_run(self) -> Run | None:
        return self.rows.run_at(self.cursor)

    @property
    def current_column(self) -> Column | None:
        if self.focused_column < 0 or not self.columns:
            return NAME_COLUMN
        return self.columns[min(self.focused_column, len(self.columns) - 1)]

    # -- moving ----------------------------------------------------------------
    def reveal(self, first: int, last: int) -> None:
        """Scroll as little as possible so lines ``first..last`` show (``first`` wins
        when they do not fit): the children under a parent just opened."""
        top = int(self.scroll_y)
        height = self.body_height
        if last >= top + height:
            top = last - height + 1
        top = min(top, first)
        if top != int(self.scroll_y):
            # after the next layout: the table has just grown by these lines
            self.call_after_refresh(self.scroll_to, y=top, animate=False, immediate=True)

    def move_cursor(self, line: int, *, keep_offset: int | None = None) -> None:
        self.want_end = False
        super().move_cursor(line, keep_offset=keep_offset)

    def action_last(self) -> None:
        super().action_last()
        # the store may still be counting: the screen moves on to the real end
        self.want_end = True

    @property
    def lead_width(self) -> int:
        return 2 + 2 + self.name_width + GAP  # mark, status, name

    def _column_at(self, x: int) -> Column | None:
        if x < self.lead_width:
            return NAME_COLUMN
        return super()._column_at(x)

    # -- drawing ---------------------------------------------------------------
    def _render_row(self, index: int, width: int, row_style: Style) -> Strip:
        line = self.rows.line(index)
        if line is not None and line.note is not None:
            return self._dim_line(" " * 6 + line.note, width, row_style)
        run = self.rows.run_at(index)
        if run is None:
            if line is not None:
                self._request(self.rows.page_of(line.top_index))
            return self._dim_line("    …", width, row_style)
        is_child = line is not None and line.child_index is not None
        return Strip(self._row_segments(run, is_child, row_style, index == self.cursor)
                     ).adjust_cell_length(width, row_style)

    def _header_lead(self, style: Style) -> list[Segment]:
        arrow = ""
        if self.sort and self.sort[0] == NAME_COLUMN:
            arrow = " ↑" if self.sort[1] else " ↓"
        name_style = style + self._style("header-focused") if self.focused_column < 0 else style
        return [Segment("    ", style),
                Segment(set_cell_size("Run name" + arrow, self.name_width), name_style),
                Segment(" " * GAP, style)]

    def _row_segments(
        self, run: Run, is_child: bool, row_style: Style, is_cursor: bool
    ) -> list[Segment]:
        marked = run.run_id in self.marks
        mark = Segment("● " if marked else "  ", row_style + self._style("marked"))
        status_style = row_style + self._style(_STATUS_STYLE.get(run.status, "dim"))
        status = Segment(STATUS_SYMBOLS.get(run.status, "?") + " ", status_style)
        if is_child:
            prefix = "  └ "
        elif self.show_tree and self.rows.child_counts.get(run.run_id):
            prefix = "▾ " if self.rows.is_expanded(run.run_id) else "▸ "
        elif self.show_tree and run.parent_run_id:
            prefix = ORPHAN_MARK  # a child whose parent is deleted or not shown
        else:
            prefix = ""
        name = safe_text(run.run_name) or run.run_id[:8]
        name_style = row_style
        if run.lifecycle_stage == "deleted":
            name_style = row_style + self._style("deleted")
        if marked:
            name_style = name_style + self._style("marked")
        segments = [
            mark,
            status,
            Segment(prefix, row_style + self._style("dim")),
            Segment(set_cell_size(name, self.name_width - cell_len(prefix)) + " " * GAP,
                    name_style),
        ]
        return segments + self._cells(run, row_style, is_cursor, status_style)
