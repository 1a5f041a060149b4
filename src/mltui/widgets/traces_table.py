"""The traces table: a virtual table drawn with Textual's Line API, as the runs
table is.

It draws only the visible lines and asks for the pages it lacks with a
:class:`TracesTable.PageNeeded` message; the screen fetches them in a worker and
hands them back through :class:`~mltui.views.trace_pages.TraceRows`. Every cell
is text from ``views.trace_pages.cell_text`` (control characters made visible,
never markup); columns scroll sideways one at a time behind the state symbol.
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

from ..store.trace_entities import TraceInfo
from ..textfmt import safe_text
from ..views.trace_pages import COLUMNS, STATE_SYMBOLS, TraceColumn, TraceRows, cell_text

GAP = 2
LEAD = 2
"""The state symbol before the columns (it never scrolls away)."""
_STATE_STYLE = {"OK": "ok", "ERROR": "error", "IN_PROGRESS": "running"}


class TracesTable(ScrollView, can_focus=True):
    """Virtual, paged table of traces."""

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="traces_table.cursor_up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="traces_table.cursor_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="traces_table.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False,
                id="traces_table.page_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False,
                id="traces_table.half_page_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False,
                id="traces_table.half_page_down"),
        Binding("home,g", "first", "First", show=False, id="traces_table.first"),
        Binding("end,G", "last", "Last", show=False, id="traces_table.last"),
        Binding("left,h", "column(-1)", "Column left", show=False, id="traces_table.column_left"),
        Binding("right,l", "column(1)", "Column right", show=False,
                id="traces_table.column_right"),
    ]

    COMPONENT_CLASSES = {
        "traces-table--header",
        "traces-table--header-focused",
        "traces-table--cursor",
        "traces-table--cursor-cell",
        "traces-table--dim",
        "traces-table--ok",
        "traces-table--error",
        "traces-table--running",
    }

    DEFAULT_CSS = """
    TracesTable { height: 1fr; overflow-x: hidden; }
    TracesTable > .traces-table--header { text-style: bold; background: $panel; }
    TracesTable > .traces-table--header-focused { text-style: bold reverse; }
    TracesTable > .traces-table--cursor { background: $surface-lighten-2; }
    TracesTable:focus > .traces-table--cursor { background: $accent 40%; }
    TracesTable > .traces-table--cursor-cell { text-style: bold underline; }
    TracesTable > .traces-table--dim { color: $text-muted; }
    TracesTable > .traces-table--ok { color: $success; }
    TracesTable > .traces-table--error { color: $error; }
    TracesTable > .traces-table--running { color: $accent; text-style: bold; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)
    focused_column: reactive[int] = reactive(0)

    class PageNeeded(Message):
        """A page of traces must be fetched."""

        def __init__(self, page: int) -> None:
            super().__init__()
            self.page = page

    class HeaderClicked(Message):
        def __init__(self, column: TraceColumn) -> None:
            super().__init__()
            self.column = column

    class RowActivated(Message):
        """A double click on a trace."""

        def __init__(self, info: TraceInfo) -> None:
            super().__init__()
            self.info = info

    def __init__(self, rows: TraceRows, *, name: str | None = None, id: str | None = None):
        super().__init__(name=name, id=id)
        self.rows = rows
        self.columns: list[TraceColumn] = list(COLUMNS)
        self.widths: dict[str, int] = {c.key: max(c.min_width, cell_len(c.header) + 2)
                                       for c in self.columns}
        self.first_column = 0
        self.sort: tuple[TraceColumn, bool] | None = None
        self.relative_times = True
        self._requested: set[int] = set()

    # -- data ------------------------------------------------------------------
    def measure(self, traces: Iterable[TraceInfo]) -> None:
        """Widen columns to fit ``traces`` (widths only grow, so nothing jumps back)."""
        traces = list(traces)[:500]
        for column in self.columns:
            width = self.widths[column.key]
            for info in traces:
                width = max(width, cell_len(self.cell(column, info)))
            self.widths[column.key] = min(column.max_width, width)

    def cell(self, column: TraceColumn, info: TraceInfo) -> str:
        return cell_text(column, info, relative=self.relative_times)

    def data_changed(self) -> None:
        """Pages arrived or the total changed: recompute the size and redraw."""
        self.virtual_size = Size(self.size.width, self.rows.total + 1)
        if self.cursor >= self.rows.total:
            self.cursor = max(0, self.rows.total - 1)
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
    def current_trace(self) -> TraceInfo | None:
        return self.rows.trace_at(self.cursor)

    @property
    def current_column(self) -> TraceColumn:
        return self.columns[max(0, min(self.focused_column, len(self.columns) - 1))]

    # -- geometry --------------------------------------------------------------
    @property
    def body_height(self) -> int:
        return max(1, self.size.height - 1)

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, self.rows.total + 1)
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self) -> None:
        top = int(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + self.body_height:
            self.scroll_to(y=self.cursor - self.body_height + 1, animate=False, immediate=True)

    def move_cursor(self, line: int, *, keep_offset: int | None = None) -> None:
        """Put the cursor on ``line``; with ``keep_offset`` keep it that many lines
        below the top of the view (a refresh puts the cursor back where it was)."""
        total = self.rows.total
        if keep_offset is not None:
            # after the next layout: the table may just have grown
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
        if new < self.first_column:
            self.first_column = new
        else:
            while self.first_column < new and not self._column_visible(new):
                self.first_column += 1
        self.refresh()

    def _column_visible(self, index: int) -> bool:
        x = LEAD
        for i in range(self.first_column, index + 1):
            x += self.widths[self.columns[i].key] + GAP
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
        self.move_cursor(self.rows.total - 1)

    def action_column(self, delta: int) -> None:
        self.focused_column = max(0, min(len(self.columns) - 1, self.focused_column + delta))

    # -- mouse -----------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        line = int(self.scroll_y) + event.y - 1
        if 0 <= line < self.rows.total:
            self.move_cursor(line)
            info = self.current_trace
            if event.chain >= 2 and info is not None:
                self.post_message(self.RowActivated(info))

    def _column_at(self, x: int) -> TraceColumn | None:
        pos = LEAD
        for i in range(self.first_column, len(self.columns)):
            pos += self.widths[self.columns[i].key] + GAP
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
        return self.get_component_rich_style(f"traces-table--{name}")

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width)
        index = int(self.scroll_y) + y - 1
        if index >= self.rows.total:
            return Strip.blank(width, base)
        is_cursor = index == self.cursor
        row_style = base + self._style("cursor") if is_cursor else base
        info = self.rows.trace_at(index)
        if info is None:
            self._request(self.rows.page_of(index))
            return Strip([Segment(set_cell_size("  …", width), row_style + self._style("dim"))])
        return Strip(self._row_segments(info, row_style, is_cursor)).adjust_cell_length(
            width, row_style)

    def _request(self, page: int) -> None:
        if page not in self._requested:
            self._requested.add(page)
            self.post_message(self.PageNeeded(page))

    def _render_header(self, width: int) -> Strip:
        style = self.rich_style + self._style("header")
        segments = [Segment(" " * LEAD, style)]
        for i in range(self.first_column, len(self.columns)):
            column = self.columns[i]
            label = column.header
            if self.sort and self.sort[0] == column:
                label = ("↑ " if self.sort[1] else "↓ ") + label
            cell_style = style + self._style("header-focused") if i == self.focused_column \
                else style
            segments.append(Segment(self._fit(label, column), cell_style))
            segments.append(Segment(" " * GAP, style))
        return Strip(segments).adjust_cell_length(width, style)

    def _fit(self, text: str, column: TraceColumn) -> str:
        width = self.widths[column.key]
        if cell_len(text) > width:
            return set_cell_size(text, width - 1) + "…"
        if column.right:
            return " " * (width - cell_len(text)) + text
        return set_cell_size(text, width)

    def _row_segments(self, info: TraceInfo, row_style: Style, is_cursor: bool) -> list[Segment]:
        state_style = row_style + self._style(_STATE_STYLE.get(info.state, "dim"))
        segments = [Segment(STATE_SYMBOLS.get(info.state, "?") + " ", state_style)]
        for i in range(self.first_column, len(self.columns)):
            column = self.columns[i]
            # cell_text makes control characters visible; safe_text again costs
            # nothing and keeps this widget safe whatever a column returns
            text = safe_text(self.cell(column, info))
            cell_style = state_style if column.key == "status" else row_style
            if is_cursor and i == self.focused_column:
                cell_style = cell_style + self._style("cursor-cell")
            segments.append(Segment(self._fit(text, column), cell_style))
            segments.append(Segment(" " * GAP, row_style))
        return segments
