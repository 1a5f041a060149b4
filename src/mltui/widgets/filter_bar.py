"""The filter bar: an input for MLflow's search syntax, with completion of keys
and a line under it for errors (with a caret at the bad spot) and hints."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Static

from ..completion import KeyIndex, candidates, operator_hint
from ..textfmt import safe_text


class FilterSuggester(Suggester):
    def __init__(self, index: KeyIndex):
        super().__init__(use_cache=False, case_sensitive=True)
        self.index = index

    async def get_suggestion(self, value: str) -> str | None:
        found = candidates(value, self.index, limit=1)
        return found[0] if found else None


class FilterInput(Input):
    BINDINGS = [
        Binding("tab", "accept_suggestion", "Complete", show=False, priority=True),
    ]

    def action_accept_suggestion(self) -> None:
        if self._suggestion and self._suggestion != self.value:
            self.value = self._suggestion
            self.cursor_position = len(self.value)


class FilterBar(Vertical):
    """Hidden until asked for; posts :class:`FilterBar.Submitted` on enter."""

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar.visible { display: block; }
    FilterBar > Input { border: tall $accent; height: 3; }
    FilterBar > #filter-message { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    FilterBar > #filter-message.error { color: $error; }
    """

    BINDINGS = [Binding("escape", "close", "Close filter", show=False)]

    class Submitted(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Closed(Message):
        pass

    def __init__(self, index: KeyIndex, placeholder: str = "", **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self._placeholder = placeholder

    def compose(self) -> ComposeResult:
        yield FilterInput(
            placeholder=self._placeholder
            or "MLflow filter, e.g.  metrics.acc > 0.9 AND params.lr = '0.01'   (tab completes)",
            suggester=FilterSuggester(self.index),
            id="filter-input",
        )
        yield Static("", id="filter-message")

    @property
    def input(self) -> FilterInput:
        return self.query_one(FilterInput)

    def open(self, text: str) -> None:
        self.add_class("visible")
        self.input.value = text
        self.input.cursor_position = len(text)
        self.input.focus()

    def action_close(self) -> None:
        self.remove_class("visible")
        self.post_message(self.Closed())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(event.value))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.show_hint(event.value)

    def show_hint(self, value: str) -> None:
        message = self.query_one("#filter-message", Static)
        message.remove_class("error")
        ops = operator_hint(value)
        if ops:
            message.update(Text("operators: " + "  ".join(ops)))
            return
        found = candidates(value, self.index, limit=8)
        if found:
            words = [safe_text(c[len(value) - len(value.split()[-1]) if value.split() else 0:])
                     for c in found]
            message.update(Text("tab: " + "  ".join(w.strip() for w in words)))
        else:
            message.update(Text("enter: apply   escape: close   empty filter: show all"))

    def show_error(self, message_text: str, position: int | None, text: str) -> None:
        message = self.query_one("#filter-message", Static)
        message.add_class("error")
        rendered = Text(safe_text(message_text))
        if position is not None and 0 <= position <= len(text):
            rendered = Text.assemble(
                (safe_text(text) + "\n", "bold"), (" " * position + "^ ", "bold"), rendered
            )
        message.update(rendered)

    def clear_error(self) -> None:
        message = self.query_one("#filter-message", Static)
        message.remove_class("error")
        message.update("")
