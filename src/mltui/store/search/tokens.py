"""Tokens and identifiers of a filter string, split as sqlparse splits them (the
lexer MLflow parses with), with the position of each for error carets."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import InvalidSearch
from .terms import (
    _ENTITY_ALIASES,
    _ENTITY_NAMES,
    _RESERVED_AFTER_DOT,
    ATTRIBUTE,
    DATASET,
    DATASET_KEYS,
)

_NUM_END = r"(?![_a-zA-ZÀ-ÜÀ-ÿ])"
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<comment>(?:--|\#\ )[^\r\n]*(?:\r\n|\r|\n)?)
  | (?P<bt>`(?:``|[^`])*`)
  | (?P<hex>-?0x[0-9a-fA-F]+)
  | (?P<float>-?\d+(?:\.\d+)?[eE]-?\d+|-?(?:\d+\.\d*|\.\d+)"""
    + _NUM_END
    + r""")
  | (?P<int>-?\d+"""
    + _NUM_END
    + r""")
  | (?P<sq>'(?:''|\\'|[^'])*')
  | (?P<dq>"(?:""|\\"|[^"])*")
  | (?P<notnull>NOT\s+NULL\b)
  | (?P<likeop>(?:NOT\s+)?(?:LIKE|ILIKE|RLIKE)\b)
  | (?P<word>\w+)
  | (?P<lp>\()
  | (?P<rp>\))
  | (?P<dot>\.)
  | (?P<comma>,)
  | (?P<op>[<>=~!]+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.IGNORECASE | re.DOTALL,
)


@dataclass
class _Tok:
    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    def is_word(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


def _tokenize(text: str) -> list[_Tok]:
    tokens = []
    for m in _TOKEN_RE.finditer(text):
        kind = m.lastgroup or "other"
        if kind == "ws":
            continue
        tokens.append(_Tok(kind, m.group(), m.start()))
    return tokens


def _error(message: str, pos: int | None, text: str) -> InvalidSearch:
    where = f" (at character {pos + 1})" if pos is not None else ""
    return InvalidSearch(f"{message}{where}", position=pos, text=text)


# ---------------------------------------------------------------------------
# identifiers


@dataclass
class _Ident:
    text: str
    start: int
    end: int
    as_part: _Tok | None = None
    """The first ``as`` key part, if any (see ``allow_as``)."""
    as_tail: str = ""
    """How the last ``as`` run ends: "as", "dot" (``as.``) or "more" (``as.key``)."""


def _read_identifier(
    tokens: list[_Tok], i: int, *, allow_as: bool = False
) -> tuple[_Ident | None, int]:
    """Read ``head(.part)*`` starting at tokens[i]; None if tokens[i] is not one.

    ``allow_as``: take the keyword ``as`` as a key part. sqlparse's "x AS y"
    grouping glues ``params.as`` to whatever token follows, so MLflow accepts
    ``params.as DESC`` and ``params.as.b IS NULL``; callers check the rest.
    """
    tok = tokens[i]
    if tok.kind not in ("word", "bt", "dq"):
        return None, i
    if tok.kind == "word" and tok.text.upper() in ("AND", "OR", "NOT", "IN", "IS", "NULL"):
        return None, i
    parts = [tok.text]
    end = tok.end
    j = i + 1
    as_part = None
    as_tail = ""
    while j < len(tokens) and tokens[j].kind == "dot" and tokens[j].start == end:
        parts.append(".")
        end = tokens[j].end
        j += 1
        if j < len(tokens) and tokens[j].start == end and _is_key_part(tokens[j]):
            nxt = tokens[j]
            if nxt.kind == "word" and nxt.text.upper() in _RESERVED_AFTER_DOT:
                if not (allow_as and nxt.text.upper() == "AS"):
                    return None, i
                status, j = _read_as_parts(tokens, j, parts)
                end = tokens[j - 1].end
                # after "as.key", another "as" may only end the identifier
                if status == "bad" or (as_part is not None and status != "as"):
                    return None, i
                as_part = as_part or nxt
                as_tail = status
                if status == "more":
                    continue
                break
            parts.append(nxt.text)
            end = nxt.end
            j += 1
            if nxt.kind == "sq":
                # sqlparse never joins a dot after a 'quoted' part, so
                # ``metrics.'a'.b`` is not one identifier.
                break
        # else: a dot with no key part after it stays in the identifier and
        # the loop may take another dot; sqlparse groups ``params..a`` into
        # one identifier, so MLflow searches the key ``.a``.
    return _Ident("".join(parts), tok.start, end, as_part, as_tail), j


def _read_as_parts(tokens: list[_Tok], j: int, parts: list[str]) -> tuple[str, int]:
    """Read ``as(.as)*[.part]`` at tokens[j] into ``parts``.

    Returns ("as", j) when the identifier ends with ``as``, ("dot", j) when it
    ends with ``as.``, ("more", j) when a plain key part follows (dots may go
    on), ("bad", j) when sqlparse would not join what follows.
    """
    while True:
        parts.append(tokens[j].text)
        end, j = tokens[j].end, j + 1
        if not (j < len(tokens) and tokens[j].kind == "dot" and tokens[j].start == end):
            return "as", j
        parts.append(".")
        end, j = tokens[j].end, j + 1
        if not (j < len(tokens) and tokens[j].start == end):
            return "dot", j
        nxt = tokens[j]
        if nxt.is_word("AS"):
            continue
        if nxt.kind not in ("word", "bt", "dq") or nxt.text.upper() in _RESERVED_AFTER_DOT:
            return "bad", j
        parts.append(nxt.text)
        return "more", j + 1


def _is_key_part(tok: _Tok) -> bool:
    if tok.kind in ("word", "bt", "dq", "sq", "int"):
        return True
    # right after a dot, "like" is a key, not an operator
    return tok.kind == "likeop" and tok.text.isalpha()


def _is_quoted(value: str, quote: str) -> bool:
    return len(value) >= 2 and value.startswith(quote) and value.endswith(quote)


def _trim_backticks(value: str) -> str:
    return value[1:-1] if _is_quoted(value, "`") else value


def _strip_quotes(value: str) -> str:
    if _is_quoted(value, "'") or _is_quoted(value, '"'):
        return value[1:-1]
    return value


def _split_identifier(
    identifier: str, valid_attributes: Iterable[str], pos: int | None, text: str
) -> tuple[str, str]:
    if "." in identifier:
        entity, key = identifier.split(".", 1)
    else:
        entity, key = ATTRIBUTE, identifier
    entity = _trim_backticks(entity)
    kind = _ENTITY_ALIASES.get(entity)
    if kind is None:
        raise _error(f"Invalid entity type '{entity}'. Valid values are {_ENTITY_NAMES}", pos, text)
    key = _trim_backticks(_strip_quotes(key))
    if kind == ATTRIBUTE and key not in valid_attributes:
        raise _error(
            f"Invalid attribute key '{key}' specified. Valid keys are {sorted(valid_attributes)}",
            pos,
            text,
        )
    if kind == DATASET and key not in DATASET_KEYS:
        raise _error(
            f"Invalid dataset key '{key}' specified. Valid keys are {sorted(DATASET_KEYS)}",
            pos,
            text,
        )
    return kind, key
