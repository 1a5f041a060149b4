"""``parse_trace_order_by``: MLflow's trace ``order_by`` clauses -> :class:`TraceOrderKey` s.

As ``SearchTraceUtils.parse_order_by_for_search_traces``: one identifier, an
optional ``ASC``/``DESC``, backticks for keys with spaces; attributes from
``ORDER_BY_ATTRIBUTES`` (``timestamp_ms``, ``execution_time_ms``, ``status``,
``name``...); ``name`` sorts by the trace name tag and ``run_id`` by the metadata
``mlflow.sourceRun``. MLflow's default, and the tie-breakers after any order, are
``timestamp_ms DESC`` then ``request_id ASC`` (the backends add them).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InvalidSearch
from .order import parse_clauses, split_direction
from .tokens import _error, _read_identifier, _tokenize
from .trace_filters import _map_key, split_key
from .trace_terms import (
    ANALYTICS_METADATA,
    ORDER_BY_ATTRIBUTES,
    T_ATTRIBUTE,
    T_METADATA,
    T_TAG,
    TraceOrderKey,
)


def parse_trace_order_by(clauses: Sequence[str] | str | None) -> list[TraceOrderKey]:
    """Parse MLflow trace ``order_by`` clauses (``"timestamp_ms DESC"``...)."""
    return parse_clauses(clauses, _parse_one)


def _parse_one(clause: str) -> TraceOrderKey:
    def unparsable(pos: int) -> InvalidSearch:
        return _error(f"Invalid order_by clause '{clause}'. Could not be parsed.", pos, clause)

    if not clause or clause != clause.strip():
        raise unparsable(0)
    tokens = _tokenize(clause)
    ident, j = _read_identifier(tokens, 0) if tokens else (None, 0)
    if ident is None:
        raise unparsable(0)
    identifier, ascending = split_direction(clause, tokens[j:], unparsable)
    kind, key = _map_key(*split_key(identifier.strip(), ORDER_BY_ATTRIBUTES, 0, clause))
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
