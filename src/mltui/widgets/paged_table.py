"""The virtual table under the runs table and the traces table: Textual's Line API
over rows that arrive from the store in pages.

It draws only the visible lines: a header, then one line per row, asking with
:class:`PagedTable.PageNeeded` for a page it lacks (once, until the page arrives
or the screen forgets the request). It keeps the cursor and the scrolling, the
focused column and the sideways scrolling one column at a time behind a lead that
stays put (the runs table's mark, status and name; the traces table's state
symbol), the column widths (grown to fit, never shrunk), clicks and the moving
keys. What a row shows, its lead and which rows hold which items is the
subclass's (``runs_table.py``, ``traces_table.py``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..textfmt import safe_text

ItemT = TypeVar("ItemT")
"""What a row shows: a ``Run``, a ``TraceInfo``."""
_Item_co = TypeVar("_Item_co", covariant=True)


class TableColumn(Hashable, Protocol):
    """A column of a paged table: ``columns.Column``, ``views.trace_pages.TraceColumn``."""

    @property
    def header(self) -> str: ...


ColumnT = TypeVar("ColumnT", bound=TableColumn)

GAP = 2
"""Blank cells after each column."""
MIN_WIDTH = 6
"""A column's width before it was measured."""
MEASURED = 500
"""Items of a page read to size the columns (enough to see the widest values)."""
SHARED_LOOK = frozenset({"header", "header-focused", "cursor", "cursor-cell", "dim"})
"""The component classes every paged table draws with (``paged-table--NAME``)."""


def table_bindings(prefix: str) -> list[BindingType]:
    """The moving keys of a paged table, with ids under ``prefix`` (``table``,
    ``traces_table``), so that a keymap in config.toml names each table's keys."""
    return [
        Binding("up,k", "cursor(-1)", "Up", show=False, id=f"{prefix}.cursor_up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id=f"{prefix}.cursor_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False,
                id=f"{prefix}.page_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False,
                id=f"{prefix}.half_page_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False,
                id=f"{prefix}.half_page_down"),
        Binding("home,g", "first", "First", show=False, id=f"{prefix}.first"),
        Binding("end,G", "last", "Last", show=False, id=f"{prefix}.last"),
        Binding("left,h", "column(-1)", "Column left", show=False, id=f"{prefix}.column_left"),
        Binding("right,l", "column(1)", "Column right", show=False,
                id=f"{prefix}.column_right"),
    ]


class PagedRows(Protocol[_Item_co]):
    """What the table reads of its rows (``views.run_rows.RunRows``,
    ``views.trace_pages.TraceRows``): the pages it holds, by number."""

    @property
    def pages(self) -> Mapping[int, Sequence[_Item_co]]: ...

    def has_page(self, page: int) -> bool: ...


class PagedTable(ScrollView, Generic[ItemT, ColumnT], can_focus=True):
    """Virtual, paged table of ``ItemT`` in ``ColumnT`` columns: a subclass says
    how many lines there are, which item is on a line, a cell's text and how a
    row and the lead are drawn."""

    STYLE_PREFIX: ClassVar[str] = "paged-table"
    """The prefix of the subclass's own component classes (``runs-table``)."""
    FIRST_COLUMN: ClassVar[int] = 0
    """The leftmost column ``h`` reaches; -1 is a column in the lead (the run name)."""

    COMPONENT_CLASSES = {f"paged-table--{name}" for name in SHARED_LOOK}

    DEFAULT_CSS = """
    PagedTable { height: 1fr; overflow-x: hidden; }
    PagedTable > .paged-table--header { text-style: bold; background: $panel; }
    PagedTable > .paged-table--header-focused { text-style: bold reverse; }
    PagedTable > .paged-table--cursor { background: $surface-lighten-2; }
    PagedTable:focus > .paged-table--cursor { background: $accent 40%; }
    PagedTable > .paged-table--cursor-cell { text-style: bold underline; }
    /* the $text-* shades: readable on the theme's background, light or dark */
    PagedTable > .paged-table--dim { color: $text-muted; }
    """

    cursor: reactive[int] = reactive(0, always_update=True)
    focused_column: reactive[int] = reactive(0)

    class PageNeeded(Message):
        """A page of the table must be fetched (the screen asks the store)."""

        def __init__(self, page: int) -> None:
            super().__init__()
            self.page = page

    class HeaderClicked(Message):
        """A click on a column's header (the screen sorts by it)."""

        def __init__(self, column: Any) -> None:
            super().__init__()
            self.column = column

    class RowActivated(Message):
        """A double click on a row's item (the screen opens it)."""

        def __init__(self, item: Any) -> None:
            super().__init__()
            self.item = item

    def __init__(self, rows: PagedRows[ItemT], *, name: str | None = None,
                 id: str | None = None):
        super().__init__(name=name, id=id)
        self.rows = rows
        self.columns: list[ColumnT] = []
        self.widths: dict[ColumnT, int] = {}
        self.first_column = 0
        """The first column shown after the lead (the columns scroll sideways)."""
        self.sort: tuple[ColumnT, bool] | None = None
        """The column the rows are sorted by, and whether ascending (for the arrow)."""
        self.relative_times = True
        self._requested: set[int] = set()

    # -- what the subclass says ----------------------------------------------------
    @property
    def line_count(self) -> int:
        """Lines of the table below the header."""
        raise NotImplementedError

    def item_at(self, index: int) -> ItemT | None:
        """The item on line ``index`` (None: its page is not here, or a note line)."""
        raise NotImplementedError

    def cell_text(self, column: ColumnT, item: ItemT) -> str:
        """What ``column`` shows for ``item``: one line of safe text."""
        raise NotImplementedError

    def _start_width(self, column: ColumnT) -> int:
        """The width of ``column`` before any item was measured."""
        raise NotImplementedError

    def _max_width(self, column: ColumnT) -> int:
        raise NotImplementedError

    def _right_aligned(self, column: ColumnT) -> bool:
        """Numbers line up on the right."""
        raise NotImplementedError

    def _is_status(self, column: ColumnT) -> bool:
        """The column coloured as the row's status."""
        raise NotImplementedError

    @property
    def lead_width(self) -> int:
        """Cells before the first column, which never scroll away."""
        raise NotImplementedError

    def _header_lead(self, style: Style) -> list[Segment]:
        """The header over the lead."""
        raise NotImplementedError

    def _render_row(self, index: int, width: int, row_style: Style) -> Strip:
        """Line ``index`` of the table (``row_style``: the cursor's when it is there)."""
        raise NotImplementedError

    # -- data ----------------------------------------------------------------------
    def measure(self, items: Iterable[ItemT]) -> None:
        """Widen columns to fit ``items`` (widths only grow, so nothing jumps back)."""
        items = list(items)[:MEASURED]
        for column in self.columns:
            width = self.widths.get(column, self._start_width(column))
            for item in items:
                width = max(width, cell_len(self.cell_text(column, item)))
            self.widths[column] = min(self._max_width(column), width)

    def _width(self, column: ColumnT) -> int:
        return self.widths.get(column, MIN_WIDTH)

    def data_changed(self) -> None:
        """Pages arrived, or the total or the lines changed: recompute the size and
        redraw."""
        self.virtual_size = Size(self.size.width, self.line_count + 1)
        if self.cursor >= self.line_count:
            self.cursor = max(0, self.line_count - 1)
        self.refresh()

    def page_arrived(self, page: int) -> None:
        self._requested.discard(page)
        self.measure(self.rows.pages.get(page, []))
        self.data_changed()

    def forget_requests(self) -> None:
        self._requested.clear()

    def forget_request(self, page: int) -> None:
        self._requested.discard(page)

    def _request(self, page: int) -> None:
        if page not in self._requested:
            self._requested.add(page)
            self.post_message(self.PageNeeded(page))

    # -- geometry ------------------------------------------------------------------
    @property
    def body_height(self) -> int:
        return max(1, self.size.height - 1)

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, self.line_count + 1)
        self._scroll_cursor_into_view()

    def _scroll_cursor_into_view(self, retry: bool = True) -> None:
        top = int(self.scroll_y)
        if self.cursor < top:
            target = self.cursor
        elif self.cursor >= top + self.body_height:
            target = self.cursor - self.body_height + 1
        else:
            return
        self.scroll_to(y=target, animate=False, immediate=True)
        if retry and int(self.scroll_y) != target:
            # the table has just grown (G before the count came): Textual adds its
            # scrollbar at the next layout and refuses to scroll until then
            self.call_after_refresh(self._scroll_cursor_into_view, False)

    def move_cursor(self, line: int, *, keep_offset: int | None = None) -> None:
        """Put the cursor on ``line``; with ``keep_offset`` keep it that many lines
        below the top of the view (a reload puts the cursor back where it was; rows
        were inserted above)."""
        total = self.line_count
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
            pass  # a column in the lead: nothing scrolls
        elif new < self.first_column:
            self.first_column = new
        else:
            while self.first_column < new and not self._column_visible(new):
                self.first_column += 1
        self.refresh()

    def _column_visible(self, index: int) -> bool:
        x = self.lead_width
        for i in range(self.first_column, index + 1):
            x += self._width(self.columns[i]) + GAP
        return x <= self.size.width + GAP

    # -- actions -------------------------------------------------------------------
    def action_cursor(self, delta: int) -> None:
        self.move_cursor(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * self.body_height)

    def action_half_page(self, direction: int) -> None:
        self.move_cursor(self.cursor + direction * max(1, self.body_height // 2))

    def action_first(self) -> None:
        self.move_cursor(0)

    def action_last(self) -> None:
        self.move_cursor(self.line_count - 1)

    def action_column(self, delta: int) -> None:
        self.focused_column = max(self.FIRST_COLUMN,
                                  min(len(self.columns) - 1, self.focused_column + delta))

    # -- mouse ---------------------------------------------------------------------
    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            column = self._column_at(event.x)
            if column is not None:
                self.post_message(self.HeaderClicked(column))
            return
        line = int(self.scroll_y) + event.y - 1
        if 0 <= line < self.line_count:
            self.move_cursor(line)
            item = self.item_at(self.cursor)
            if event.chain >= 2 and item is not None:
                self.post_message(self.RowActivated(item))

    def _column_at(self, x: int) -> ColumnT | None:
        """The column whose header is at ``x`` (now focused), if any."""
        pos = self.lead_width
        for i in range(self.first_column, len(self.columns)):
            pos += self._width(self.columns[i]) + GAP
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

    # -- drawing -------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        """A component class's style: the look all paged tables share
        (:data:`SHARED_LOOK`), or the subclass's own (``runs-table--failed``)."""
        prefix = "paged-table" if name in SHARED_LOOK else self.STYLE_PREFIX
        return self.get_component_rich_style(f"{prefix}--{name}")

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._render_header(width)
        index = int(self.scroll_y) + y - 1
        if index >= self.line_count:
            return Strip.blank(width, base)
        row_style = base + self._style("cursor") if index == self.cursor else base
        return self._render_row(index, width, row_style)

    def _dim_line(self, text: str, width: int, row_style: Style) -> Strip:
        """A line of text in the muted colour: a row still loading, a note."""
        return Strip([Segment(set_cell_size(text, width), row_style + self._style("dim"))])

    def _render_header(self, width: int) -> Strip:
        style = self.rich_style + self._style("header")
        segments = self._header_lead(style)
        for i in range(self.first_column, len(self.columns)):
            column = self.columns[i]
            label = safe_text(column.header)
            if self.sort and self.sort[0] == column:
                label = ("↑ " if self.sort[1] else "↓ ") + label
            cell_style = style
            if i == self.focused_column:
                cell_style = style + self._style("header-focused")
            segments.append(Segment(self._fit(label, column), cell_style))
            segments.append(Segment(" " * GAP, style))
        return Strip(segments).adjust_cell_length(width, style)

    def _fit(self, text: str, column: ColumnT) -> str:
        """``text`` cut or padded to the column's width (an ellipsis where cut)."""
        width = self._width(column)
        if cell_len(text) > width:
            return set_cell_size(text, width - 1) + "…"
        if self._right_aligned(column):
            return " " * (width - cell_len(text)) + text
        return set_cell_size(text, width)

    def _cells(self, item: ItemT, row_style: Style, is_cursor: bool,
               status_style: Style) -> list[Segment]:
        """The columns of a row from the first one shown: the status column in
        ``status_style``, the focused cell of the cursor's row marked."""
        segments = []
        for i in range(self.first_column, len(self.columns)):
            column = self.columns[i]
            cell_style = status_style if self._is_status(column) else row_style
            if is_cursor and i == self.focused_column:
                cell_style = cell_style + self._style("cursor-cell")
            segments.append(Segment(self._fit(self.cell_text(column, item), column), cell_style))
            segments.append(Segment(" " * GAP, row_style))
        return segments
