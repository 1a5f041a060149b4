"""Small modal dialogs: confirm, ask for a line of text.

Every text from a store is drawn inert: titles and bodies through ``safe_text`` /
``safe_multiline``, and the text in an editor in its editable form
(``textfmt.editable_text``: ESC shows as ␛, U+009D as ␦u009d), read back exactly
with ``textfmt.stored_text`` when the person accepts it."""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Input, Label, Static

from ..textfmt import editable_text, has_symbols, safe_multiline, safe_text, stored_text

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 80%; max-width: 90; height: auto; max-height: 90%;
    border: thick $accent; background: $surface; padding: 1 2;
}}
{name} .title {{ text-style: bold; margin-bottom: 1; }}
{name} .body {{ margin-bottom: 1; height: auto; max-height: 20; overflow-y: auto; }}
{name} .buttons {{ height: auto; align-horizontal: right; }}
{name} Button {{ margin-left: 2; }}
{name} .error {{ color: $error; }}
"""


SYMBOLS_HINT = "␛ ␀ ␦u009d …: control characters, kept as they are unless deleted"


class SafeInput(Input):
    """An Input whose pasted text keeps control characters as visible symbols (a
    terminal's paste may hold an ESC); like Input, only the first pasted line."""

    def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # Input's own handler would insert the raw text
        lines = event.text.splitlines()
        super()._on_paste(events.Paste(editable_text(lines[0] if lines else "",
                                                     multiline=False)))
        event.stop()


class ConfirmDialog(ModalScreen[bool]):
    """Yes / no. ``y`` or enter confirms; ``n`` or escape cancels."""

    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n,escape", "answer(False)", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, body: str, confirm_label: str = "Yes", danger: bool = False):
        super().__init__()
        self._title = title
        self._body = body
        self._confirm = confirm_label
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(safe_text(self._title)), classes="title")
            yield Static(Text(safe_multiline(self._body)), classes="body")
            with Horizontal(classes="buttons"):
                yield Button("Cancel (n)", id="no")
                yield Button(
                    f"{self._confirm} (y)", id="yes", variant="error" if self._danger else
                    "primary"
                )

    def on_mount(self) -> None:
        self.query_one("#yes", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


class PromptDialog(ModalScreen[str | None]):
    """Ask for one line of text; None when cancelled.

    The Input holds the editable form of ``value`` (control characters as symbols,
    see ``textfmt.editable_text``); the answer, and what ``validate`` is given, is
    the value it stands for: accepted untouched, it is ``value`` exactly."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PromptDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(
        self,
        title: str,
        value: str = "",
        *,
        body: str = "",
        placeholder: str = "",
        suggestions: list[str] | None = None,
        validate=None,
    ):
        super().__init__()
        self._title = title
        self._value = "" if value is None else value
        self._body = body
        self._placeholder = placeholder
        self._suggestions = [editable_text(s, multiline=False) for s in suggestions or []]
        self._validate = validate

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(safe_text(self._title)), classes="title")
            if self._body:
                yield Static(Text(safe_multiline(self._body)), classes="body")
            shown = editable_text(self._value, multiline=False)
            yield SafeInput(
                shown,
                placeholder=safe_text(self._placeholder),
                suggester=SuggestFromList(self._suggestions, case_sensitive=False)
                if self._suggestions
                else None,
            )
            yield Static("", classes="error", id="prompt-error")
            keys = "enter: OK   escape: cancel"
            if has_symbols(shown):
                keys += f"   {SYMBOLS_HINT}"
            yield Static(Text(keys, style="dim"))

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = stored_text(event.value)
        if self._validate is not None:
            problem = self._validate(value)
            if problem:
                self.query_one("#prompt-error", Static).update(Text(safe_text(problem)))
                return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)
