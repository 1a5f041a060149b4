"""A picture drawn for the widget's size by a function (a plotext chart).

The screen gives the drawing function once the data is read; the widget calls
it with its size, in a thread (plotext takes tens of milliseconds), again after
a resize, and keeps the old picture until the new one is ready.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

Draw = Callable[[int, int], str]
"""(width, height) -> the picture, ANSI colours included."""


class PlotView(Widget, can_focus=True):
    DEFAULT_CSS = """
    PlotView { height: 1fr; border: round $panel; }
    PlotView:focus { border: round $accent; }
    """

    builds = reactive(0, repaint=False)
    """Pictures finished (tests wait on it: what is on screen is new)."""

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self._draw: Draw | None = None
        self._message = "reading…"
        self._version = 0
        self._built: tuple[int, int, int] | None = None
        self._text: Text = Text(self._message, style="dim")

    def draw_with(self, draw: Draw | None, message: str = "") -> None:
        """Draw with ``draw`` from now on; without one, show ``message``."""
        self._draw = draw
        self._message = message
        self._version += 1
        self._rebuild()

    def on_resize(self) -> None:
        self._rebuild()

    def _rebuild(self) -> None:
        width, height = self.content_size.width, self.content_size.height
        state = (self._version, width, height)
        if state == self._built or width < 10 or height < 4:
            return
        draw = self._draw
        if draw is None:
            self._done(state, Text(self._message, style="dim"))
            return

        def build() -> None:
            text = Text.from_ansi(draw(width, height))
            text.no_wrap = True
            self.app.call_from_thread(self._done, state, text)

        self.run_worker(build, thread=True, exclusive=True, group=f"plot-{id(self)}",
                        exit_on_error=False)

    def _done(self, state: tuple[int, int, int], text: Text) -> None:
        if state[0] != self._version:
            return
        self._built = state
        self._text = text
        self.builds += 1
        self.refresh()

    def render(self) -> Text:
        return self._text
