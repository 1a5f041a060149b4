"""The runs table: a virtual table drawn with Textual's Line API.

It draws only the visible lines and asks for pages it lacks with a
:class:`RunsTable.PageNeeded` message; the screen fetches them in a worker
and hands them back through :class:`RunRows`. The run-name column stays put
while the other columns scroll sideways one column at a time.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..columns import Column
from ..store.entities import Run
from ..store.search import ATTRIBUTE, METRIC
from ..textfmt import STATUS_SYMBOLS, safe_text
from ..views.run_rows import RunRows

NAME_MIN, NAME_MAX = 12, 36
CELL_MIN, CELL_MAX = 6, 28
GAP = 2
ORPHAN_MARK = "⊘ "
"""Before a top-level row whose parent run is not in the table (deleted, elsewhere)."""


class RunsTable(ScrollView, can_focus=True):
    """Virtual, paged table of runs."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="table.cursor_up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="table.cursor_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="table.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="table.page_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="table.half_page_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id="table.half_page_down"),
        Binding("home,g", "first", "First", show=False, id="table.first"),
        Binding("end,G", "last", "Last", show=False, id="table.last"),
        Binding("left,h", "column(-1)", "Column left", show=False, id="table.column_left"),
        Binding("right,l", "column(1)", "Column right", show=False, id="table.column_right"),
    ]

    COMPONENT_CLASSES = {
        "runs-table--header",
        "runs-table--header-focused",
        "runs-table--cursor",
        "runs-table--cursor-cell",
        "runs-table--marked",
        "runs-table--dim",
        "runs-table--finished",
        "runs-table--failed",
        "runs-table--killed",
        "runs-table--running",
        "runs-table--deleted",
    }

    DEFAULT_CSS = """
    RunsTable { height: 1fr; overflow-x: hidden; }
    RunsTable > .runs-table--header { text-style: bold; background: $panel; }
    RunsTable > .runs-table--header-focused { text-style: bold reverse; }
    RunsTable > .runs-table--cursor { background: $surface-lighten-2; }
    RunsTable:focus > .runs-table--cursor { background: $accent 40%; }
    RunsTable > .runs-table--cursor-cell { text-style: bold underline; }
    /* the $text-* shades: readable on the theme's background, light or dark */
    RunsTable > .runs-table--marked { color: $text-warning; text-style: bold; }
    RunsTable > .runs-table--dim { color: $text-muted; }
    RunsTable > .runs-table--finished { color: $text-success; }
    RunsTable > .runs-table--failed { color: $text-error; }
    RunsTable > .runs-table--killed { color: $text-warning; }
    RunsTable > .runs-table--running { color: $text-accent; text-style: bold; }
    RunsTable > .runs-table--deleted { text-style: strike; color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)
    focused_column: reactive[int] = reactive(0)

    class PageNeeded(Message):
        """A page of top-level runs must be fetched."""

        def __init__(self, page: int) -> None:
            super().__init__()
            self.page = page

    class HeaderClicked(Message):
        def __init__(self, column: Column) -> None:
            super().__init__()
            self.column = column

    class RowActivated(Message):
        """Double click or enter on a run."""

        def __init__(self, run: Run) -> None:
            super().__init__()
            self.run = run

    def __init__(self, rows: RunRows, *, name: str | None = None, id: str | None = None):
        super().__init__(name=name, id=id)
        self.rows = rows
        self.columns: list[Column] = []
        self.widths: dict[Column, int] = {}
        self.name_width = NAME_MIN
        self.first_column = 0
        self.marks: set[str] = set()
        self.sort: tuple[Column, bool] | None = None
        self.show_tree = True
        self.relative_times = True
        self._requested: set[int] = set()
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
        """Widen columns to fit ``runs`` (widths only grow, so nothing jumps back)."""
        runs = list(runs)
        # +4 leaves room for the tree prefix ("▸ " or "  └ ")
        name = max([self.name_width] + [cell_len(safe_text(r.run_name)) + 4 for r in runs[:500]])
        self.name_width = max(NAME_MIN, min(NAME_MAX, name))
        for column in self.columns:
            width = self.widths.get(column, max(CELL_MIN, min(CELL_MAX, cell_len(column.header)
                                                              + 2)))
            for run in runs[:500]:
                width = max(width, cell_len(column.text(run, relative=self.relative_times)))
            self.widths[column] = min(CELL_MAX, width)

    def data_changed(self) -> None:
        """Pages or expansions changed: recompute the size and redraw."""
        self.virtual_size = Size(self.size.width, self.rows.total_lines + 1)
        if self.cursor >= self.rows.total_lines:
            self.cursor = max(0, self.rows.total_lines - 1)
        self.refresh()

    def page_arrived(self, page: int) -> None:
        self._requested.discard(page)
        self.measure(self.rows.pages.get(page, []))
        self.data_changed()

    def forget_requests(self) -> None:
        self._requested.clear()

    def forget_request(self, page: int) -> None:
        self._requested.discard(page)

    @property
    def current_run(self) -> Run | None:
        return self.rows.run_at(self.cursor)

    # -- geometry --------------------------------------------------------------
    @property
    def body_height(self) -> int:
        return max(1, self.size.height - 1)

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, self.rows.total_lines + 1)
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self.body_height:
            self.scroll_to(y=self.cursor - self.body_height + 1, animate=False, immediate=True)

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
        """Put the cursor on ``line``; with ``keep_offset`` keep it that many lines
        below the top of the view (used when rows are inserted above)."""
        self.want_end = False
        total = self.rows.total_lines
        if keep_offset is not None:
            # after the next layout: the table may just have grown, and scrolling
            # before it knows its new size would clamp to the old end
            target = max(0, min(line, total - 1) - keep_offset)
            self.call_after_refresh(self.scroll_to, y=target, animate=False, immediate=True)
        self.cursor = max(0, min(line, total - 1)) if total else 0
        if keep_offset is None:
            self._scroll_cursor_into_view()

    def watch_cursor(self, old: int, new: int) -> None:
        top = int(self.scroll_y)
        self._scroll_cursor_into_view()
        if int(self.scroll_y) == top:
            # redraw just the two lines that changed: cheap over a slow SSH link
            for line in {old, new}:
                y = line - top + 1
                if 1 <= y < self.size.height:
                    self.refresh(Region(0, y, self.size.width, 1))
        else:
            self.refresh()

    def watch_focused_column(self, _old: int, new: int) -> None:
        if new < 0:
            pass
        elif new < self.first_column:
            self.first_column = new
        else:
            while self.first_column < new and not self._column_visible(new):
                self.first_column += 1
        self.refresh()

    def _frozen_width(self) -> int:
        return 2 + 2 + self.name_width + GAP  # mark, status, name

    def _column_visible(self, index: int) -> bool:
        x = self._frozen_width()
        for i in range(self.first_column, index + 1):
            x += self.widths.get(self.columns[i], CELL_MIN) + GAP
        return x <= self.size.width + GAP

    # -- actions ---------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * self.body_height)

    def action_half_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * max(1, self.body_height // 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.rows.total_lines - 1)
        # the store may still be counting: the screen moves on to the real end
        self.want_end = True

    def action_column(self, delta: int) -> None:
        # -1 is the frozen run-name column (where the tree arrows are)
        self.focused_column = max(-1, min(len(self.columns) - 1, self.focused_column + delta))

    @property
    def current_column(self) -> Column | None:
        if self.focused_column < 0 or not self.columns:
            return Column(ATTRIBUTE, "run_name")
        return self.columns[min(self.focused_column, len(self.columns) - 1)]

    # -- mouse -----------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        line = int(self.scroll_y) + event.y - 1
        if 0 <= line < self.rows.total_lines:
            self.move_cursor(line)
            run = self.current_run
            if event.chain >= 2 and run is not None:
                self.post_message(self.RowActivated(run))

    def _column_at(self, x: int) -> Column | None:
        if x < self._frozen_width():
            return Column(ATTRIBUTE, "run_name")
        pos = self._frozen_width()
        for i in range(self.first_column, len(self.columns)):
            pos += self.widths.get(self.columns[i], CELL_MIN) + GAP
            if x < pos:
                self.focused_column = i
                return self.columns[i]
        return None

    def on_mouse_scroll_left(self, event: events.MouseScrollLeft) -> None:
        event.stop()
        self.action_column(-1)

    def on_mouse_scroll_right(self, event: events.MouseScrollRight) -> None:
        event.stop()
        self.action_column(1)

    # -- drawing ---------------------------------------------------------------
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"runs-table--{name}")

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width)
        index = int(self.scroll_y) + y - 1
        if index >= self.rows.total_lines:
            return Strip.blank(width, base)
        line = self.rows.line(index)
        is_cursor = index == self.cursor
        row_style = base + self._style("cursor") if is_cursor else base
        if line is not None and line.note is not None:
            text = " " * 6 + line.note
            return Strip([Segment(set_cell_size(text, width), row_style + self._style("dim"))])
        run = self.rows.run_at(index)
        if run is None:
            if line is not None:
                self._request(self.rows.page_of(line.top_index))
            return Strip([Segment(set_cell_size("    …", width), row_style + self._style("dim"))])
        is_child = line is not None and line.child_index is not None
        return Strip(self._row_segments(run, index, is_child, row_style,
                                        is_cursor)).adjust_cell_length(width, row_style)

    def _request(self, page: int) -> None:
        if page not in self._requested:
            self._requested.add(page)
            self.post_message(self.PageNeeded(page))

    def _render_header(self, width: int) -> Strip:
        style = self.rich_style + self._style("header")
        arrow = ""
        if self.sort and self.sort[0] == Column(ATTRIBUTE, "run_name"):
            arrow = " ↑" if self.sort[1] else " ↓"
        name_style = style + self._style("header-focused") if self.focused_column < 0 else style
        segments = [Segment("    ", style),
                    Segment(set_cell_size("Run name" + arrow, self.name_width), name_style),
                    Segment(" " * GAP, style)]
        for i in range(self.first_column, len(self.columns)):
            column = self.columns[i]
            w = self.widths.get(column, CELL_MIN)
            label = safe_text(column.header)
            if self.sort and self.sort[0] == column:
                label = ("↑ " if self.sort[1] else "↓ ") + label
            cell_style = style
            if i == self.focused_column:
                cell_style = style + self._style("header-focused")
            segments.append(Segment(self._fit(label, w, column), cell_style))
            segments.append(Segment(" " * GAP, style))
        return Strip(segments).adjust_cell_length(width, style)

    def _fit(self, text: str, width: int, column: Column) -> str:
        if cell_len(text) > width:
            return set_cell_size(text, width - 1) + "…"
        if column.kind == METRIC or column.key in ("duration",):
            return " " * (width - cell_len(text)) + text
        return set_cell_size(text, width)

    def _row_segments(
        self, run: Run, index: int, is_child: bool, row_style: Style, is_cursor: bool
    ) -> list[Segment]:
        marked = run.run_id in self.marks
        mark = Segment("● " if marked else "  ", row_style + self._style("marked"))
        status_style = {
            "FINISHED": "finished",
            "FAILED": "failed",
            "KILLED": "killed",
            "RUNNING": "running",
            "SCHEDULED": "running",
        }.get(run.status, "dim")
        status = Segment(STATUS_SYMBOLS.get(run.status, "?") + " ",
                         row_style + self._style(status_style))
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
        for i in range(self.first_column, len(self.columns)):
            column = self.columns[i]
            w = self.widths.get(column, CELL_MIN)
            text = column.text(run, relative=self.relative_times)
            cell_style = row_style
            if column.key == "status" and column.kind == ATTRIBUTE:
                cell_style = row_style + self._style(status_style)
            if is_cursor and i == self.focused_column:
                cell_style = cell_style + self._style("cursor-cell")
            segments.append(Segment(self._fit(text, w, column), cell_style))
            segments.append(Segment(" " * GAP, row_style))
        return segments
