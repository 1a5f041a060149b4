"""Command palette (ctrl+p or :): every action of the current screen, jumping to
any experiment by name, MLflow's concepts ("Concepts: Run"), the named connections
of config.toml ("Connect: prod"); Textual's own "Theme" comes from App.COMMANDS."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.dom import DOMNode

from .concepts import CONCEPTS
from .store.errors import StoreError
from .store.shared import safe_uri
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
        app = cast("MltuiApp", self.app)
        yield ("Concepts", partial(app.call_later, app.action_help, "concepts"),
               "MLflow's words explained: run, metric, model version, alias, trace ...")
        for concept in CONCEPTS:
            yield (f"Concepts: {concept.title}",
                   partial(app.call_later, app.action_help, "concepts", concept.name),
                   first_sentence(concept.body))
        for name, connection in getattr(app.settings, "connections", {}).items():
            now = " (open now)" if name == getattr(app, "connection", None) else ""
            yield (f"Connect: {safe_text(name)}", partial(app.call_later, app.connect, name),
                   f"{safe_uri(connection.uri)}{now}")
        for exp in self.experiments:
            yield (
                f"Open experiment: {safe_text(exp.name)}",
                partial(cast("MltuiApp", self.app).open_runs, [exp]),
                f"id {exp.experiment_id}, {exp.run_count or 0} runs",
            )

    async def discover(self) -> Hits:
        for label, command, help_text in self._commands():
            # listed once the person types: too many to show before
            if label.startswith(("Open experiment", "Concepts: ")):
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


def first_sentence(text: str, limit: int = 90) -> str:
    sentence = text.split(". ")[0].split("\n")[0]
    return sentence if len(sentence) <= limit else sentence[:limit - 1] + "…"


def _highlight(matcher, label: str) -> Content:
    """Matcher.highlight parses its text as markup; experiment names are not."""
    content = Content(label)
    _score, offsets = matcher.fuzzy_search.match(matcher.query, label)
    for offset in offsets:
        if not label[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
