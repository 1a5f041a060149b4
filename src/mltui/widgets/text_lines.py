"""A long text drawn line by line (Textual's Line API), folded to the width.

For the value viewer when a value is megabytes long (a span's 5 MB prompt): a
``Static`` wraps and styles the whole text up front, 20 s of CPU for 5 MB; here
the text is cut into lines of the widget's width with string slices (a few
milliseconds) and only the lines on screen become segments. The text must be
safe already (``textfmt.safe_multiline``): it is drawn as it is, never as markup.
"""

from __future__ import annotations

from rich.cells import cell_len, chop_cells
from rich.segment import Segment
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip


def fold(text: str, width: int) -> list[str]:
    """``text`` as lines at most ``width`` cells wide (tabs as spaces)."""
    width = max(1, width)
    out: list[str] = []
    for line in text.split("\n"):
        line = line.expandtabs(4)
        if not line:
            out.append("")
        elif line.isascii():
            out.extend(line[i:i + width] for i in range(0, len(line), width))
        elif cell_len(line) <= width:
            out.append(line)
        else:
            out.extend(chop_cells(line, width))
    return out


class TextLines(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    TextLines { height: 1fr; overflow-x: hidden; overflow-y: scroll; }
    """

    def __init__(self, text: str, *, id: str | None = None):
        super().__init__(id=id)
        self.text = text
        self._lines: list[str] = []
        self._width = -1

    @property
    def lines(self) -> list[str]:
        """The folded lines at the current width."""
        width = self.scrollable_content_region.width
        if width != self._width:
            # a new width is a new number of lines: the scroll range follows
            self._width = width
            self._lines = fold(self.text, width) if width > 0 else []
            self.virtual_size = Size(width, len(self._lines))
        return self._lines

    def on_resize(self, _event: events.Resize) -> None:
        _ = self.lines

    def on_mount(self) -> None:
        _ = self.lines

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        lines = self.lines
        index = int(self.scroll_y) + y
        text = lines[index] if 0 <= index < len(lines) else ""
        return Strip([Segment(text, self.rich_style)]).adjust_cell_length(width, self.rich_style)
