"""The footer: the screen's keys on one line, with `?` (help) docked at the right
so it stays visible however narrow the terminal is.

One widget drawing one line of text, where Textual's Footer mounts a widget per
key and styles each: on a screen with twenty keys that cost more than the rest
of the screen together (0.5 s of CPU of the comparison screen's 1 s to show).
It looks the same (the theme's footer colours), and a click on a key presses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget

_DOCKED = ("help", "app.help")


@dataclass(frozen=True)
class FooterItem:
    """One key as the footer shows it."""

    key: str
    """The key pressed when the item is clicked."""
    display: str
    description: str
    enabled: bool


class KeysFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"footer-key--key", "footer-key--description"}
    DEFAULT_CSS = """
    KeysFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        .footer-key--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        .footer-key--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.items: list[FooterItem] = []
        self.docked: FooterItem | None = None
        self._spans: list[tuple[int, int, FooterItem]] = []

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen) -> None:
        if not self.is_attached or screen is not self.screen:
            return
        items, docked = self._collect()
        if (items, docked) != (self.items, self.docked):
            self.items, self.docked = items, docked
            self.refresh()

    def _collect(self) -> tuple[list[FooterItem], FooterItem | None]:
        """The keys to show, one per action (the first binding of each), in the
        order Textual's footer gives them; help apart."""
        seen: set[str] = set()
        items: list[FooterItem] = []
        docked = None
        for _node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            item = FooterItem(binding.key, self.app.get_key_display(binding),
                              binding.description, enabled)
            if binding.action in _DOCKED:
                docked = item
            else:
                items.append(item)
        return items, docked

    def render(self) -> Text:
        key_style = self.get_component_rich_style("footer-key--key")
        description_style = self.get_component_rich_style("footer-key--description")
        width = self.size.width
        right = Text()
        if self.docked is not None:
            right = self._item_text(self.docked, key_style, description_style)
            right = Text.assemble(("▏", Style(dim=True)), right)
        room = max(0, width - right.cell_len)
        line = Text(no_wrap=True, overflow="crop")
        self._spans = []
        for item in self.items:
            text = self._item_text(item, key_style, description_style)
            if line.cell_len + text.cell_len > room:
                break
            self._spans.append((line.cell_len, line.cell_len + text.cell_len, item))
            line.append_text(text)
        if self.docked is not None:
            line.append(" " * (room - line.cell_len))
            self._spans.append((room, width, self.docked))
            line.append_text(right)
        return line

    @staticmethod
    def _item_text(item: FooterItem, key_style: Style, description_style: Style) -> Text:
        dim = Style(dim=not item.enabled)
        text = Text.assemble((f" {item.display} ", key_style + dim))
        if item.description:
            text.append(f"{item.description} ", description_style + dim)
        return text

    def on_click(self, event: events.Click) -> None:
        for start, end, item in self._spans:
            if start <= event.x < end:
                if item.enabled:
                    self.app.simulate_key(item.key)
                else:
                    self.app.bell()
                return
