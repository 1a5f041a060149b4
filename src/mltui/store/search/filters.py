"""``parse_filter``: a filter string -> clauses, with MLflow's accept/reject rules
and wording, and the position of a mistake."""

from __future__ import annotations

import ast
import re

from ..errors import InvalidSearch
from .terms import (
    _KEY_ALIASES,
    _RESERVED_AFTER_DOT,
    ATTRIBUTE,
    DATASET,
    DATASET_COMPARATORS,
    LIST_ATTRIBUTES,
    METRIC,
    METRIC_COMPARATORS,
    NUMERIC_ATTRIBUTE_COMPARATORS,
    NUMERIC_ATTRIBUTES,
    PARAM,
    PARAM_COMPARATORS,
    SEARCH_ATTRIBUTES,
    STRING_ATTRIBUTE_COMPARATORS,
    TAG,
    Clause,
)
from .tokens import (
    _error,
    _Ident,
    _is_key_part,
    _read_identifier,
    _split_identifier,
    _Tok,
    _tokenize,
)


def parse_filter(text: str | None) -> list[Clause]:
    """Parse an MLflow run filter string; raise :class:`InvalidSearch` where MLflow would."""
    if not text:
        return []
    tokens = _statement_tokens(text)
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


def _statement_tokens(text: str) -> list[_Tok]:
    """The tokens of a filter that is not empty, refusing a blank one and more than
    one statement as MLflow does for run and trace filters alike."""
    if not text.strip():
        raise _error(f"Invalid filter '{text}'. Could not be parsed.", 0, text)
    tokens = _tokenize(text)
    _reject_statement_separators(tokens, text)
    return tokens


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
        items = _list_value(kind, key, raw, tokens[k].start, text)
        clause = Clause(
            kind, _KEY_ALIASES.get(key, key), comparator, items, ident.start, tokens[close].end
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
