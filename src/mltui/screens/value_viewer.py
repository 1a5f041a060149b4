"""A value shown whole: a 5,000-character param, a long tag, a note. It scrolls,
and `y` copies it to the clipboard (OSC 52, which works over SSH when the
terminal allows it)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Label, Static

from ..textfmt import count_of, safe_multiline, safe_text
from ..widgets.text_lines import TextLines
from .dialogs import DIALOG_CSS

LINE_BY_LINE = 100_000
"""Characters from which the value is drawn line by line (a span's 5 MB prompt):
a Static would style the whole text first, seconds of CPU per megabyte."""


class ValueViewer(ModalScreen[None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="ValueViewer") + """
    ValueViewer > Vertical { height: 80%; max-width: 120; }
    ValueViewer #value-scroll { height: 1fr; }
    """
    BINDINGS = [
        Binding("y", "copy", "Copy", id="value.copy"),
        Binding("escape,q,enter", "close", "Close", id="value.close"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="value.scroll_down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="value.scroll_up"),
        Binding("g,home", "top", "Top", show=False, id="value.top"),
        Binding("G,end", "bottom", "Bottom", show=False, id="value.bottom"),
    ]

    def __init__(self, title: str, value: str):
        super().__init__()
        self._title = title
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(safe_text(self._title)), classes="title")
            # control characters drawn inert (␛), never sent to the terminal
            if len(self.value) > LINE_BY_LINE:
                yield TextLines(safe_multiline(self.value), id="value-scroll")
            else:
                with VerticalScroll(id="value-scroll"):
                    yield Static(Text(safe_multiline(self.value)), id="value")
            yield Static(Text(f"{count_of(len(self.value), 'character')}   y: copy   "
                              "j/k: scroll   escape: close", style="dim"))

    @property
    def _scroller(self) -> Widget:
        """What scrolls: a VerticalScroll, or TextLines for a long value."""
        return self.query_one("#value-scroll")

    def on_mount(self) -> None:
        self._scroller.focus()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.value)
        self.notify(f"Copied {count_of(len(self.value), 'character')} (OSC 52: the terminal "
                    "must allow clipboard writes)")

    def action_scroll(self, lines: int) -> None:
        self._scroller.scroll_relative(y=lines, animate=False)

    def action_top(self) -> None:
        self._scroller.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self._scroller.scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
