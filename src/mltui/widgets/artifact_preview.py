"""The preview pane: draws one preview (``views.preview_types``) and scrolls it.

A ``ScrollView`` on the Line API, as the runs table: only the lines on screen
are drawn, so the 10,000 lines of a log's head and tail cost what a screenful
costs. Text, tables and hex dumps are lines (scrolling sideways, never
wrapped); Markdown, the MLmodel card and messages are rendered at the pane's
width once per resize; images are half-block cells made for the pane's size.
``/`` searches what is shown (``n``/``N`` next and previous match while a search
is on; otherwise those keys belong to the screen), ``G`` goes to the end: the
tail of a big log.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..views.preview_types import ImagePreview, MessagePreview, ModelPreview, Preview, TextPreview
from .preview_render import image_rows, markdown, model_card, text_lines


class ArtifactPreview(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    ArtifactPreview { width: 1fr; height: 1fr; }
    """
    BINDINGS = [
        Binding("j,down", "scroll_by(1)", "Down", show=False, id="artifacts.preview_down"),
        Binding("k,up", "scroll_by(-1)", "Up", show=False, id="artifacts.preview_up"),
        Binding("ctrl+d,pagedown", "page(1)", "Half page down", show=False,
                id="artifacts.preview_page_down"),
        Binding("ctrl+u,pageup", "page(-1)", "Half page up", show=False,
                id="artifacts.preview_page_up"),
        Binding("h,left", "sideways(-8)", "Left", show=False, id="artifacts.preview_left"),
        Binding("l,right", "sideways(8)", "Right", show=False, id="artifacts.preview_right"),
        Binding("g,home", "top", "Top", show=False, id="artifacts.preview_top"),
        Binding("G,end", "tail", "End (tail)", id="artifacts.tail"),
        Binding("n", "next_match(1)", "Next match", show=False, id="artifacts.next_match"),
        Binding("N", "next_match(-1)", "Previous match", show=False,
                id="artifacts.previous_match"),
    ]

    class SearchMoved(Message):
        """The current match changed (the owner shows ``3/17``)."""

        def __init__(self, text: str):
            super().__init__()
            self.text = text

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.preview: Preview | None = None
        self._lines: list[Text] = []
        self._renderable: RenderableType | None = None
        self._strips: list[Strip] = []
        self._image: ImagePreview | None = None
        self._rendered_for = (-1, -1)
        self._query = ""
        self._matches: list[int] = []
        self._match_set: set[int] = set()
        self._match = -1

    # -- what to show --------------------------------------------------------------
    def show(self, preview: Preview) -> None:
        self.preview = preview
        self._lines, self._renderable, self._image, self._strips = [], None, None, []
        self._rendered_for = (-1, -1)
        lines = text_lines(preview)
        if lines is not None:
            self._lines = lines
        elif isinstance(preview, ImagePreview):
            self._image = preview
        elif isinstance(preview, ModelPreview):
            self._renderable = model_card(preview)
        elif isinstance(preview, TextPreview):
            self._renderable = markdown(preview)
        elif isinstance(preview, MessagePreview):
            self._renderable = Text(preview.message, style="red" if preview.error else "dim")
        else:  # pragma: no cover - every preview type is handled above
            self._renderable = Text(preview.summary)
        self._relayout()
        self.scroll_to(0, 0, animate=False)
        if self._query:
            self.search(self._query, quiet=True)

    def show_message(self, message: str, error: bool = True) -> None:
        self.show(MessagePreview("", message=message, error=error))

    @property
    def plain_lines(self) -> list[str]:
        """What the pane holds, as plain text lines (search, tests)."""
        if self._lines:
            return [line.plain for line in self._lines]
        return [strip.text for strip in self._strips]

    def _relayout(self) -> None:
        width = max(1, self.scrollable_content_region.width or self.size.width or 80)
        height = max(1, self.size.height or 24)
        if self._lines:
            widest = max((line.cell_len for line in self._lines), default=0)
            # the widest line, not the pane: the pane narrows when a vertical
            # scrollbar appears, and lines that fit must not scroll sideways then
            self.virtual_size = Size(widest, len(self._lines))
        elif self._image is not None:
            if self._rendered_for != (width, height):
                rows = image_rows(self._image, width, height)
                self._strips = [Strip(row) for row in rows]
                self._rendered_for = (width, height)
            self.virtual_size = Size(width, len(self._strips))
        elif self._renderable is not None:
            if self._rendered_for[0] != width:
                console = self.app.console
                options = console.options.update_width(width)
                rendered = console.render_lines(self._renderable, options, pad=False)
                self._strips = [Strip(line) for line in rendered]
                self._rendered_for = (width, height)
            self.virtual_size = Size(width, len(self._strips))
        else:
            self.virtual_size = Size(width, 0)
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        self._relayout()

    # -- drawing -----------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width
        if self._lines:
            if index >= len(self._lines):
                return Strip.blank(width, self.rich_style)
            text = self._lines[index]
            if self._query and index in self._match_set:
                text = text.copy()
                text.highlight_words([self._query], "black on yellow", case_sensitive=False)
                if self._matches and self._match >= 0 and self._matches[self._match] == index:
                    text.stylize("bold")
            segments = list(text.render(self.app.console, end=""))
            strip = Strip(segments, text.cell_len)
            return strip.crop(scroll_x, scroll_x + width).extend_cell_length(
                width, self.rich_style).apply_style(self.rich_style)
        if index >= len(self._strips):
            return Strip.blank(width, self.rich_style)
        strip = self._strips[index]
        if self._query and self._matches and self._match >= 0 and \
                self._matches[self._match] == index:
            strip = Strip(Segment.apply_style(list(strip), post_style=self.app.console
                                              .get_style("reverse")), strip.cell_length)
        return strip.crop(scroll_x, scroll_x + width).extend_cell_length(
            width, self.rich_style).apply_style(self.rich_style)

    # -- search ------------------------------------------------------------------------
    def search(self, query: str, quiet: bool = False) -> int:
        """Find ``query`` (case-insensitive) in what is shown; the first match at or
        below the top line becomes current. Returns the number of matching lines."""
        self._query = query
        needle = query.casefold()
        self._matches = [i for i, line in enumerate(self.plain_lines)
                         if needle and needle in line.casefold()]
        self._match_set = set(self._matches)
        top = self.scroll_offset.y
        self._match = next((i for i, line in enumerate(self._matches) if line >= top),
                           0) if self._matches else -1
        self._goto_match(quiet)
        return len(self._matches)

    def clear_search(self) -> None:
        self._query, self._matches, self._match = "", [], -1
        self._match_set = set()
        self.refresh()

    @property
    def searching(self) -> bool:
        return bool(self._query)

    def _goto_match(self, quiet: bool = False) -> None:
        if self._match >= 0:
            line = self._matches[self._match]
            self.scroll_to(y=max(0, line - self.size.height // 3), animate=False)
        self.refresh()
        if not quiet:
            text = (f"{self._match + 1}/{len(self._matches)} lines match"
                    if self._matches else f"No match for {self._query!r}")
            self.post_message(self.SearchMoved(text))

    def action_next_match(self, step: int) -> None:
        if not self._query:
            raise SkipAction()  # n / N: the screen's next / previous run
        if self._matches:
            self._match = (self._match + step) % len(self._matches)
        self._goto_match()

    # -- moving ------------------------------------------------------------------------
    def action_scroll_by(self, lines: int) -> None:
        self.scroll_to(y=self.scroll_offset.y + lines, animate=False)

    def action_page(self, direction: int) -> None:
        self.action_scroll_by(direction * max(1, self.size.height // 2))

    def action_sideways(self, cells: int) -> None:
        self.scroll_to(x=max(0, self.scroll_offset.x + cells), animate=False)

    def action_top(self) -> None:
        self.scroll_to(0, 0, animate=False)

    def action_tail(self) -> None:
        self.scroll_to(y=self.max_scroll_y, animate=False)
