"""A read-only table of short cells drawn line by line (Textual's Line API), with
a cell cursor, a header line that stays, and zebra stripes.

The comparison screen shows 20 runs x 200 rows; a DataTable renders each cell
through Rich's console (padding, wrapping, measuring): 0.3 s of CPU for the
first screenful, half the time the screen took to show. Here a cell is a Text
cut to its column's width and turned into segments, and a line is drawn only
when it is on screen, then kept until the data, the cursor or the width change.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip


class CellGrid(ScrollView, can_focus=True):
    """Columns of fixed widths; :meth:`set_data` fills it, ``cursor_row`` and
    ``cursor_column`` say where the cursor is, :meth:`move_cursor` moves it."""

    COMPONENT_CLASSES = {
        "cell-grid--header", "cell-grid--cursor", "cell-grid--even-row", "cell-grid--key",
    }
    DEFAULT_CSS = """
    CellGrid {
        background: $surface;
        color: $foreground;
        & > .cell-grid--header { text-style: bold; background: $panel; color: $foreground; }
        & > .cell-grid--even-row { background: $surface-lighten-1 50%; }
        & > .cell-grid--key { background: $secondary-muted; }
        & > .cell-grid--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
        }
        &:focus > .cell-grid--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: $block-cursor-text-style;
        }
        &:dark > .cell-grid--even-row { background: $surface-darken-1 40%; }
    }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False, id="grid.up"),
        Binding("down,j", "cursor(1)", "Down", show=False, id="grid.down"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="grid.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="grid.page_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="grid.half_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id="grid.half_down"),
        Binding("home,g", "first", "First", show=False, id="grid.first"),
        Binding("end,G", "last", "Last", show=False, id="grid.last"),
    ]

    class CellSelected(Message):
        """A click on the cell already under the cursor (enter is the screen's)."""

        def __init__(self, grid: CellGrid, row: int, column: int) -> None:
            super().__init__()
            self.grid = grid
            self.row = row
            self.column = column

    def __init__(self, *, zebra_stripes: bool = True, id: str | None = None,
                 classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.zebra_stripes = zebra_stripes
        self.columns: list[Text] = []
        self.widths: list[int] = []
        self.rows: list[list[Text]] = []
        self.cursor_row = 0
        self.cursor_column = 0
        self._lines: dict[tuple, Strip] = {}

    # -- data ---------------------------------------------------------------------
    @property
    def row_count(self) -> int:
        return len(self.rows)

    def set_data(self, columns: Sequence[Text], widths: Sequence[int],
                 rows: Sequence[Sequence[Text]]) -> None:
        """Replace everything: header labels, column widths (cells), rows of cells.
        The cursor stays where it was, within the new bounds."""
        self.columns = list(columns)
        self.widths = list(widths)
        self.rows = [list(row) for row in rows]
        self._lines.clear()
        self.virtual_size = Size(sum(self.widths) + len(self.widths), len(self.rows) + 1)
        self.move_cursor(row=self.cursor_row, column=self.cursor_column)
        self.refresh()

    def move_cursor(self, *, row: int | None = None, column: int | None = None) -> None:
        if row is not None:
            self.cursor_row = max(0, min(row, len(self.rows) - 1))
        if column is not None:
            self.cursor_column = max(0, min(column, len(self.widths) - 1))
        self._lines = {k: v for k, v in self._lines.items() if k[1] is False}
        self.refresh()
        self._keep_cursor_visible()

    def _keep_cursor_visible(self) -> None:
        if not self.rows:
            return
        # line 0 of the screen is the header, which never scrolls: row r is drawn
        # on line r - scroll_y + 1, so the region of two lines keeps it above the end
        self.scroll_to_region(Region(0, self.cursor_row, 1, 2),
                              spacing=None, animate=False, force=True)

    # -- keys and mouse --------------------------------------------------------------
    def _page(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def action_cursor(self, step: int) -> None:
        self.move_cursor(row=self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(row=self.cursor_row + direction * self._page())

    def action_half_page(self, direction: int) -> None:
        self.move_cursor(row=self.cursor_row + direction * max(1, self._page() // 2))

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=len(self.rows) - 1)

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0 or not self.rows:
            return
        row = int(self.scroll_y) + offset.y - 1
        x, column = 0, None
        for i, width in enumerate(self.widths):
            if x <= offset.x < x + width + 1:
                column = i
                break
            x += width + 1
        if row >= len(self.rows) or column is None:
            return
        if (row, column) == (self.cursor_row, self.cursor_column):
            self.post_message(self.CellSelected(self, row, column))
        else:
            self.move_cursor(row=row, column=column)

    # -- drawing ---------------------------------------------------------------------
    def notify_style_update(self) -> None:
        self._lines.clear()  # a theme or focus change: other colours
        super().notify_style_update()

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width or self.size.width
        if y == 0:
            return self._line(-1, width)
        row = int(self.scroll_y) + y - 1
        if row >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        return self._line(row, width)

    def _line(self, row: int, width: int) -> Strip:
        on_cursor = row == self.cursor_row
        key = (row, on_cursor, width, self.has_focus, int(self.scroll_x))
        strip = self._lines.get(key)
        if strip is None:
            strip = self._draw(row, width)
            self._lines[key] = strip
        return strip

    def _draw(self, row: int, width: int) -> Strip:
        base = self.rich_style
        if row < 0:
            cells, line_style = self.columns, base + self.get_component_rich_style(
                "cell-grid--header")
        else:
            cells = self.rows[row]
            line_style = base
            if self.zebra_stripes and row % 2 == 0:
                line_style = base + self.get_component_rich_style("cell-grid--even-row")
        cursor = self.get_component_rich_style("cell-grid--cursor")
        key_style = self.get_component_rich_style("cell-grid--key")
        segments: list[Segment] = []
        console = self.app.console
        for column, cell_width in enumerate(self.widths):
            cell = cells[column] if column < len(cells) else Text("")
            style = line_style
            if row >= 0 and column == 0:
                style = line_style + key_style
            if row >= 0 and row == self.cursor_row and column == self.cursor_column:
                style = line_style + cursor
            segments.extend(_cell_segments(cell, cell_width, style, console))
        strip = Strip(segments).crop(int(self.scroll_x), int(self.scroll_x) + width)
        return strip.extend_cell_length(width, line_style).simplify()


def _cell_segments(cell: Text, width: int, style: Style, console) -> list[Segment]:
    """One cell, ``width`` cells wide plus a space: the text cut with an ellipsis,
    aligned as it says, over ``style`` (its own colours on top)."""
    text = cell.copy()
    text.no_wrap = True
    text.truncate(width, overflow="ellipsis")
    pad = width - text.cell_len
    if cell.justify == "right":
        text.pad_left(pad)
    else:
        text.pad_right(pad)
    text.append(" ")
    return [Segment(seg.text, style + seg.style if seg.style else style)
            for seg in text.render(console) if seg.text]
