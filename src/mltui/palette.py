"""Command palette (ctrl+p or :): every action of the current screen, plus
jumping to any experiment by name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content

from .store.errors import StoreError
from .textfmt import safe_text


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
        seen = set()
        for _key, binding in list(screen._bindings) + list(self.app._bindings):
            if not binding.description or binding.action in seen:
                continue
            seen.add(binding.action)
            target = screen if (_key, binding) in list(screen._bindings) else self.app
            yield (
                f"{title}: {binding.description}",
                partial(self.app.call_later, target.run_action, binding.action),
                f"key: {binding.key}",
            )
        for exp in self.experiments:
            yield (
                f"Open experiment: {safe_text(exp.name)}",
                partial(self.app.open_runs, [exp]),
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


def _highlight(matcher, label: str) -> Content:
    """Matcher.highlight parses its text as markup; experiment names are not."""
    content = Content(label)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets:
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
