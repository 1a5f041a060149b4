"""One line at the top that always says where you are (k9s / lazygit style)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..textfmt import safe_text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { dock: top; height: 1; background: $panel; color: $text; padding: 0 1; }
    """

    def show(self, *parts: str | tuple[str, str] | None) -> None:
        """Each part is text or (text, style); empty parts are skipped. Text is
        never parsed as markup."""
        line = Text(no_wrap=True, overflow="ellipsis")
        first = True
        for part in parts:
            if not part:
                continue
            text, style = part if isinstance(part, tuple) else (part, "")
            if not text:
                continue
            if not first:
                line.append(" │ ", style="dim")
            line.append(safe_text(text), style=style)
            first = False
        self.update(line)
