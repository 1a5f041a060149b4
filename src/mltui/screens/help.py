"""`?`: what this screen is for, every key that works here, and MLflow's concepts.

The keys come from the screen's active bindings (Textual's public
``Screen.active_bindings``), so a key remapped in ``config.toml`` shows here
as it works, and a key nothing uses any more does not show. The Concepts page
is the text of :mod:`mltui.concepts`, the same the CLI prints.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import ContentSwitcher, Input, Static

from ..concepts import CONCEPTS

GLOBAL_HELP = """\
mltui browses MLflow tracking data: experiments hold runs; a run has params
(inputs, strings), metrics (numbers logged over steps) and tags (labels).
The model registry keeps named models whose versions move through stages
(None → Staging → Production → Archived) and carry aliases like @champion.
"""

PAGES = ("keys", "concepts")
CONCEPTS_INTRO = """\
The words MLflow uses, what they mean, and where each shows up here. \
`mltui concepts` prints the same text in a shell.
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
    """Two pages: the keys of the screen below (``1``) and MLflow's concepts (``2``);
    ``/`` narrows both to what matches the words typed."""

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > #help-box {
        width: 90%; max-width: 100; height: 90%;
        border: thick $accent; background: $surface; padding: 0 2;
    }
    HelpScreen #help-pages { height: 1; color: $text-muted; }
    HelpScreen #help-search { display: none; border: tall $accent; }
    HelpScreen #help-search.visible { display: block; }
    HelpScreen ContentSwitcher { height: 1fr; }
    HelpScreen ContentSwitcher > VerticalScroll { height: 1fr; padding-top: 1; }
    HelpScreen .concept-title { text-style: bold; color: $accent; }
    HelpScreen .concept-where { color: $text-muted; margin-bottom: 1; }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
        Binding("slash", "search", "Search", id="help.search"),
        Binding("1", "page('keys')", "Keys page", id="help.keys"),
        Binding("2", "page('concepts')", "Concepts page", id="help.concepts"),
        Binding("tab", "next_page", "Other page", show=False, id="help.next_page"),
    ]

    def __init__(self, screen: Screen, page: str = "keys", concept: str | None = None):
        super().__init__()
        self.target = screen
        self.page = page if page in PAGES else "keys"
        self.concept = concept
        """A concept to scroll to when the Concepts page opens (its ``name``)."""
        self.query_text = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="help-box"):
            yield Static(id="help-pages")
            # disabled while hidden: Textual would give it the focus on opening
            yield Input(placeholder="search keys and concepts", id="help-search",
                        disabled=True)
            with ContentSwitcher(initial=self.page):
                with VerticalScroll(id="keys"):
                    yield Static(Text(type(self.target).__name__.replace("Screen", ""),
                                      style="bold"))
                    yield Static(Text(reflow(getattr(self.target, "HELP", "") or "")),
                                 id="screen-help")
                    yield Static(self._keys_table(), id="keys-table")
                    yield Static(Text("\n" + reflow(GLOBAL_HELP), style="dim"))
                with VerticalScroll(id="concepts"):
                    yield Static(Text(CONCEPTS_INTRO, style="dim"))
                    for c in CONCEPTS:
                        yield Static(Text(c.title), id=f"title-{c.name}",
                                     classes="concept-title concept")
                        yield Static(Text(c.body), classes="concept", id=f"body-{c.name}")
                        yield Static(Text("In mltui: " + c.where), id=f"where-{c.name}",
                                     classes="concept-where concept")
                    yield Static(Text("No concept matches.", style="italic"),
                                 id="no-concept")

    def on_mount(self) -> None:
        self.query_one("#no-concept").display = False
        self._show_page(self.page)

    def _show_page(self, page: str) -> None:
        self.page = page
        self.query_one(ContentSwitcher).current = page
        pages = Text()
        for i, name in enumerate(PAGES, 1):
            pages.append(f" {i} {name.capitalize()} ", style="reverse" if name == page else "")
            pages.append("  ")
        pages.append("/ search   tab other page   esc close", style="dim")
        self.query_one("#help-pages", Static).update(pages)
        scroll = self.query_one(f"#{page}", VerticalScroll)
        if not self.query_one("#help-search", Input).has_focus:
            scroll.focus()
        if page == "concepts" and self.concept:
            target = self.query_one(f"#title-{self.concept}")
            self.concept = None
            self.call_after_refresh(scroll.scroll_to_widget, target, animate=False, top=True)

    def _keys_table(self) -> Table:
        words = self.query_text.lower().split()
        table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
        table.add_column("Key", no_wrap=True)
        table.add_column("Does", ratio=1)
        shown = 0
        for name, entries in screen_keys(self.target):
            rows = [(k, d) for k, d in entries
                    if all(w in f"{k} {d}".lower() for w in words)]
            if not rows:
                continue
            table.add_row(Text(name, style="bold underline"), "")
            for keys, description in rows:
                table.add_row(Text(keys), Text(description))
                shown += 1
            table.add_row("", "")
        if not shown:
            table.add_row("", Text("No key matches.", style="italic"))
        return table

    def _filter(self, text: str) -> None:
        self.query_text = text
        words = text.lower().split()
        self.query_one("#keys-table", Static).update(self._keys_table())
        # the screen's own prose only when not searching: it would hide the matches
        self.query_one("#screen-help").display = not words
        matches = 0
        for c in CONCEPTS:
            hit = all(w in f"{c.title} {c.body} {c.where} {' '.join(c.words)}".lower()
                      for w in words)
            matches += hit
            for part in ("title", "body", "where"):
                self.query_one(f"#{part}-{c.name}").display = hit
        self.query_one("#no-concept").display = not matches

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._filter(event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.query_one(f"#{self.page}", VerticalScroll).focus()

    def action_search(self) -> None:
        box = self.query_one("#help-search", Input)
        box.disabled = False
        box.add_class("visible")
        box.focus()

    def action_page(self, page: str) -> None:
        self._show_page(page)

    def action_next_page(self) -> None:
        self._show_page(PAGES[(PAGES.index(self.page) + 1) % len(PAGES)])

    def action_close(self) -> None:
        box = self.query_one("#help-search", Input)
        if box.has_focus:
            # escape in the search box ends the search, not the help
            box.value = ""
            box.remove_class("visible")
            box.disabled = True
            self.query_one(f"#{self.page}", VerticalScroll).focus()
            return
        self.dismiss(None)
