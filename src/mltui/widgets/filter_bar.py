"""The filter bar: an input for MLflow's search syntax, with completion of keys
and a line under it for errors (with a caret at the bad spot) and hints.

The input holds the editable form of the filter (``textfmt.editable_text``): a key
completed from the store may hold an ESC, shown as ␛ instead of reaching the
terminal; what is submitted is the filter it stands for (``stored_text``)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.suggester import Suggester
from textual.widgets import Input, Static

from ..completion import KeyIndex, candidates, operator_hint, split_tail
from ..textfmt import editable_text, safe_text, stored_text


class FilterSuggester(Suggester):
    """Ghost text after the cursor: only a completion that extends what was typed
    (a key that needs backticks cannot; tab still offers it)."""

    def __init__(self, index: KeyIndex):
        super().__init__(use_cache=False, case_sensitive=True)
        self.index = index

    async def get_suggestion(self, value: str) -> str | None:
        typed = stored_text(value)
        found = next((c for c in candidates(typed, self.index, limit=20)
                      if c.startswith(typed) and c != typed), None)
        return None if found is None else editable_text(found, multiline=False)


class FilterInput(Input):
    """Tab completes the word being typed; tab again cycles through the other
    completions of what was typed (shift+tab goes back)."""

    BINDINGS = [
        Binding("tab", "complete(1)", "Complete", show=False, priority=True, id="filter.complete"),
        Binding("shift+tab", "complete(-1)", "Previous completion", show=False, priority=True,
                id="filter.complete_back"),
    ]

    class Cycled(Message):
        """Tab moved to another completion: the hint line shows which."""

        def __init__(self, choices: list[str], position: int) -> None:
            super().__init__()
            self.choices = choices
            self.position = position

    def __init__(self, index: KeyIndex, **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self._choices: list[str] = []
        self._position = -1
        self._completed: str | None = None
        """The value tab last put in; anything else means the person typed since."""

    def action_complete(self, step: int) -> None:
        if self.value != self._completed:
            self._choices = candidates(stored_text(self.value), self.index, limit=50)
            self._position = -1 if step > 0 else 0
        if not self._choices:
            return
        self._position = (self._position + step) % len(self._choices)
        self._completed = self.value = editable_text(self._choices[self._position],
                                                     multiline=False)
        self.cursor_position = len(self.value)
        self.post_message(self.Cycled(self._choices, self._position))


class FilterBar(Vertical):
    """Hidden until asked for; posts :class:`FilterBar.Submitted` on enter."""

    DEFAULT_CSS = """
    FilterBar { height: auto; display: none; }
    FilterBar.visible { display: block; }
    FilterBar > Input { border: tall $accent; height: 3; }
    FilterBar > #filter-message { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    FilterBar > #filter-message.error { color: $error; }
    """

    BINDINGS = [Binding("escape", "close", "Close filter", show=False, id="filter.close")]

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
            self.index,
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
        self.input.value = editable_text(text, multiline=False)
        self.input.cursor_position = len(self.input.value)
        self.input.focus()

    def action_close(self) -> None:
        self.remove_class("visible")
        self.post_message(self.Closed())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted(stored_text(event.value)))

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        if event.value != self.input._completed:
            self.show_hint(stored_text(event.value))

    def on_filter_input_cycled(self, event: FilterInput.Cycled) -> None:
        event.stop()
        self._show_choices(event.choices, event.position)

    def show_hint(self, value: str) -> None:
        message = self.query_one("#filter-message", Static)
        message.remove_class("error")
        ops = operator_hint(value)
        if ops:
            message.update(Text("operators: " + "  ".join(ops)))
            return
        found = candidates(value, self.index, limit=8)
        if found:
            self._show_choices(found, None)
        else:
            message.update(Text("enter: apply   escape: close   empty filter: show all"))

    def _show_choices(self, choices: list[str], position: int | None) -> None:
        """The completed words of ``choices`` (whole filters), the current one bold."""
        line = Text("tab: ")
        for i, choice in enumerate(choices[:8]):
            head, _word = split_tail(choice.rstrip())
            word = choice[len(head):].strip()
            line.append(safe_text(word), style="bold reverse" if i == position else "")
            line.append("  ")
        if len(choices) > 8:
            line.append(f"… {len(choices) - 8} more", style="dim")
        self.query_one("#filter-message", Static).update(line)

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
