"""``parse_trace_order_by``: MLflow's trace ``order_by`` clauses -> :class:`TraceOrderKey` s.

As ``SearchTraceUtils.parse_order_by_for_search_traces``: one identifier, an
optional ``ASC``/``DESC``, backticks for keys with spaces; attributes from
``ORDER_BY_ATTRIBUTES`` (``timestamp_ms``, ``execution_time_ms``, ``status``,
``name``...); ``name`` sorts by the trace name tag and ``run_id`` by the metadata
``mlflow.sourceRun``. MLflow's default, and the tie-breakers after any order, are
``timestamp_ms DESC`` then ``request_id ASC`` (the backends add them).
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from ..errors import InvalidSearch
from .tokens import _error, _read_identifier, _strip_quotes, _tokenize, _trim_backticks
from .trace_filters import _map_key
from .trace_terms import (
    ANALYTICS_METADATA,
    ENTITIES,
    ORDER_BY_ATTRIBUTES,
    T_ATTRIBUTE,
    T_METADATA,
    T_TAG,
    TraceOrderKey,
)


def parse_trace_order_by(clauses: Sequence[str] | str | None) -> list[TraceOrderKey]:
    """Parse MLflow trace ``order_by`` clauses (``"timestamp_ms DESC"``...)."""
    if not clauses:
        return []
    if isinstance(clauses, str):
        clauses = [clauses]
    keys: list[TraceOrderKey] = []
    seen: set[tuple[str, str]] = set()
    for clause in clauses:
        key = _parse_one(clause)
        if (key.kind, key.key) in seen:
            raise _error(f"`order_by` contains duplicate fields: {list(clauses)}", 0, clause)
        seen.add((key.kind, key.key))
        keys.append(key)
    return keys


def _parse_one(clause: str) -> TraceOrderKey:
    def unparsable(pos: int) -> InvalidSearch:
        return _error(f"Invalid order_by clause '{clause}'. Could not be parsed.", pos, clause)

    if not clause or clause != clause.strip():
        raise unparsable(0)
    tokens = _tokenize(clause)
    ident, j = _read_identifier(tokens, 0) if tokens else (None, 0)
    if ident is None:
        raise unparsable(0)
    rest = tokens[j:]
    if len(rest) > 1 or (rest and rest[0].kind not in ("word", "bt", "dq")):
        raise unparsable(rest[1].start if len(rest) > 1 else rest[0].start)
    try:
        parts = shlex.split(clause.replace("`", '"'))
    except ValueError:
        raise unparsable(0) from None
    identifier, ascending = clause, True
    if len(parts) > 2:
        raise unparsable(rest[0].start if rest else 0)
    if len(parts) == 2:
        if parts[1].lower() not in ("asc", "desc"):
            raise _error(f"Invalid ordering key in order_by clause '{clause}'.",
                         rest[0].start if rest else 0, clause)
        identifier, ascending = parts[0], parts[1].lower() == "asc"
    identifier = identifier.strip()
    if "." in identifier:
        entity, key = identifier.split(".", 1)
    else:
        entity, key = T_ATTRIBUTE, identifier
    entity = _trim_backticks(entity)
    kind = ENTITIES.get(entity)
    if kind is None:
        raise _error(f"Invalid entity type '{entity}'. Valid values are {sorted(ENTITIES)}",
                     0, clause)
    key = _trim_backticks(_strip_quotes(key))
    if kind == T_ATTRIBUTE and key not in ORDER_BY_ATTRIBUTES:
        raise _error(f"Invalid attribute key '{key}' specified. Valid keys are "
                     f"{sorted(ORDER_BY_ATTRIBUTES)}", 0, clause)
    kind, key = _map_key(kind, key)
    if kind not in (T_ATTRIBUTE, T_TAG, T_METADATA):
        raise _error(f"Invalid identifier type '{kind}'", 0, clause)
    if kind == T_METADATA and key in ANALYTICS_METADATA:
        raise _error(f"Ordering by reserved metadata '{key}' is not supported because it is "
                     "represented by multiple columns.", 0, clause)
    if kind == T_ATTRIBUTE and key == "end_time_ms":
        # MLflow's SQL store has no such column to sort by (it fails): say so plainly
        raise _error("Traces cannot be sorted by end_time; sort by timestamp_ms or "
                     "execution_time_ms", 0, clause)
    return TraceOrderKey(kind, key, ascending)
