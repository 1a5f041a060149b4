"""Pick one field (a metric, a param, a run attribute) for a chart axis: type to
narrow the list, enter picks."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..columns import Column
from ..textfmt import safe_text
from ..widgets.metric_chart import key_matches
from .base import MltuiModal
from .dialogs import DIALOG_CSS


class FieldPicker(MltuiModal[Column | None]):
    DEFAULT_CSS = DIALOG_CSS.format(name="FieldPicker") + """
    FieldPicker > Vertical { height: 80%; }
    FieldPicker OptionList { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="field_picker.cancel"),
        Binding("up", "move(-1)", "Up", show=False, priority=True, id="field_picker.up"),
        Binding("down", "move(1)", "Down", show=False, priority=True, id="field_picker.down"),
    ]

    def __init__(self, title: str, fields: list[Column], current: Column | None = None):
        super().__init__()
        self._title = title
        self.fields = fields
        self.current = current
        self.shown: list[Column] = list(fields)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(safe_text(self._title)), classes="title")
            yield Input(placeholder="type to narrow (text or a regular expression)")
            options = OptionList()
            options.can_focus = False  # keys go to the box; the list follows
            yield options
            yield Static(Text("type to narrow   ↑↓ choose   enter: pick   escape: cancel",
                              style="dim"))

    def on_mount(self) -> None:
        self._fill()
        if self.current in self.shown:
            self.query_one(OptionList).highlighted = self.shown.index(self.current)
        self.query_one(Input).focus()

    def _fill(self) -> None:
        menu = self.query_one(OptionList)
        menu.clear_options()
        for column in self.shown:
            label = Text(safe_text(column.spec))
            if column == self.current:
                label.append("  (now)", style="dim")
            menu.add_option(Option(label))
        if self.shown:
            menu.highlighted = 0

    def on_input_changed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        self.shown = [c for c in self.fields if not text or key_matches(text, c.spec)]
        self._fill()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        index = self.query_one(OptionList).highlighted
        if index is not None and 0 <= index < len(self.shown):
            self.dismiss(self.shown[index])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index])

    def action_move(self, step: int) -> None:
        menu = self.query_one(OptionList)
        if self.shown:
            now = menu.highlighted if menu.highlighted is not None else 0
            menu.highlighted = max(0, min(len(self.shown) - 1, now + step))

    def action_cancel(self) -> None:
        self.dismiss(None)
