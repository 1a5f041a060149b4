"""MLflow's run search grammar: filter strings and order_by clauses -> an AST.

MLflow parses these strings with sqlparse and a set of rules in
``mlflow/utils/search_utils.py``. This module reproduces those rules by hand,
with the same accept/reject decisions and MLflow's wording for errors, plus
the position of the problem so the UI can point at it. It never produces SQL:
backends compile the AST (``sql_search.py``) or evaluate it in Python
(:func:`run_matches`, :func:`sort_runs`).

Quirks kept on purpose because MLflow has them: ``AND`` may be repeated,
leading, trailing or even missing between comparisons; quoted values are not
unescaped (``'it''s'`` searches for ``it''s``); ``IS NOT  NULL`` with two
spaces is rejected; a few SQL keywords cannot follow a dot; ``params..a``
searches the key ``.a``; the attribute aliases apply to every entity
(``tags.created`` is the tag ``start_time``); a ``# comment`` may follow an IN
list; in order_by, leading or trailing spaces are rejected and backticks are
kept in the key unless a direction follows (``metrics.x.`a b``` vs
``metrics.x.`a b` DESC``).

Where sqlparse glues SQL syntax into one "identifier" MLflow accepts junk
keys; mltui rejects those on purpose, with a message: spaces next to a dot
(``params. lr``), anything before ``IS NULL`` other than a key (``tags.a = 'x'
tags.b IS NULL`` without AND), function calls, subscripts, casts, aliases and
``*`` in keys. ``tests/test_search_grammar.py`` lists them.
"""

from __future__ import annotations

import ast
import math
import re
import shlex
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from .entities import DATASET_CONTEXT_TAG, DatasetInput, Run
from .errors import InvalidSearch

METRIC, PARAM, TAG, ATTRIBUTE, DATASET = "metric", "parameter", "tag", "attribute", "dataset"

_ENTITY_ALIASES = {
    "metric": METRIC,
    "metrics": METRIC,
    "parameter": PARAM,
    "parameters": PARAM,
    "param": PARAM,
    "params": PARAM,
    "tag": TAG,
    "tags": TAG,
    "attribute": ATTRIBUTE,
    "attr": ATTRIBUTE,
    "attributes": ATTRIBUTE,
    "run": ATTRIBUTE,
    "dataset": DATASET,
    "datasets": DATASET,
}
_ENTITY_NAMES = [METRIC, PARAM, TAG, ATTRIBUTE, DATASET]

NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time", "created", "Created"})
STRING_ATTRIBUTES = frozenset({"run_id", "run_name", "status", "user_id", "artifact_uri"})
SEARCH_ATTRIBUTES = NUMERIC_ATTRIBUTES | STRING_ATTRIBUTES | {"run name", "Run name", "Run Name"}
ORDER_BY_ATTRIBUTES = NUMERIC_ATTRIBUTES | STRING_ATTRIBUTES
DATASET_KEYS = frozenset({"name", "digest", "context"})
LIST_ATTRIBUTES = frozenset({"run_id"})

METRIC_COMPARATORS = frozenset({">", ">=", "!=", "=", "<", "<="})
PARAM_COMPARATORS = frozenset({"!=", "=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"})
TAG_COMPARATORS = PARAM_COMPARATORS
STRING_ATTRIBUTE_COMPARATORS = frozenset({"!=", "=", "LIKE", "ILIKE", "IN", "NOT IN"})
NUMERIC_ATTRIBUTE_COMPARATORS = METRIC_COMPARATORS
DATASET_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS

# sqlparse lexes these as keywords even right after a dot, so MLflow rejects
# e.g. ``params.from = 'x'``.
_RESERVED_AFTER_DOT = frozenset({"AS", "CASE", "FROM", "IN", "USING", "VALUES"})

_KEY_ALIASES = {
    "created": "start_time",
    "Created": "start_time",
    "run name": "run_name",
    "Run name": "run_name",
    "Run Name": "run_name",
}

#: Attribute keys offered by completion, in the order a user thinks of them.
ATTRIBUTE_KEYS_FOR_COMPLETION = (
    "run_name",
    "status",
    "start_time",
    "end_time",
    "user_id",
    "run_id",
    "artifact_uri",
)


@dataclass(frozen=True)
class Clause:
    """One ``key comparator value`` comparison of a filter."""

    kind: str
    """One of METRIC, PARAM, TAG, ATTRIBUTE, DATASET."""
    key: str
    """The key; attribute aliases are resolved (``created`` -> ``start_time``)."""
    comparator: str
    """Upper-case: ``=``, ``!=``, ``<`` ..., ``LIKE``, ``ILIKE``, ``IN``, ``NOT IN``,
    ``IS NULL``, ``IS NOT NULL``."""
    value: str | int | float | tuple[str, ...] | None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class OrderKey:
    kind: str
    key: str
    ascending: bool = True


# ---------------------------------------------------------------------------
# tokens

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


# ---------------------------------------------------------------------------
# filter


def parse_filter(text: str | None) -> list[Clause]:
    """Parse an MLflow run filter string; raise :class:`InvalidSearch` where MLflow would."""
    if not text:
        return []
    if not text.strip():
        raise _error(f"Invalid filter '{text}'. Could not be parsed.", 0, text)
    tokens = _tokenize(text)
    _reject_statement_separators(tokens, text)
    clauses: list[Clause] = []
    comparator_positions: list[int] = []
    previous: Clause | None = None  # the clause just before, with no AND between
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.is_word("AND"):
            previous = None
            i += 1
            continue
        clause, i, comparator_pos = _parse_clause(tokens, i, text)
        followed_by_comment = tokens[i - 1].kind == "comment"
        if (
            previous is not None
            and previous.comparator not in ("IS NULL", "IS NOT NULL")
            and clause.comparator in ("IN", "NOT IN", "IS NULL", "IS NOT NULL")
        ):
            # A missing AND is fine between two comparisons, but sqlparse glues
            # "<comparison> <key>" into one identifier when [NOT] IN or IS [NOT]
            # NULL follows: MLflow then rejects the clause or, for tags and
            # params, searches a junk key ("a = 'x' tags.b"). Reject both.
            raise _error(
                f"Missing AND before '{text[clause.start : clause.end]}'", clause.start, text
            )
        clauses.append(clause)
        comparator_positions.append(comparator_pos)
        # a comment (after an IN list) keeps sqlparse from gluing what follows
        previous = None if followed_by_comment else clause
    # MLflow checks comparators last (in the store), after every value parsed.
    for clause, comparator_pos in zip(clauses, comparator_positions, strict=True):
        _check_comparator(clause, text, comparator_pos)
    return clauses


def _reject_statement_separators(tokens: list[_Tok], text: str) -> None:
    semis = [t for t in tokens if t.text == ";"]
    if not semis:
        return
    # sqlparse splits statements at ';' and MLflow refuses more than one.
    if any(t.start > semis[0].start for t in tokens if t.text != ";"):
        raise _error(
            f"Search filter contained multiple expression {text!r}. "
            "Provide AND-ed expression list.",
            semis[0].start,
            text,
        )
    raise _error("Invalid clause(s) in filter string: ';'", semis[0].start, text)


def _invalid_clause(tokens: list[_Tok], i: int, text: str) -> InvalidSearch:
    tok = tokens[i] if i < len(tokens) else None
    if tok is not None and tok.text in ("'", '"', "`"):
        return _error(f"Unclosed quote {tok.text} in filter string", tok.start, text)
    if tok is None:
        last = tokens[-1]
        return _error(
            f"Invalid clause(s) in filter string: '{last.text}' (incomplete comparison)",
            last.start,
            text,
        )
    return _error(f"Invalid clause(s) in filter string: '{tok.text}'", tok.start, text)


def _parse_clause(tokens: list[_Tok], i: int, text: str) -> tuple[Clause, int, int]:
    """One clause from tokens[i]: (clause, index after it, comparator position)."""
    ident, j = _read_identifier(tokens, i, allow_as=True)
    # "params.as.b IS NULL" is one identifier to sqlparse, but only there
    if (
        ident is not None
        and ident.as_part is not None
        and (ident.as_tail == "as" or j >= len(tokens) or not tokens[j].is_word("IS"))
    ):
        ident, j = None, i
    if ident is None:
        reserved = _reserved_key_part(tokens, i)
        if reserved is not None:
            raise _error(
                f"'{reserved.text}' right after a dot is an SQL keyword to MLflow; "
                f"quote the key in backticks: `{reserved.text}`",
                reserved.start,
                text,
            )
        raise _invalid_clause(tokens, i, text)
    _reject_space_at_dot(ident, tokens, j, text)
    if j >= len(tokens):
        raise _error(
            f"Invalid clause(s) in filter string: '{ident.text}' (expected a comparison)",
            ident.start,
            text,
        )
    tok = tokens[j]

    # IS NULL / IS NOT NULL
    if tok.is_word("IS"):
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        if nxt is not None and nxt.is_word("NULL"):
            comparator, end_tok, j = "IS NULL", nxt, j + 2
        elif nxt is not None and nxt.kind == "notnull" and nxt.text.upper() == "NOT NULL":
            comparator, end_tok, j = "IS NOT NULL", nxt, j + 2
        else:
            raise _invalid_clause(tokens, j, text)
        kind, key = _split_identifier(ident.text, SEARCH_ATTRIBUTES, ident.start, text)
        if kind not in (TAG, PARAM):
            raise _error(
                "IS NULL / IS NOT NULL is only supported for tags and params, "
                f"not for '{kind}' '{key}'",
                ident.start,
                text,
            )
        # MLflow translates the attribute aliases whatever the entity, so
        # "tags.created IS NULL" asks about the tag "start_time".
        key = _KEY_ALIASES.get(key, key)
        return Clause(kind, key, comparator, None, ident.start, end_tok.end), j, tok.start

    # [NOT] IN (...)
    if tok.is_word("IN") or (
        tok.is_word("NOT") and j + 1 < len(tokens) and tokens[j + 1].is_word("IN")
    ):
        comparator = "IN" if tok.is_word("IN") else "NOT IN"
        k = j + 1 if comparator == "IN" else j + 2
        if k >= len(tokens) or tokens[k].kind != "lp":
            raise _invalid_clause(tokens, j, text)
        close = _matching_paren(tokens, k, text)
        raw = text[tokens[k].start : tokens[close].end]
        kind, key = _split_identifier(ident.text, SEARCH_ATTRIBUTES, ident.start, text)
        value = _list_value(kind, key, raw, tokens[k].start, text)
        clause = Clause(
            kind, _KEY_ALIASES.get(key, key), comparator, value, ident.start, tokens[close].end
        )
        return clause, _skip_comments_after_list(tokens, close + 1, text), tok.start

    if tok.kind == "op":
        comparator = tok.text
    elif tok.kind == "likeop":
        comparator = re.sub(r"\s+", " ", tok.text.upper())
    else:
        raise _invalid_clause(tokens, j, text)
    if j + 1 >= len(tokens):
        raise _error(
            f"Invalid clause(s) in filter string: '{ident.text}', '{tok.text}' (expected a value)",
            tok.start,
            text,
        )
    vtok = tokens[j + 1]
    end = j + 2
    if vtok.kind == "lp":
        close = _matching_paren(tokens, j + 1, text)
        raw = text[vtok.start : tokens[close].end]
        vtok = _Tok("paren", raw, vtok.start)
        end = close + 1
    elif vtok.kind not in ("sq", "dq", "bt", "int", "float", "word", "hex") or (
        vtok.kind == "word" and vtok.text.upper() in ("AND", "OR", "NOT", "IN", "IS")
    ):
        raise _invalid_clause(tokens, j + 1, text)
    if vtok.kind == "hex":
        raise _invalid_clause(tokens, j + 1, text)
    kind, key = _split_identifier(ident.text, SEARCH_ATTRIBUTES, ident.start, text)
    value = _scalar_value(kind, key, vtok, text)
    clause = Clause(
        kind, _KEY_ALIASES.get(key, key), comparator.upper(), value, ident.start, vtok.end
    )
    if end < len(tokens):
        nxt = tokens[end]
        if not nxt.is_word("AND") and _read_identifier(tokens, end)[0] is None:
            raise _invalid_clause(tokens, end, text)
    return clause, end, tok.start


def _reserved_key_part(tokens: list[_Tok], i: int) -> _Tok | None:
    """The keyword that stops ``params.from`` from being an identifier, if any."""
    if tokens[i].kind not in ("word", "bt", "dq"):
        return None
    j, end = i + 1, tokens[i].end
    while j + 1 < len(tokens) and tokens[j].kind == "dot" and tokens[j].start == end:
        nxt = tokens[j + 1]
        if nxt.start != tokens[j].end or not _is_key_part(nxt):
            return None
        if nxt.kind == "word" and nxt.text.upper() in _RESERVED_AFTER_DOT:
            return nxt
        j, end = j + 2, nxt.end
    return None


def _reject_space_at_dot(ident: _Ident, tokens: list[_Tok], j: int, text: str) -> None:
    """Say clearly what is wrong with ``params. lr`` or ``params .lr``.

    sqlparse joins such keys across the space, so MLflow searches the key
    `` lr`` (and, for some words, rejects the filter); mltui always rejects:
    a key never starts or ends with a space typed next to the dot.
    """
    if j >= len(tokens) or tokens[j].start == ident.end:
        return
    nxt = tokens[j]
    joined = nxt.kind in ("bt", "dq", "sq") or (
        nxt.kind == "word" and nxt.text.upper() not in ("AND", "OR", "NOT", "IN", "IS", "NULL")
    )
    if nxt.kind == "dot" or (ident.text.endswith(".") and joined):
        raise _error(
            f"Unexpected space next to '.' in '{text[ident.start : nxt.end]}'; "
            "quote keys with spaces in backticks, e.g. params.`my key`",
            ident.end,
            text,
        )


def _skip_comments_after_list(tokens: list[_Tok], k: int, text: str) -> int:
    """Index after the comments that follow an IN list at tokens[k], if MLflow takes them.

    sqlparse folds comments into the parenthesis before them, and MLflow hands
    "('a') # note" to ``ast.literal_eval``: ``#`` comments pass, ``--`` ones do
    not. A comment with nothing but line breaks after it is left unfolded, and
    rejected.
    """
    j = k
    while j < len(tokens) and tokens[j].kind == "comment":
        j += 1
    if j == k:
        return k
    comments = tokens[k:j]
    bad = next((c for c in comments if not c.text.startswith("#")), None)
    if bad is None and text[comments[-1].end :].strip("\r\n"):
        return j
    bad = bad or comments[-1]
    raise _error(f"Invalid clause(s) in filter string: '{bad.text}'", bad.start, text)


def _matching_paren(tokens: list[_Tok], k: int, text: str) -> int:
    depth = 0
    for idx in range(k, len(tokens)):
        if tokens[idx].kind == "lp":
            depth += 1
        elif tokens[idx].kind == "rp":
            depth -= 1
            if depth == 0:
                return idx
    raise _error("Invalid clause(s) in filter string: '(' is never closed", tokens[k].start, text)


def _scalar_value(kind: str, key: str, tok: _Tok, text: str) -> str | int | float | tuple:
    is_string = tok.kind in ("sq", "dq")
    is_number = tok.kind in ("int", "float")
    shown = tok.text
    if kind == METRIC:
        if not is_number:
            raise _error(f"Expected numeric value type for metric. Found {shown}", tok.start, text)
        return float(tok.text)
    if kind in (PARAM, TAG):
        if is_string or tok.kind in ("word", "bt"):
            return _quoted_value(tok, text)
        raise _error(
            f"Expected a quoted string value for {kind} (e.g. 'my-value'). Got value {shown}",
            tok.start,
            text,
        )
    if kind == ATTRIBUTE:
        if key in NUMERIC_ATTRIBUTES:
            if not is_number:
                raise _error(
                    f"Expected numeric value type for numeric attribute: {key}. Found {shown}",
                    tok.start,
                    text,
                )
            return int(tok.text) if tok.kind == "int" else float(tok.text)
        if is_string or tok.kind in ("word", "bt"):
            return _quoted_value(tok, text)
        if tok.kind == "paren":
            _check_list_supported(key, tok.start, text)
            return _parse_list(tok.text, tok.start, text)
        raise _error(
            f"Expected a quoted string value for attributes. Got value {shown}", tok.start, text
        )
    # dataset
    if is_string or tok.kind in ("word", "bt"):
        return _quoted_value(tok, text)
    if tok.kind == "paren":
        return _parse_list(tok.text, tok.start, text)
    raise _error(
        f"Expected a quoted string value for dataset attributes. Got value {shown}",
        tok.start,
        text,
    )


def _quoted_value(tok: _Tok, text: str) -> str:
    if tok.kind in ("sq", "dq"):
        return tok.text[1:-1]
    raise _error(
        "Parameter value is either not quoted or unidentified quote types used for string "
        f"value {tok.text}. Use either single or double quotes.",
        tok.start,
        text,
    )


def _check_list_supported(key: str, pos: int, text: str) -> None:
    if key not in LIST_ATTRIBUTES:
        raise _error(
            f"Only {sorted(LIST_ATTRIBUTES)} attributes support comparison with a list of "
            "quoted string values.",
            pos,
            text,
        )


def _list_value(kind: str, key: str, raw: str, pos: int, text: str) -> tuple[str, ...]:
    if kind == ATTRIBUTE and key not in NUMERIC_ATTRIBUTES:
        _check_list_supported(key, pos, text)
        return _parse_list(raw, pos, text)
    if kind == DATASET:
        return _parse_list(raw, pos, text)
    # MLflow reaches its value check with the parenthesis as the value.
    return _scalar_value(kind, key, _Tok("paren", raw, pos), text)  # type: ignore[return-value]


def _parse_list(raw: str, pos: int, text: str) -> tuple[str, ...]:
    # MLflow evaluates the parenthesis as a Python literal; so do we (it only
    # ever builds constants, never runs code).
    try:
        parsed = ast.literal_eval(raw)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise _error(
            "While parsing a list in the query, expected a non-empty list of string values, "
            "but got ill-formed list.",
            pos,
            text,
        ) from None
    items = parsed if isinstance(parsed, tuple) else (parsed,)
    if len(items) == 0:
        raise _error(
            "While parsing a list in the query, expected a non-empty list of string values, "
            "but got empty list",
            pos,
            text,
        )
    if not all(isinstance(x, str) for x in items):
        raise _error(
            "While parsing a list in the query, expected string value, punctuation, or "
            f"whitespace, but got different type in list: {items}",
            pos,
            text,
        )
    return tuple(items)


def _check_comparator(clause: Clause, text: str, pos: int | None = None) -> None:
    pos = clause.start if pos is None else pos
    kind, key, comparator = clause.kind, clause.key, clause.comparator
    if kind == METRIC:
        allowed = METRIC_COMPARATORS
    elif kind in (PARAM, TAG):
        allowed = PARAM_COMPARATORS
    elif kind == ATTRIBUTE and key in NUMERIC_ATTRIBUTES:
        allowed = NUMERIC_ATTRIBUTE_COMPARATORS
    elif kind == ATTRIBUTE:
        allowed = STRING_ATTRIBUTE_COMPARATORS
    else:
        allowed = DATASET_COMPARATORS
    if comparator not in allowed:
        raise _error(
            f"Invalid comparator '{comparator}' not one of {sorted(allowed)} for {kind} '{key}'",
            pos,
            text,
        )
    if comparator in ("IN", "NOT IN") and not isinstance(clause.value, tuple):
        raise _error(
            f"Comparator '{comparator}' needs a list of quoted strings, e.g. ('a', 'b')",
            pos,
            text,
        )
    if isinstance(clause.value, tuple) and comparator not in ("IN", "NOT IN"):
        raise _error(f"A list of values needs IN or NOT IN, not '{comparator}'", pos, text)


# ---------------------------------------------------------------------------
# order_by


def parse_order_by(clauses: Sequence[str] | str | None) -> list[OrderKey]:
    """Parse MLflow ``order_by`` clauses (``"metrics.loss DESC"``...)."""
    if not clauses:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    keys: list[OrderKey] = []
    seen: set[tuple[str, str]] = set()
    for clause in clauses:
        key = _parse_one_order_by(clause)
        if key.kind == DATASET:
            raise _error(f"Invalid identifier type '{key.kind}'", 0, clause)
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
    # At most one more word, `backticked` or "quoted" token may follow: sqlparse
    # groups it with the identifier (as an alias or ASC/DESC).
    if len(rest) > 1 or (rest and rest[0].kind not in ("word", "bt", "dq")):
        raise unparsable(rest[1].start if len(rest) > 1 else rest[0].start)
    # Then MLflow turns backticks into double quotes and shell-splits the text.
    # Only with two parts is the unquoted identifier used: "metrics.`a b` DESC"
    # sorts by "a b", and so does "metrics.`a b`" (backticks trimmed), but
    # "metrics.x.`a b`" keeps its backticks in the key.
    try:
        parts = shlex.split(clause.replace("`", '"'))
    except ValueError:
        raise unparsable(0) from None
    identifier, ascending = clause, True
    if len(parts) > 2:
        raise unparsable(rest[0].start if rest else 0)
    if len(parts) == 2:
        if parts[1].lower() not in ("asc", "desc"):
            raise _error(
                f"Invalid ordering key in order_by clause '{clause}'.",
                rest[0].start if rest else 0,
                clause,
            )
        identifier, ascending = parts[0], parts[1].lower() == "asc"
    kind, key = _split_identifier(identifier.strip(), ORDER_BY_ATTRIBUTES, 0, clause)
    return OrderKey(kind, _KEY_ALIASES.get(key, key), ascending)


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


# ---------------------------------------------------------------------------
# evaluation in Python (file store, tests): MLflow's SearchUtils.filter / sort


def _like_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    regex = re.escape(pattern).replace("%", ".*").replace("_", ".")
    if not pattern.startswith("%"):
        regex = "^" + regex
    if not pattern.endswith("%"):
        regex = regex + "$"
    return re.compile(regex, flags | re.DOTALL)


def compare(comparator: str, lhs, rhs) -> bool:
    if comparator == "=":
        return lhs == rhs
    if comparator == "!=":
        return lhs != rhs
    if comparator == ">":
        return lhs > rhs
    if comparator == ">=":
        return lhs >= rhs
    if comparator == "<":
        return lhs < rhs
    if comparator == "<=":
        return lhs <= rhs
    if comparator == "LIKE":
        return _like_regex(rhs).match(lhs) is not None
    if comparator == "ILIKE":
        return _like_regex(rhs, re.IGNORECASE).match(lhs) is not None
    if comparator == "IN":
        return lhs in rhs
    if comparator == "NOT IN":
        return lhs not in rhs
    raise ValueError(comparator)


def _attribute(run: Run, key: str):
    if key == "run_id":
        return run.run_id
    if key == "run_name":
        return run.run_name
    return getattr(run, key)


def run_matches(run: Run, clauses: Sequence[Clause], inputs: Sequence[DatasetInput] = ()) -> bool:
    """True if ``run`` satisfies every clause (MLflow's ``_does_run_match_clause``)."""
    return all(_clause_matches(run, c, inputs) for c in clauses)


def _clause_matches(run: Run, clause: Clause, inputs: Sequence[DatasetInput]) -> bool:
    kind, key, comparator, value = clause.kind, clause.key, clause.comparator, clause.value
    if kind == DATASET:
        for dataset in inputs:
            lhs = (
                dataset.tags.get(DATASET_CONTEXT_TAG) if key == "context" else getattr(dataset, key)
            )
            if key == "context" and DATASET_CONTEXT_TAG not in dataset.tags:
                continue
            if lhs is not None and compare(comparator, lhs, value):
                return True
        return False
    if kind == METRIC:
        lhs = run.metric_value(key)
    elif kind == PARAM:
        lhs = run.params.get(key)
    elif kind == TAG:
        lhs = run.tags.get(key)
    else:
        lhs = _attribute(run, key)
    if comparator == "IS NULL":
        return lhs is None
    if comparator == "IS NOT NULL":
        return lhs is not None
    if lhs is None:
        return False
    return compare(comparator, lhs, value)


def _sort_value(run: Run, key: OrderKey):
    if key.kind == METRIC:
        return run.metric_value(key.key)
    if key.kind == PARAM:
        return run.params.get(key.key)
    if key.kind == TAG:
        return run.tags.get(key.key)
    return _attribute(run, key.key)


def sort_runs(runs: Iterable[Run], order: Sequence[OrderKey]) -> list[Run]:
    """Sort as MLflow's SQL store does: ``NaN`` after values, missing last, then
    start time descending and run id as the tie-breakers."""
    result = sorted(runs, key=lambda r: r.run_id)
    if not any(k.kind == ATTRIBUTE and k.key == "start_time" for k in order):
        result.sort(key=lambda r: -(r.start_time or 0))
    for key in reversed(order):
        result = _sort_stable(result, key)
    return result


def _sort_stable(runs: list[Run], key: OrderKey) -> list[Run]:
    present, nans, missing = [], [], []
    for run in runs:
        value = _sort_value(run, key)
        if value is None:
            missing.append(run)
        elif isinstance(value, float) and math.isnan(value):
            nans.append(run)
        else:
            present.append((value, run))
    present.sort(key=lambda pair: pair[0], reverse=not key.ascending)
    return [run for _, run in present] + nans + missing


Filter = list[Clause]
RunPredicate = Callable[[Run], bool]
