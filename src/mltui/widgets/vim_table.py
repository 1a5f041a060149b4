"""A DataTable that also answers to vim keys, for the small tables of mltui
(experiments, models, versions, a run's params): j/k, g/G, ctrl+d/ctrl+u."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import DataTable


class VimTable(DataTable):
    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="table.cursor_down"),
        Binding("k", "cursor_up", "Up", show=False, id="table.cursor_up"),
        Binding("g", "first", "First", show=False, id="table.first"),
        Binding("G", "last", "Last", show=False, id="table.last"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id="table.half_page_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="table.half_page_up"),
    ]

    def fill(self, headers: tuple[str, ...], rows: list[tuple]) -> None:
        """Replace the columns and rows, keeping the cursor where it was (a reload,
        a live refresh)."""
        row = self.cursor_row
        self.clear(columns=True)
        self.add_columns(*headers)
        for cells in rows:
            self.add_row(*cells)
        if rows:
            self.move_cursor(row=min(max(row, 0), len(rows) - 1))

    def on_mount(self) -> None:
        # DataTable may draw new rows before it measures them and then keep those
        # lines cached (names cut to the header's width): redraw once sized.
        self.watch(self, "virtual_size", self.notify_style_update, init=False)

    def action_first(self) -> None:
        self.move_cursor(row=0)

    def action_last(self) -> None:
        self.move_cursor(row=max(0, self.row_count - 1))

    def action_half_page(self, direction: int) -> None:
        step = max(1, self.scrollable_content_region.height // 2)
        self.move_cursor(row=max(0, min(self.row_count - 1, self.cursor_row + direction * step)))
