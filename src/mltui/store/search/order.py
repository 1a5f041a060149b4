"""``parse_order_by``: order_by strings -> :class:`OrderKey` s, and back
(:func:`order_by_string`, :func:`quote_key`). The steps MLflow takes for run
and trace order_by alike (:func:`parse_clauses`, :func:`split_direction`) are
here, and :mod:`.trace_order` uses them."""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from ..errors import InvalidSearch
from .terms import (
    _KEY_ALIASES,
    _RESERVED_AFTER_DOT,
    ATTRIBUTE,
    DATASET,
    METRIC,
    ORDER_BY_ATTRIBUTES,
    PARAM,
    TAG,
    OrderKey,
)
from .tokens import _error, _read_identifier, _split_identifier, _Tok, _tokenize


def parse_order_by(clauses: Sequence[str] | str | None) -> list[OrderKey]:
    """Parse MLflow ``order_by`` clauses (``"metrics.loss DESC"``...)."""
    return parse_clauses(clauses, _parse_one_order_by)


class _Field(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def key(self) -> str: ...


_Key = TypeVar("_Key", bound=_Field)


def parse_clauses(clauses: Sequence[str] | str | None,
                  parse_one: Callable[[str], _Key]) -> list[_Key]:
    """Each clause through ``parse_one``; a field named twice is refused, as MLflow
    refuses it for runs and traces alike (one string is one clause)."""
    if not clauses:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    keys: list[_Key] = []
    seen: set[tuple[str, str]] = set()
    for clause in clauses:
        key = parse_one(clause)
        if (key.kind, key.key) in seen:
            raise _error(f"`order_by` contains duplicate fields: {list(clauses)}", 0, clause)
        seen.add((key.kind, key.key))
        keys.append(key)
    return keys


def _parse_one_order_by(clause: str) -> OrderKey:
    def unparsable(pos: int) -> InvalidSearch:
        return _error(f"Invalid order_by clause '{clause}'. Could not be parsed.", pos, clause)

    # sqlparse must see a single identifier token. Whitespace around it is a
    # token of its own, so MLflow rejects " metrics.a" and "metrics.a ".
    if clause != clause.lstrip():
        raise unparsable(0)
    if clause != clause.rstrip():
        raise unparsable(len(clause.rstrip()))
    tokens = _tokenize(clause)
    if not tokens:
        raise unparsable(0)
    ident, j = _read_identifier(tokens, 0, allow_as=True)
    if ident is None:
        raise unparsable(0)
    rest = tokens[j:]
    if rest and rest[0].kind in ("int", "float", "hex") and rest[0].start == ident.end:
        # sqlparse quirk: a number glued to the identifier ("metrics.1",
        # "metrics.a-1") joins it only through "<number> ASC|DESC", so
        # "metrics.1 DESC" sorts by the metric "1" while "metrics.1" alone
        # cannot be parsed.
        if len(rest) == 2 and rest[1].is_word("ASC", "DESC"):
            rest = rest[1:]
        else:
            raise unparsable(rest[0].start)
    elif ident.as_tail == "as":
        # sqlparse groups "x.as <token>" whatever the token: "params.as 'desc'"
        if len(rest) != 1 or rest[0].kind not in ("word", "bt", "dq", "sq"):
            raise unparsable(ident.as_part.start if ident.as_part else 0)
        rest = [_Tok("word", "", rest[0].start)]  # let shlex judge it below
    elif rest and (
        (ident.as_tail == "more" and rest[0].kind != "word")
        or (ident.as_tail == "dot" and rest[0].kind == "word")
    ):
        # the part after "as." was glued on as an alias already, so only
        # ASC/DESC may follow "x.as.b"; and "x.as." takes an alias, not ASC/DESC
        raise unparsable(rest[0].start)
    # Only with two parts is the unquoted identifier used: "metrics.`a b` DESC"
    # sorts by "a b", and so does "metrics.`a b`" (backticks trimmed), but
    # "metrics.x.`a b`" keeps its backticks in the key.
    identifier, ascending = split_direction(clause, rest, unparsable)
    kind, key = _split_identifier(identifier.strip(), ORDER_BY_ATTRIBUTES, 0, clause)
    if kind == DATASET:
        raise _error(f"Invalid identifier type '{kind}'", 0, clause)
    return OrderKey(kind, _KEY_ALIASES.get(key, key), ascending)


def split_direction(clause: str, rest: list[_Tok],
                    unparsable: Callable[[int], InvalidSearch]) -> tuple[str, bool]:
    """``clause`` as (identifier, ascending), given the tokens after its identifier,
    as MLflow splits run and trace order_by clauses alike."""
    # At most one more word, `backticked` or "quoted" token may follow: sqlparse
    # groups it with the identifier (as an alias or ASC/DESC).
    if len(rest) > 1 or (rest and rest[0].kind not in ("word", "bt", "dq")):
        raise unparsable(rest[1].start if len(rest) > 1 else rest[0].start)
    # Then MLflow turns backticks into double quotes and shell-splits the text.
    try:
        parts = shlex.split(clause.replace("`", '"'))
    except ValueError:
        raise unparsable(0) from None
    if len(parts) > 2:
        raise unparsable(rest[0].start if rest else 0)
    if len(parts) < 2:
        return clause, True
    if parts[1].lower() not in ("asc", "desc"):
        raise _error(f"Invalid ordering key in order_by clause '{clause}'.",
                     rest[0].start if rest else 0, clause)
    return parts[0], parts[1].lower() == "asc"


def order_by_string(key: OrderKey) -> str:
    """The MLflow order_by clause for ``key`` (keys quoted with backticks)."""
    prefix = {METRIC: "metrics", PARAM: "params", TAG: "tags", ATTRIBUTE: "attributes"}[key.kind]
    return f"{prefix}.`{key.key}` {'ASC' if key.ascending else 'DESC'}"


def quote_key(kind: str, key: str) -> str:
    """How a user types a reference to ``key`` in a filter (backticks when needed)."""
    prefix = {METRIC: "metrics", PARAM: "params", TAG: "tags", ATTRIBUTE: "attributes"}[kind]
    parts = key.split(".")
    if all(
        re.fullmatch(r"[A-Za-z_]\w*", part) and part.upper() not in _RESERVED_AFTER_DOT
        for part in parts
    ):
        return f"{prefix}.{key}"
    return f"{prefix}.`{key}`"
