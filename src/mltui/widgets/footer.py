"""The footer: the screen's keys, with `?` (help) docked at the right so it
stays visible however narrow the terminal is."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

_DOCKED = ("help", "app.help")


class KeysFooter(Footer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # one docked key fits beside the others; help lists the palette keys
        self.show_command_palette = False

    def compose(self) -> ComposeResult:
        docked = None
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.action in _DOCKED:
                docked = widget
                continue
            yield widget
        if docked is not None:
            # the same class as the palette key: Footer's CSS docks it right
            docked.add_class("-command-palette")
            yield docked
