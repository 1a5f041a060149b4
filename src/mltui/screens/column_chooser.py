"""Choose, hide and reorder the columns of the runs table."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..columns import Column
from ..textfmt import safe_text


class ColumnChooser(ModalScreen[list[Column] | None]):
    DEFAULT_CSS = """
    ColumnChooser { align: center middle; }
    ColumnChooser > Vertical {
        width: 80%; max-width: 100; height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ColumnChooser OptionList { height: 1fr; }
    ColumnChooser .help { color: $text-muted; height: auto; }
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="columns.cancel"),
        Binding("enter", "apply", "Apply", priority=True, id="columns.apply"),
        # typing goes to the search box, so toggling takes tab (as fzf's multi-select)
        Binding("tab", "toggle_column", "Show/hide", priority=True, id="columns.toggle"),
        Binding("up", "highlight(-1)", "Up", show=False, priority=True, id="columns.up"),
        Binding("down", "highlight(1)", "Down", show=False, priority=True, id="columns.down"),
        Binding("pageup", "highlight(-10)", "Page up", show=False, priority=True,
                id="columns.page_up"),
        Binding("pagedown", "highlight(10)", "Page down", show=False, priority=True,
                id="columns.page_down"),
        Binding("ctrl+up", "move(-1)", "Move up", id="columns.move_up"),
        Binding("ctrl+down", "move(1)", "Move down", id="columns.move_down"),
    ]

    def __init__(self, chosen: list[Column], available: list[Column]):
        super().__init__()
        self.chosen = list(chosen)
        seen = set(self.chosen)
        self.others = [c for c in available if c not in seen]
        self.query_text = ""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Columns", style="bold"))
            yield Input(placeholder="search keys (type to filter)", id="column-search")
            options = OptionList(id="column-list")
            options.can_focus = False  # keys go to the search box; the list follows
            yield options
            yield Static(
                Text(
                    "type to search   ↑↓: choose   tab: show/hide   ctrl+↑/↓: move   "
                    "enter: apply   escape: cancel",
                    style="dim",
                ),
                classes="help",
            )

    def on_mount(self) -> None:
        self._rebuild()
        self.query_one(Input).focus()

    def _visible(self) -> list[Column]:
        q = self.query_text.lower()
        items = self.chosen + self.others
        if q:
            items = [c for c in items if q in c.spec.lower()]
        return items

    def _rebuild(self, keep: Column | None = None) -> None:
        options = self.query_one(OptionList)
        items = self._visible()
        options.clear_options()
        for column in items:
            checked = column in self.chosen
            label = Text()
            label.append("[x] " if checked else "[ ] ", style="bold" if checked else "dim")
            label.append(safe_text(column.spec))
            options.add_option(Option(label, id=column.spec))
        if keep is not None and keep in items:
            options.highlighted = items.index(keep)
        elif items:
            options.highlighted = 0

    def _current(self) -> Column | None:
        options = self.query_one(OptionList)
        items = self._visible()
        index = options.highlighted
        if index is None or index >= len(items):
            return None
        return items[index]

    def on_input_changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self._rebuild()

    def action_highlight(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = max(0, min(options.option_count - 1, current + delta))

    def action_toggle_column(self) -> None:
        column = self._current()
        if column is None:
            return
        if column in self.chosen:
            self.chosen.remove(column)
            self.others.insert(0, column)
        else:
            self.others.remove(column)
            self.chosen.append(column)
        self._rebuild(keep=column)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()  # a click on a column shows or hides it
        self.action_toggle_column()

    def action_move(self, delta: int) -> None:
        column = self._current()
        if column is None or column not in self.chosen:
            return
        i = self.chosen.index(column)
        j = max(0, min(len(self.chosen) - 1, i + delta))
        self.chosen.insert(j, self.chosen.pop(i))
        self._rebuild(keep=column)

    def action_apply(self) -> None:
        self.dismiss(self.chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
