"""`?`: what this screen is for, and every key that works here.

The keys come from the screen's active bindings (Textual's public
``Screen.active_bindings``), so a key remapped in ``config.toml`` shows here
as it works, and a key nothing uses any more does not show.
"""

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
    "left_square_bracket": "[", "right_square_bracket": "]",
}

_TEXTUAL_ACTIONS = {"app.focus_next", "app.focus_previous", "focus_next", "focus_previous",
                    "screen.copy_text", "app.copy_text", "copy_text", "help_quit",
                    "app.help_quit"}


def key_label(keys: str) -> str:
    return " ".join(_KEY_NAMES.get(k, k) for k in keys.split(","))


def reflow(text: str) -> str:
    """Join hard-wrapped lines into paragraphs so the text wraps at any width; lines
    that start with spaces (examples, lists) keep their own line."""
    paragraphs = []
    for block in text.strip("\n").split("\n\n"):
        lines: list[str] = []
        for line in block.splitlines():
            if lines and not line.startswith(" ") and not lines[-1].startswith(" "):
                lines[-1] += " " + line.strip()
            else:
                lines.append(line.rstrip())
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def screen_keys(screen: Screen) -> list[tuple[str, list[tuple[str, str]]]]:
    """The keys that work on ``screen`` now, grouped: the screen's own, the focused
    widget's (moving around), everywhere. Each entry is (keys, description)."""
    groups: dict[str, dict[str, tuple[list[str], str]]] = {
        "This screen": {}, "Moving around": {}, "Everywhere": {},
    }
    app = screen.app
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.action in _TEXTUAL_ACTIONS:
            continue
        if active.node is app:
            group = "Everywhere"
        elif active.node is screen:
            group = "This screen"
        else:
            group = "Moving around"
        keys, _ = groups[group].setdefault(binding.action, ([], binding.description))
        if key not in keys:
            keys.append(key)
    return [(name, [(key_label(",".join(keys)), text) for keys, text in entries.values()])
            for name, entries in groups.items() if entries]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90%; max-width: 100; height: 90%;
        border: thick $accent; background: $surface; padding: 1 2;
    }
    """
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, screen: Screen):
        super().__init__()
        self.target = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(Text(type(self.target).__name__.replace("Screen", ""), style="bold"))
            yield Static(Text(reflow(getattr(self.target, "HELP", "") or "")))
            yield Static(self._keys_table())
            yield Static(Text("\n" + reflow(GLOBAL_HELP), style="dim"))

    def _keys_table(self) -> Table:
        table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does", ratio=1)
        for name, entries in screen_keys(self.target):
            table.add_row(Text(name, style="bold underline"), "")
            for keys, description in entries:
                table.add_row(Text(keys), Text(description))
            table.add_row("", "")
        return table

    def action_close(self) -> None:
        self.dismiss(None)
