"""``parse_trace_filter``: an MLflow trace filter string -> :class:`TraceClause` s.

MLflow parses trace filters with the run grammar's sqlparse machinery and
``SearchTraceUtils`` rules, then its stores check each clause's comparator. This
module takes the run grammar's tokenizer and identifier reader (:mod:`.tokens`)
and applies the trace rules, rejecting in one place what MLflow rejects in either
(an ``IS NULL`` on an attribute fails in MLflow's store; here, at once), with
MLflow's wording where it has one and the position of the problem.

The rules, in MLflow's order: a key without a dot is an attribute; values are
checked against the entity *as typed* (``name IN ('a')`` is fine because ``name``
is a list attribute); then keys are mapped (``name`` -> tag ``mlflow.traceName``,
``run_id`` -> metadata ``mlflow.sourceRun``, ``prompt`` -> tag
``mlflow.linkedPrompts``, ``text`` -> the spans' content, ``timestamp`` ->
``timestamp_ms``; case-insensitively and for every entity, as MLflow does, so
``tags.Name`` is the trace name too); then comparators are checked against the
mapped entity.

Differences, on purpose: a bare ``text`` (an SQL keyword to sqlparse, so MLflow
rejects it with a puzzling message) is refused with a hint to write
``attributes.text``; a quoted value for a numeric attribute (``timestamp_ms =
'5'``, which MLflow passes to the database as text) is refused.
"""

from __future__ import annotations

from .filters import (
    _invalid_clause,
    _matching_paren,
    _parse_list,
    _quoted_value,
    _statement_tokens,
)
from .tokens import _error, _read_identifier, _strip_quotes, _Tok, _trim_backticks
from .trace_terms import (
    ASSESSMENT_COMPARATORS,
    ASSESSMENT_KINDS,
    ENTITIES,
    ISSUE_COMPARATORS,
    ISSUE_KEYS,
    KEY_TO_ATTRIBUTE,
    KEY_TO_METADATA,
    KEY_TO_SPAN,
    KEY_TO_TAG,
    LIST_ATTRIBUTES,
    METADATA_COMPARATORS,
    NUMERIC_ASSESSMENT_COMPARATORS,
    NUMERIC_ATTRIBUTE_COMPARATORS,
    NUMERIC_ATTRIBUTES,
    SEARCH_ATTRIBUTES,
    SPAN_COLUMNS,
    SPAN_COMPARATORS,
    SPAN_CONTENT_COMPARATORS,
    STRING_ATTRIBUTE_COMPARATORS,
    T_ATTRIBUTE,
    T_ISSUE,
    T_METADATA,
    T_SPAN,
    T_TAG,
    TAG_COMPARATORS,
    TraceClause,
)


def parse_trace_filter(text: str | None) -> list[TraceClause]:
    """Parse an MLflow trace filter; raise :class:`InvalidSearch` where MLflow would."""
    if not text:
        return []
    tokens = _statement_tokens(text)
    clauses: list[TraceClause] = []
    i = 0
    while i < len(tokens):
        if tokens[i].is_word("AND"):
            i += 1
            continue
        clause, i = _parse_clause(tokens, i, text)
        clauses.append(clause)
    return clauses


def _parse_clause(tokens: list[_Tok], i: int, text: str) -> tuple[TraceClause, int]:
    ident, j = _read_identifier(tokens, i)
    if ident is None:
        raise _invalid_clause(tokens, i, text)
    if ident.text.lower() == "text":
        raise _error("'text' alone is an SQL keyword to MLflow; write attributes.text",
                     ident.start, text)
    kind, key = _split(ident.text, ident.start, text)
    if j >= len(tokens):
        raise _error(f"Invalid clause(s) in filter string: '{ident.text}' "
                     "(expected a comparison)", ident.start, text)
    tok = tokens[j]
    value: str | int | float | tuple[str, ...] | None
    if tok.is_word("IS"):
        nxt = tokens[j + 1] if j + 1 < len(tokens) else None
        if nxt is not None and nxt.is_word("NULL"):
            comparator = "IS NULL"
        elif nxt is not None and nxt.kind == "notnull":
            comparator = "IS NOT NULL"
        else:
            raise _invalid_clause(tokens, j, text)
        value, end, end_pos = None, j + 2, nxt.end
    elif tok.is_word("IN") or (tok.is_word("NOT") and j + 1 < len(tokens)
                               and tokens[j + 1].is_word("IN")):
        comparator = "IN" if tok.is_word("IN") else "NOT IN"
        k = j + 1 if comparator == "IN" else j + 2
        if k >= len(tokens) or tokens[k].kind != "lp":
            raise _invalid_clause(tokens, j, text)
        close = _matching_paren(tokens, k, text)
        raw = text[tokens[k].start : tokens[close].end]
        value = _value(kind, key, _Tok("paren", raw, tokens[k].start), comparator, text)
        end, end_pos = close + 1, tokens[close].end
    elif tok.kind in ("op", "likeop"):
        comparator = " ".join(tok.text.upper().split())
        if j + 1 >= len(tokens):
            raise _error(f"Invalid clause(s) in filter string: '{ident.text}', '{tok.text}' "
                         "(expected a value)", tok.start, text)
        vtok = tokens[j + 1]
        end = j + 2
        if vtok.kind == "lp":
            close = _matching_paren(tokens, j + 1, text)
            vtok = _Tok("paren", text[vtok.start : tokens[close].end], vtok.start)
            end = close + 1
        elif vtok.kind not in ("sq", "dq", "bt", "int", "float", "word") or (
            vtok.kind == "word" and vtok.text.upper() in ("AND", "OR", "NOT", "IN", "IS")
        ):
            raise _invalid_clause(tokens, j + 1, text)
        if _bare_timestamp(ident.text) and vtok.kind == "float":
            # sqlparse reads a bare timestamp as a function name: only integers follow
            raise _error(f"Invalid clause(s) in filter string: '{ident.text}', "
                         f"'{tok.text}', '{vtok.text}'", ident.start, text)
        value = _value(kind, key, vtok, comparator, text)
        end_pos = vtok.end
        if end < len(tokens) and not tokens[end].is_word("AND") \
                and _read_identifier(tokens, end)[0] is None:
            raise _invalid_clause(tokens, end, text)
    else:
        raise _invalid_clause(tokens, j, text)
    kind, key = _map_key(kind, key)
    clause = TraceClause(kind, key, comparator, value, ident.start, end_pos)
    _check_comparator(clause, tok.start, text)
    return clause, end


def _bare_timestamp(identifier: str) -> bool:
    return identifier.lower() in ("timestamp", "timestamp_ms")


def _split(identifier: str, pos: int, text: str) -> tuple[str, str]:
    """``entity.key`` -> (kind, key) with MLflow's checks (before the key mapping)."""
    kind, key = split_key(identifier, SEARCH_ATTRIBUTES, pos, text)
    if kind == T_SPAN:
        _check_span_key(key, pos, text)
    if kind in ASSESSMENT_KINDS and not key:
        raise _error("Assessment field name cannot be empty", pos, text)
    return kind, key


def split_key(identifier: str, attributes: frozenset[str], pos: int,
              text: str) -> tuple[str, str]:
    """``entity.key`` -> (kind, key) as MLflow splits a trace filter's or order_by's
    identifier: no dot is an attribute, which must be one of ``attributes``."""
    if "." in identifier:
        entity, key = identifier.split(".", 1)
    else:
        entity, key = T_ATTRIBUTE, identifier
    entity = _trim_backticks(entity)
    kind = ENTITIES.get(entity)
    if kind is None:
        raise _error(f"Invalid entity type '{entity}'. Valid values are "
                     f"{sorted(ENTITIES)}", pos, text)
    key = _trim_backticks(_strip_quotes(key))
    if kind == T_ATTRIBUTE and key not in attributes:
        raise _error(f"Invalid attribute key '{key}' specified. Valid keys are "
                     f"{sorted(attributes)}", pos, text)
    return kind, key


def _check_span_key(key: str, pos: int, text: str) -> None:
    if key.startswith("attributes."):
        if not key[len("attributes."):]:
            raise _error("Span attribute name cannot be empty after 'attributes.'", pos, text)
    elif key not in SPAN_COLUMNS and key != "content":
        raise _error(f"Invalid span attribute '{key}'. Supported attributes: name, status, "
                     "type, attributes.<attribute_name>.", pos, text)


def _value(kind: str, key: str, tok: _Tok, comparator: str,
           text: str) -> str | int | float | tuple[str, ...]:
    """The value of a comparison, checked as MLflow's ``_get_value`` checks it."""
    is_string = tok.kind in ("sq", "dq", "word", "bt")
    is_number = tok.kind in ("int", "float")
    if kind in ASSESSMENT_KINDS:
        numeric = comparator in NUMERIC_ASSESSMENT_COMPARATORS
        if numeric and not is_number:
            raise _error(f"Expected a numeric value for {kind} when using comparator "
                         f"'{comparator}'. Got value {tok.text}", tok.start, text)
        if not numeric and not is_string:
            raise _error(f"Expected a quoted string value for {kind} (e.g. 'my-value'). "
                         f"Got value {tok.text}", tok.start, text)
        return _number(tok) if is_number else _quoted_value(tok, text)
    if kind == T_ATTRIBUTE:
        if is_string:
            if key in NUMERIC_ATTRIBUTES:
                raise _error(f"'{key}' is a number: write it without quotes", tok.start, text)
            return _quoted_value(tok, text)
        if tok.kind == "paren":
            if key not in LIST_ATTRIBUTES:
                raise _error(f"Only attributes in {sorted(LIST_ATTRIBUTES)} supports comparison "
                             "with a list of quoted string values.", tok.start, text)
            return _parse_list(tok.text, tok.start, text)
        if is_number:
            if key not in NUMERIC_ATTRIBUTES:
                raise _error(f"Only the {sorted(NUMERIC_ATTRIBUTES)} attributes support "
                             "comparison with numeric values.", tok.start, text)
            return _number(tok)
    if kind in (T_TAG, T_SPAN) and tok.kind == "paren":
        return _parse_list(tok.text, tok.start, text)
    if is_string:
        return _quoted_value(tok, text)
    raise _error(f"Expected a quoted string value for {kind} (e.g. 'my-value'). "
                 f"Got value {tok.text}", tok.start, text)


def _number(tok: _Tok) -> int | float:
    return int(tok.text) if tok.kind == "int" else float(tok.text)


def _map_key(kind: str, key: str) -> tuple[str, str]:
    """MLflow's ``_replace_key_to_tag_or_metadata`` (span keys keep their own names)."""
    if kind == T_SPAN:
        return kind, key
    lowered = key.lower()
    if lowered in KEY_TO_TAG:
        return T_TAG, KEY_TO_TAG[lowered]
    if lowered in KEY_TO_METADATA:
        return T_METADATA, KEY_TO_METADATA[lowered]
    if lowered in KEY_TO_SPAN:
        return T_SPAN, KEY_TO_SPAN[lowered]
    if lowered in KEY_TO_ATTRIBUTE:
        return kind, KEY_TO_ATTRIBUTE[lowered]
    return kind, key


def _check_comparator(clause: TraceClause, pos: int, text: str) -> None:
    kind, key, comparator = clause.kind, clause.key, clause.comparator
    if kind == T_ISSUE:
        if key not in ISSUE_KEYS:
            raise _error(f"Invalid issue attribute '{key}'. Supported attributes: id", pos, text)
        allowed = ISSUE_COMPARATORS
    elif kind == T_ATTRIBUTE:
        allowed = (NUMERIC_ATTRIBUTE_COMPARATORS if key in NUMERIC_ATTRIBUTES
                   else STRING_ATTRIBUTE_COMPARATORS)
    elif kind == T_TAG:
        allowed = TAG_COMPARATORS
    elif kind == T_METADATA:
        allowed = METADATA_COMPARATORS
    elif kind == T_SPAN:
        allowed = SPAN_CONTENT_COMPARATORS if key == "content" else SPAN_COMPARATORS
    else:
        allowed = ASSESSMENT_COMPARATORS
    if comparator not in allowed:
        raise _error(f"Invalid comparator '{comparator}' not one of {sorted(allowed)} "
                     f"for {kind} '{key}'", pos, text)
    if comparator in ("IN", "NOT IN") and not isinstance(clause.value, tuple):
        raise _error(f"Comparator '{comparator}' needs a list of quoted strings, "
                     "e.g. ('a', 'b')", pos, text)
    if isinstance(clause.value, tuple) and comparator not in ("IN", "NOT IN"):
        raise _error(f"A list of values needs IN or NOT IN, not '{comparator}'", pos, text)
    if kind == T_TAG and key == KEY_TO_TAG["prompt"]:
        value = clause.value
        if comparator != "=":
            raise _error(f"Invalid comparator '{comparator}' for prompts filter. Only '=' is "
                         "supported with format: prompt = \"name/version\"", pos, text)
        if not isinstance(value, str) or value.count("/") != 1:
            raise _error(f"Invalid prompts filter value '{value}'. Expected format: "
                         "prompt = \"name/version\"", pos, text)
