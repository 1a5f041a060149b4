"""Copying with OSC 52, the one way that reaches the clipboard over SSH.

``App.copy_to_clipboard`` writes an OSC 52 sequence: the terminal (or tmux with
``set-clipboard on``) puts the text on the clipboard of the machine the person
sits at. No terminal answers whether it did, and many refuse quietly, so the
message always shows the text itself: it can be selected with the mouse there.
"""

from __future__ import annotations

from textual.dom import DOMNode

from ..textfmt import safe_text, truncate

SHOWN = 160
"""Characters of the copied text the message shows (a whole table would fill it)."""


def copy_text(node: DOMNode, text: str, what: str) -> None:
    """Copy ``text`` (``what`` names it: "run id", "artifact URI") and say so."""
    if not text:
        node.app.notify(f"No {what} to copy here", severity="warning")
        return
    node.app.copy_to_clipboard(text)
    lines = text.splitlines() or [text]
    shown = truncate(safe_text(lines[0]), SHOWN)
    more = f"\n(+{len(lines) - 1} more lines)" if len(lines) > 1 else ""
    # the text is data: "[bold]" in a tag value is shown, not read as markup
    node.app.notify(f"Copied {what} (OSC 52):\n{shown}{more}", timeout=8, markup=False)
