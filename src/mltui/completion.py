"""Completion for the filter bar: keys of metrics, params, tags, attribute names
and the operators MLflow allows after each."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .store.search import ATTRIBUTE_KEYS_FOR_COMPLETION, quote_key
from .store.search.terms import (
    DATASET_COMPARATORS,
    METRIC_COMPARATORS,
    NUMERIC_ATTRIBUTE_COMPARATORS,
    PARAM_COMPARATORS,
    STRING_ATTRIBUTE_COMPARATORS,
    TAG_COMPARATORS,
)

PREFIXES = ("metrics.", "params.", "tags.", "attributes.", "datasets.")
_KIND = {"metrics": "metric", "params": "parameter", "tags": "tag", "attributes": "attribute"}
# in the order a person reaches for them; the sets come from the grammar itself
_OPERATOR_ORDER = ("=", "!=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "IN", "NOT IN",
                   "IS NULL", "IS NOT NULL")
_OPERATORS = {
    prefix: [op for op in _OPERATOR_ORDER if op in allowed]
    for prefix, allowed in (
        ("metrics", METRIC_COMPARATORS),
        ("params", PARAM_COMPARATORS),
        ("tags", TAG_COMPARATORS),
        ("attributes", STRING_ATTRIBUTE_COMPARATORS | NUMERIC_ATTRIBUTE_COMPARATORS),
        ("datasets", DATASET_COMPARATORS),
    )
}
# the word being typed: an identifier, possibly dotted and with a backticked key
_TAIL = re.compile(r"([A-Za-z_][\w]*(?:\.(?:`[^`]*`?|[\w.]*))?)$")


@dataclass
class KeyIndex:
    """The keys a completion may offer."""

    metrics: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)

    def keys(self, prefix: str) -> list[str]:
        if prefix == "attributes":
            return list(ATTRIBUTE_KEYS_FOR_COMPLETION)
        if prefix == "datasets":
            return ["name", "digest", "context"]
        return list(getattr(self, prefix, []))


def split_tail(text: str) -> tuple[str, str]:
    """``text`` as (everything before the word being typed, that word)."""
    match = _TAIL.search(text)
    if match is None:
        return text, ""
    return text[: match.start(1)], match.group(1)


def candidates(text: str, index: KeyIndex, limit: int = 20) -> list[str]:
    """Full replacements for ``text`` (the whole filter) that complete its last word."""
    match = _TAIL.search(text)
    if match is None:
        return []
    word = match.group(1)
    head = text[: match.start(1)]
    if head and not head[-1].isspace() and head[-1] != "(":
        return []
    out: list[str] = []
    if "." not in word:
        lowered = word.lower()
        for prefix in PREFIXES:
            if prefix.startswith(lowered) and prefix != lowered:
                out.append(head + prefix)
        for attr in ATTRIBUTE_KEYS_FOR_COMPLETION:
            if attr.startswith(lowered) and attr != word:
                out.append(head + attr + " ")
        if lowered in ("a", "an", "and") and head.strip():
            out.insert(0, head + "AND ")
        return out[:limit]
    prefix, _, partial = word.partition(".")
    short = {"metric": "metrics", "param": "params", "parameters": "params", "tag": "tags",
             "attribute": "attributes", "attr": "attributes", "dataset": "datasets"}.get(
        prefix.lower(), prefix.lower())
    if short not in ("metrics", "params", "tags", "attributes", "datasets"):
        return []
    partial = partial.lstrip("`")
    lowered = partial.lower()
    keys = index.keys(short)
    ranked = [k for k in keys if k.lower().startswith(lowered)]
    ranked += [k for k in keys if lowered and lowered in k.lower() and k not in ranked]
    for key in ranked[:limit]:
        if short in _KIND and short != "attributes":
            ref = quote_key(_KIND[short], key)
            ref = ref.replace(ref.split(".", 1)[0], prefix, 1)
        else:
            ref = f"{prefix}.{key}"
        out.append(head + ref + " ")
    return out


def operator_hint(text: str) -> list[str]:
    """Operators allowed after the identifier just typed (for the hint line)."""
    match = re.search(r"(\w+)\.(?:`[^`]*`|[\w.]+)\s*$", text)
    if not match:
        return []
    return list(_OPERATORS.get(match.group(1).lower(), []))
