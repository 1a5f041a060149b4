"""One line at the top that always says where you are (k9s / lazygit style).

When the line is wider than the terminal, the least useful parts go first
(each part has a priority), so an 80-column terminal still shows the filter,
the marks, live/paused and read-only.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import Static

from ..textfmt import safe_text

Part = str | tuple[str, str] | tuple[str, str, int] | None
"""Text, (text, style) or (text, style, priority); None and "" are skipped."""
DEFAULT_PRIORITY = 5
SEPARATOR = " │ "


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._parts: list[tuple[str, str, int]] = []

    def show(self, *parts: Part) -> None:
        """Each part is text, (text, style) or (text, style, priority): higher
        priorities stay longest on a narrow terminal. Text is never markup."""
        self._parts = []
        for part in parts:
            if not part:
                continue
            if isinstance(part, str):
                part = (part, "")
            text, style, *rest = part
            if text:
                self._parts.append((safe_text(text), style, rest[0] if rest else
                                    DEFAULT_PRIORITY))
        self._draw()

    @property
    def plain(self) -> str:
        """Everything the bar holds, as text (whatever fits on screen)."""
        return SEPARATOR.join(text for text, _style, _priority in self._parts)

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        width = self.content_size.width or self.size.width or 10_000
        kept = list(self._parts)
        while len(kept) > 1 and _width(kept) > width:
            # drop the least useful part; among equals the rightmost
            lowest = min(p for _t, _s, p in kept)
            index = max(i for i, (_t, _s, p) in enumerate(kept) if p == lowest)
            kept.pop(index)
        line = Text(no_wrap=True, overflow="ellipsis")
        for i, (text, style, _priority) in enumerate(kept):
            if i:
                line.append(SEPARATOR, style="dim")
            line.append(text, style=style)
        self.update(line)


def _width(parts: list[tuple[str, str, int]]) -> int:
    return sum(cell_len(t) for t, _s, _p in parts) + cell_len(SEPARATOR) * (len(parts) - 1)
