"""Checks of the ``[keymap]`` of config.toml against the bindings it remaps.

Textual applies a keymap per screen and silently drops a binding whose key
another binding took; a person who wrote ``"runs.sort" = "o"`` would lose
Expand without a word. Imports no screen itself: the app passes the binding
lists (only when a keymap is set, so a plain start imports nothing more).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from textual.binding import Binding, BindingType


def _keys(binding: Binding, keymap: Mapping[str, str]) -> list[str]:
    keys = keymap.get(binding.id, binding.key) if binding.id else binding.key
    return [k.strip() for k in keys.split(",") if k.strip()]


def keymap_problems(
    keymap: Mapping[str, str], groups: Mapping[str, Iterable[BindingType]],
    shared: Iterable[BindingType] = (),
) -> list[str]:
    """One line per key two bindings would share once ``keymap`` is applied, within
    one screen (``groups``: screen name -> its bindings) or with ``shared`` (the app's),
    and per keymap id that no binding has."""
    common = [b for b in shared if isinstance(b, Binding)]
    known = {b.id for b in common if b.id}
    problems: list[str] = []
    for name, group in groups.items():
        bindings = [b for b in group if isinstance(b, Binding)]
        known |= {b.id for b in bindings if b.id}
        owners: dict[str, set[str]] = {}
        for binding in [*bindings, *common]:
            for key in _keys(binding, keymap):
                owners.setdefault(key, set()).add(binding.id or binding.action)
        for key, ids in owners.items():
            remapped = sorted(i for i in ids if i in keymap)
            if len(ids) > 1 and remapped:
                others = ", ".join(sorted(ids - set(remapped)))
                problems.append(f"keymap: {', '.join(remapped)} takes {key!r}, which {others} "
                                f"already uses on the {name} screen; pick another key")
    problems += [f"keymap: no binding has the id {i!r}" for i in keymap if i not in known]
    return problems
