"""The trace search evaluated in Python over :class:`TraceInfo` s (the file store),
as MLflow's ``SearchTraceUtils.filter`` and ``sort`` do, with the SQL store's
answers where MLflow's in-memory ones fail:

- ``end_time_ms`` is ``timestamp_ms + execution_time_ms`` (MLflow's file store has
  no such attribute and fails); ``RLIKE`` is a regular expression search (it fails
  there too); a missing value never matches a comparison;
- sorting puts missing values last in either direction and breaks ties by
  ``timestamp_ms`` descending, then ``request_id``; tags and metadata may be
  sorted by (MLflow's file store refuses).

Filters on spans and assessments need a database, in MLflow as here:
:func:`check_in_memory` says so before anything is read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import InvalidSearch
from ..trace_entities import TraceInfo
from .evaluate import compare
from .trace_terms import (
    ASSESSMENT_KINDS,
    T_ATTRIBUTE,
    T_ISSUE,
    T_METADATA,
    T_SPAN,
    T_TAG,
    TraceClause,
    TraceOrderKey,
)


def check_in_memory(clauses: Sequence[TraceClause], where: str = "an mlruns folder") -> None:
    """InvalidSearch for the clauses only a database can answer."""
    for clause in clauses:
        if clause.kind == T_SPAN:
            raise InvalidSearch(f"Span filters need a database: traces in {where} cannot be "
                                "searched by their spans (as in MLflow)", clause.start)
        if clause.kind in (*ASSESSMENT_KINDS, T_ISSUE):
            raise InvalidSearch(f"Assessment filters need a database: traces in {where} "
                                "cannot be searched by assessments (as in MLflow)",
                                clause.start)


def attribute(info: TraceInfo, key: str) -> Any:
    """The value of a trace attribute as the grammar names it."""
    if key == "timestamp_ms":
        return info.request_time
    if key == "execution_time_ms":
        return info.execution_duration
    if key == "end_time_ms":
        return info.end_time
    if key == "request_id":
        return info.trace_id
    if key == "status":
        return info.state
    if key == "client_request_id":
        return info.client_request_id
    if key == "experiment_id":
        return info.experiment_id
    raise InvalidSearch(f"Invalid search key '{key}'")


def trace_matches(info: TraceInfo, clauses: Sequence[TraceClause]) -> bool:
    """True if ``info`` satisfies every clause."""
    return all(_matches(info, c) for c in clauses)


def _matches(info: TraceInfo, clause: TraceClause) -> bool:
    kind, key, comparator, value = clause.kind, clause.key, clause.comparator, clause.value
    if kind in (T_TAG, T_METADATA):
        values = info.tags if kind == T_TAG else info.trace_metadata
        if comparator == "IS NULL":
            return key not in values
        if comparator == "IS NOT NULL":
            return key in values
        lhs = values.get(key)
    elif kind == T_ATTRIBUTE:
        lhs = attribute(info, key)
    else:
        check_in_memory([clause])
        return False
    if lhs is None:
        return False
    if comparator == "RLIKE":
        try:
            return re.search(str(value), str(lhs)) is not None
        except re.error:
            return False
    return compare(comparator, lhs, value)


def sort_traces(traces: Iterable[TraceInfo], order: Sequence[TraceOrderKey]) -> list[TraceInfo]:
    """In ``order``, then newest first, then by id (MLflow's tie-breakers)."""
    keys = list(order)
    if not any(k.kind == T_ATTRIBUTE and k.key == "timestamp_ms" for k in keys):
        keys.append(TraceOrderKey(T_ATTRIBUTE, "timestamp_ms", False))
    if not any(k.kind == T_ATTRIBUTE and k.key == "request_id" for k in keys):
        keys.append(TraceOrderKey(T_ATTRIBUTE, "request_id", True))
    result = list(traces)
    for key in reversed(keys):  # stable sorts, the last key first
        present = [(v, t) for t in result if (v := _sort_value(t, key)) is not None]
        missing = [t for t in result if _sort_value(t, key) is None]
        present.sort(key=lambda pair: pair[0], reverse=not key.ascending)
        result = [t for _, t in present] + missing
    return result


def _sort_value(info: TraceInfo, key: TraceOrderKey) -> Any:
    if key.kind == T_TAG:
        return info.tags.get(key.key)
    if key.kind == T_METADATA:
        return info.trace_metadata.get(key.key)
    return attribute(info, key.key)
