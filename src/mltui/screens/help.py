"""`?`: what this screen is for, and every key that works here."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

GLOBAL_HELP = """\
mltui browses MLflow tracking data: experiments hold runs; a run has params
(inputs, strings), metrics (numbers logged over steps) and tags (labels).
The model registry keeps named models whose versions move through stages
(None → Staging → Production → Archived) and carry aliases like @champion.
"""

_KEY_NAMES = {
    "slash": "/", "question_mark": "?", "space": "space", "escape": "esc",
    "backspace": "⌫", "colon": ":", "delete": "del", "enter": "enter",
}


_TEXTUAL_ACTIONS = {"app.focus_next", "app.focus_previous", "focus_next", "focus_previous",
                    "screen.copy_text", "app.copy_text", "copy_text", "help_quit",
                    "app.help_quit", "command_palette"}


def key_label(keys: str) -> str:
    return " ".join(_KEY_NAMES.get(k, k) for k in keys.split(","))


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, screen: Screen):
        super().__init__()
        self.target = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(type(self.target).__name__.replace("Screen", ""), style="bold"))
            yield Static(Text(getattr(self.target, "HELP", "") or ""))
            yield Static(self._keys_table())
            yield Static(Text("\n" + GLOBAL_HELP, style="dim"))

    def _keys_table(self) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", padding=(0, 2))
        table.add_column("Key")
        table.add_column("Does")
        by_action: dict[str, tuple[list[str], str]] = {}
        bindings = list(self.target._bindings)  # the screen's own, then the app's
        bindings += list(self.app._bindings)
        for key, binding in bindings:
            # Textual's own focus/copy keys are not mltui's to explain
            if not binding.description or binding.action in _TEXTUAL_ACTIONS:
                continue
            keys, _ = by_action.setdefault(binding.action, ([], binding.description))
            if key not in keys:
                keys.append(key)
        for keys, description in by_action.values():
            table.add_row(Text(key_label(",".join(keys))), Text(description))
        for keys, text in (("↑↓ j k", "move"), ("PgUp PgDn ctrl+d ctrl+u", "page"),
                           ("g G home end", "first / last"), ("ctrl+p :", "command palette")):
            table.add_row(Text(keys), Text(text))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
