"""Command palette (ctrl+p or :): every action of the current screen, plus
jumping to any experiment by name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode

from .store.errors import StoreError
from .textfmt import safe_text

if TYPE_CHECKING:
    from .app import MltuiApp


class MltuiCommands(Provider):
    async def startup(self) -> None:
        self.experiments = []
        store = getattr(self.app, "store", None)
        if store is not None:
            try:
                self.experiments = await asyncio.to_thread(store.list_experiments)
            except StoreError:
                self.experiments = []

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        screen = self.screen
        title = type(screen).__name__.replace("Screen", "")
        for label, action, node, keys in _actions(screen):
            yield (
                f"{title}: {label}",
                partial(self.app.call_later, self.app.run_action, action, node),
                f"key: {keys}",
            )
        for exp in self.experiments:
            yield (
                f"Open experiment: {safe_text(exp.name)}",
                partial(cast("MltuiApp", self.app).open_runs, [exp]),
                f"id {exp.experiment_id}, {exp.run_count or 0} runs",
            )

    async def discover(self) -> Hits:
        for label, command, help_text in self._commands():
            if label.startswith("Open experiment"):
                continue
            yield DiscoveryHit(Content(label), command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for label, command, help_text in self._commands():
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, _highlight(matcher, label), command, help=help_text)


def _actions(screen) -> list[tuple[str, str, DOMNode, str]]:
    """The screen's actions as help lists them (active bindings, remapped keys):
    (description, action, the node that runs it, its keys)."""
    from .screens.help import key_label

    seen: dict[tuple[int, str], tuple[str, str, DOMNode, list[str]]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.action in _SKIP:
            continue
        entry = seen.setdefault((id(active.node), binding.action),
                                (binding.description, binding.action, active.node, []))
        entry[3].append(key)
    return [(d, a, n, key_label(",".join(k))) for d, a, n, k in seen.values()]


_SKIP = {"command_palette", "app.focus_next", "app.focus_previous", "focus_next",
         "focus_previous", "screen.copy_text", "app.copy_text", "copy_text", "help_quit"}


def _highlight(matcher, label: str) -> Content:
    """Matcher.highlight parses its text as markup; experiment names are not."""
    content = Content(label)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets:
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
