"""One prompt of MLflow's prompt registry: its versions (aliases, commit message,
type), the template of the version under the cursor, and the line diff of two
versions (``d``; unified or side by side with ``v``). Opened with enter on a
prompt in the models screen (``P`` shows prompts there).

The diff is computed in ``views.prompts``; this screen colours it. Template text
is a store's text like any other: shown through ``safe_multiline``, never markup.
"""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ..background import run_blocking
from ..textfmt import (
    count_of,
    first_line,
    format_relative,
    format_timestamp,
    safe_multiline,
    safe_text,
    truncate,
)
from ..views.prompts import (
    ADD,
    HUNK,
    REMOVE,
    PromptDiff,
    PromptVersion,
    PromptView,
    diff_versions,
    load_prompt_view,
    pick_pair,
)
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable
from .base import MltuiScreen
from .clipboard import copy_text

LINE_STYLE = {ADD: "green", REMOVE: "red", HUNK: "cyan", "change": ""}
SIGN = {ADD: "+", REMOVE: "-", HUNK: "", "same": " "}


def render_unified(diff: PromptDiff) -> Text:
    """The unified diff: ``@@`` headers, then each line with its old and new line
    numbers, a sign, and its text inert; added green, removed red."""
    out = Text(no_wrap=False)
    if diff.same:
        out.append(f"v{diff.old} and v{diff.new} have the same text", style="dim")
        return out
    for line in diff.unified:
        if line.kind == HUNK:
            out.append(line.text + "\n", style="bold cyan")
            continue
        numbers = f"{line.old or '':>4} {line.new or '':>4} "
        out.append(numbers, style="dim")
        style = LINE_STYLE.get(line.kind, "")
        out.append(f"{SIGN[line.kind]} {safe_multiline(line.text)}\n", style=style)
    out.rstrip()
    return out


def render_side_by_side(diff: PromptDiff) -> RenderableType:
    """Old and new text in two columns, changed lines coloured on both sides."""
    if diff.same:
        return Text(f"v{diff.old} and v{diff.new} have the same text", style="dim")
    table = Table(box=None, expand=True, show_header=True, padding=(0, 1),
                  header_style="bold")
    table.add_column("", style="dim", justify="right", width=4, no_wrap=True)
    table.add_column(f"v{diff.old}", ratio=1, overflow="fold")
    table.add_column("", style="dim", justify="right", width=4, no_wrap=True)
    table.add_column(f"v{diff.new}", ratio=1, overflow="fold")
    for row in diff.rows:
        left_style = "red" if row.kind in (REMOVE, "change") else ""
        right_style = "green" if row.kind in (ADD, "change") else ""
        table.add_row(
            str(row.old or ""),
            Text(safe_multiline(row.left), style=left_style) if row.left is not None
            else Text("·", style="dim"),
            str(row.new or ""),
            Text(safe_multiline(row.right), style=right_style) if row.right is not None
            else Text("·", style="dim"),
        )
    return table


class PromptScreen(MltuiScreen):
    BINDINGS = [
        Binding("space", "mark", "Mark A/B", id="prompt.mark"),
        Binding("d", "diff", "Diff", id="prompt.diff"),
        Binding("v", "toggle_layout", "Side by side", id="prompt.layout"),
        Binding("enter", "view_text", "Whole text", id="prompt.text"),
        Binding("y", "copy_text", "Copy text", id="prompt.copy"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="prompt.reload"),
        Binding("escape", "escape", "Back", id="prompt.escape"),
        Binding("backspace", "back", "Back", show=False, id="prompt.back"),
    ]

    HELP = """\
A prompt of MLflow's prompt registry (mlflow.genai.register_prompt): every
version keeps a template (text, or chat messages shown as one [role] block
each), a commit message, and maybe aliases (@production) that code loads with
prompts:/NAME@ALIAS.

The lower pane shows the template of the version under the cursor. d compares
two versions line by line: the two marked with space (the first marked is A,
the second B; a third mark replaces the oldest), or the marked one and the one
under the cursor, or else the version under the cursor and the one before it.
v switches between a unified diff and two columns side by side; d again (or
escape) goes back to the template. Added lines are green, removed ones red.

enter shows the template whole, y copies it (OSC 52). tab moves into the pane
to scroll it.
"""

    DEFAULT_CSS = """
    PromptScreen #prompt-versions { height: 6; }
    PromptScreen #prompt-header { height: 1; padding: 0 1; background: $panel; }
    PromptScreen #prompt-pane { height: 1fr; padding: 0 1; }
    """

    def __init__(self, name: str):
        super().__init__()
        self.prompt_name = name
        self.view: PromptView | None = None
        self.marks: list[int] = []
        """Marked version numbers, oldest mark first (A, then B)."""
        self.diff: PromptDiff | None = None
        """The diff on show (None: the template of the cursor's version)."""
        self.side_by_side = False

    @property
    def table(self) -> DataTable:
        return self.query_one("#prompt-versions", DataTable)

    @property
    def versions(self) -> list[PromptVersion]:
        return self.view.versions if self.view else []

    @property
    def current(self) -> PromptVersion | None:
        row = self.table.cursor_row
        return self.versions[row] if 0 <= row < len(self.versions) else None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield VimTable(id="prompt-versions", cursor_type="row", zebra_stripes=True)
        yield Static(id="prompt-header")
        with VerticalScroll(id="prompt-pane"):
            yield Static(id="prompt-body")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.table.add_columns("", "Version", "Aliases", "Type", "Created", "Commit message",
                               "Tags")
        self.table.focus()
        self._status(loading=True)
        self.action_reload()

    # -- loading ---------------------------------------------------------------------
    def action_reload(self) -> None:
        run_blocking(self, load_prompt_view, self.store, self.prompt_name,
                     done=self._loaded, failed=self._failed, group="prompt")

    def _failed(self, message: str) -> None:
        self._header(Text(safe_text(message), style="bold red"))
        self._status()

    def _loaded(self, view: PromptView) -> None:
        current = self.current
        self.view = view
        numbers = [v.version for v in view.versions]
        self.marks = [n for n in self.marks if n in numbers]
        self._fill()
        if current is not None and current.version in numbers:
            self.table.move_cursor(row=numbers.index(current.version))
        if self.diff is not None:
            self._show_diff(quiet=True)
        else:
            self._show_current()
        self._status()

    def _fill(self) -> None:
        table = self.table
        row = table.cursor_row
        table.clear()
        for v in self.versions:
            tags = ", ".join(f"{k}={val}" for k, val in sorted(v.tags.items()))
            table.add_row(
                self._mark_cell(v.version),
                Text(f"v{v.version}", style="bold"),
                Text(safe_text(" ".join(f"@{a}" for a in v.aliases)), style="cyan"),
                Text(safe_text(v.kind)),
                format_relative(v.created),
                Text(truncate(safe_text(first_line(v.message)), 48)),
                Text(truncate(safe_text(tags), 30)),
            )
        # as tall as its rows (a header line, a spare one), up to a third of the
        # screen: the template below needs the room
        table.styles.height = max(3, min(len(self.versions) + 2, self.size.height // 3))
        if self.versions:
            table.move_cursor(row=min(max(row, 0), len(self.versions) - 1))

    def _mark_cell(self, number: int) -> Text:
        if number not in self.marks:
            return Text("")
        return Text("AB"[self.marks.index(number)], style="bold magenta")

    def _status(self, loading: bool = False) -> None:
        view = self.view
        aliases = " ".join(f"@{a}→v{v}" for a, v in sorted(view.aliases.items())) \
            if view else ""
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("prompt", "dim", 2),
            (self.prompt_name, "bold cyan", 6),
            "loading…" if loading else count_of(len(self.versions), "version"),
            (aliases, "cyan", 4) if aliases else None,
            ("marked " + " ".join(f"{'AB'[i]}=v{n}" for i, n in enumerate(self.marks)),
             "magenta", 5) if self.marks else None,
        )

    # -- the pane ----------------------------------------------------------------------
    def _header(self, text: Text) -> None:
        text.no_wrap, text.overflow = True, "ellipsis"
        self.query_one("#prompt-header", Static).update(text)

    def _body(self, renderable: RenderableType) -> None:
        self.query_one("#prompt-body", Static).update(renderable)

    def _show_current(self) -> None:
        v = self.current
        if v is None:
            self._header(Text("No versions", style="dim"))
            self._body("")
            return
        header = Text()
        header.append(f"v{v.version}", style="bold")
        header.append(f"  {v.kind}", style="dim")
        if v.aliases:
            header.append("  " + safe_text(" ".join(f"@{a}" for a in v.aliases)), style="cyan")
        if v.created:
            header.append(f"  {format_timestamp(v.created)}", style="dim")
        if v.message:
            header.append("  " + safe_text(first_line(v.message)))
        self._header(header)
        body = Text(safe_multiline(v.text))
        if not v.text:
            body = Text("(no template text: the version lacks the mlflow.prompt.text tag)",
                        style="dim")
        self._body(body)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.diff is None:
            self._show_current()

    def _show_diff(self, quiet: bool = False) -> None:
        view = self.view
        if view is None:
            return
        cursor = self.current.version if self.current else None
        pair = pick_pair(self.marks, cursor, view)
        if isinstance(pair, str):
            if not quiet:
                self.notify(pair, severity="warning")
            self.diff = None
            self._show_current()
            return
        self.diff = diff_versions(*pair)
        self._draw_diff()

    def _draw_diff(self) -> None:
        diff = self.diff
        if diff is None:
            return
        header = Text()
        header.append(f"diff v{diff.old} → v{diff.new}", style="bold")
        header.append(f"  +{diff.added}", style="green")
        header.append(f" -{diff.removed}", style="red")
        header.append("  side by side (v: unified)" if self.side_by_side
                      else "  unified (v: side by side)", style="dim")
        self._header(header)
        self._body(render_side_by_side(diff) if self.side_by_side else render_unified(diff))

    # -- keys ---------------------------------------------------------------------------
    def action_mark(self) -> None:
        v = self.current
        if v is None:
            return
        if v.version in self.marks:
            self.marks.remove(v.version)
        else:
            self.marks = [*self.marks, v.version][-2:]
        row = self.table.cursor_row
        self._fill()
        self.table.move_cursor(row=min(row + 1, len(self.versions) - 1))
        self._status()

    def action_diff(self) -> None:
        if self.diff is not None:
            self.diff = None
            self._show_current()
            return
        self._show_diff()

    def action_toggle_layout(self) -> None:
        self.side_by_side = not self.side_by_side
        if self.diff is None:
            self._show_diff()
        else:
            self._draw_diff()

    def action_view_text(self) -> None:
        from .value_viewer import ValueViewer

        v = self.current
        if v is not None:
            self.app.push_screen(ValueViewer(f"{self.prompt_name} v{v.version}", v.text))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_view_text()

    def action_copy_text(self) -> None:
        v = self.current
        if v is not None:
            copy_text(self, v.template, f"the template of v{v.version}")

    def action_escape(self) -> None:
        if self.diff is not None:
            self.diff = None
            self._show_current()
        elif self.marks:
            self.marks = []
            self._fill()
            self._status()
        else:
            self.action_back()

    def action_back(self) -> None:
        self.app.pop_screen()
