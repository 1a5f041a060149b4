"""Compile the trace search AST to SQLAlchemy Core over MLflow's trace tables.

Mirrors ``_get_filter_clauses_for_search_traces`` and
``_get_orderby_clauses_for_search_traces`` of MLflow's SQL store (3.17), so the
same traces come back in the same order:

- attributes are columns of ``trace_info`` (``end_time_ms`` is ``timestamp_ms +
  COALESCE(execution_time_ms, 0)``);
- the trace name, the session and the token and cost metadata are columns of
  ``trace_info`` on MLflow >= 3.17 schemas, rows of ``trace_tags`` /
  ``trace_request_metadata`` on older ones: each is read where this schema has it;
- ``run_id = 'x'`` also finds traces linked to the run in ``entity_associations``;
- span clauses are one ``EXISTS`` over ``spans``: a single span must match them all;
- feedback and expectation clauses look at valid assessments, and a session-level
  assessment counts for every trace of its session.

Tags and metadata are ``EXISTS`` subqueries (each key is unique per trace, so they
select what MLflow's joins select). Values are always bound parameters.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from ..errors import InvalidSearch
from ..search.trace_terms import (
    ANALYTICS_METADATA,
    ASSESSMENT_KINDS,
    NUMERIC_ASSESSMENT_COMPARATORS,
    T_ATTRIBUTE,
    T_ISSUE,
    T_METADATA,
    T_SPAN,
    T_TAG,
    TraceClause,
    TraceOrderKey,
)
from ..trace_entities import LINKED_PROMPTS_TAG, SESSION_KEY, SOURCE_RUN_KEY, TRACE_NAME_TAG
from .schema import Schema
from .search import comparison

SPAN_TIME_TOLERANCE_MS = 10_000
"""MLflow skips spans that started this long before a ``timestamp_ms >`` bound."""


def compare(column: ColumnElement, comparator: str, value: Any, dialect: str) -> ColumnElement:
    """``column <comparator> value`` as MLflow compares on each dialect (RLIKE too)."""
    if comparator == "RLIKE":
        if dialect == "sqlite":
            return column.op("REGEXP")(value)  # regexp() is registered per connection
        if dialect == "postgresql":
            return column.op("~")(value)
        if dialect == "mysql":
            return sa.func.binary(column).op("REGEXP")(sa.func.binary(sa.literal(value)))
        raise InvalidSearch(f"RLIKE is not supported on {dialect}")
    return comparison(column, comparator, value, dialect)


def _unindexed(column: ColumnElement, dialect: str) -> ColumnElement:
    """On sqlite, ``+column``: the same value, but no index on it is chosen. A span
    clause is a correlated lookup per trace; given ``spans.type = 'TOOL'`` sqlite
    would walk its (experiment_id, type, status) index, every TOOL span of the
    experiment for each trace (10 s for 100,000 traces, in MLflow too), instead of
    the few spans of that trace through the primary key (milliseconds)."""
    if dialect != "sqlite":
        return column
    return UnaryExpression(column, operator=operators.custom_op("+"))


class TraceFilter:
    """WHERE conditions on ``trace_info`` for parsed clauses, in ``experiment_ids``."""

    def __init__(self, schema: Schema, experiment_ids: Sequence[int]):
        self.schema = schema
        self.dialect = schema.dialect
        self.ti = schema["trace_info"]
        self.experiment_ids = list(experiment_ids)

    def has(self, column: str) -> bool:
        return column in self.ti.c

    def conditions(self, clauses: Sequence[TraceClause]) -> list[ColumnElement]:
        out: list[ColumnElement] = []
        spans: list[ColumnElement] = []
        lower_bound: int | None = None
        for clause in clauses:
            kind = clause.kind
            if kind == T_ATTRIBUTE:
                if clause.key == "timestamp_ms" and clause.comparator in (">", ">="):
                    bound = int(clause.value)  # type: ignore[arg-type]
                    lower_bound = bound if lower_bound is None else max(lower_bound, bound)
                out.append(self._attribute(clause))
            elif kind == T_TAG:
                out.append(self._tag(clause))
            elif kind == T_METADATA:
                out.append(self._metadata(clause))
            elif kind == T_SPAN:
                spans.append(self._span(clause))
            elif kind in ASSESSMENT_KINDS:
                out.append(self._assessment(clause))
            elif kind == T_ISSUE:
                out.append(self._issue(clause))
            else:  # pragma: no cover - the parser knows no other kinds
                raise InvalidSearch(f"Invalid search expression type '{kind}'")
        if spans:
            table = self.table("spans", "span filters")
            scope = [table.c.trace_id == self.ti.c.request_id,
                     _unindexed(table.c.experiment_id, self.dialect)
                     == self.ti.c.experiment_id]
            if lower_bound is not None:
                since_ns = (lower_bound - SPAN_TIME_TOLERANCE_MS) * 1_000_000
                scope.append(_unindexed(table.c.start_time_unix_nano, self.dialect) >= since_ns)
            out.append(sa.exists().where(*scope, *spans))
        return out

    def table(self, name: str, what: str) -> sa.Table:
        table = self.schema.table(name)
        if table is None:
            raise InvalidSearch(f"This MLflow database has no {name} table: {what} need a "
                                "newer MLflow schema")
        return table

    # -- each kind -----------------------------------------------------------------------
    def _attribute(self, clause: TraceClause) -> ColumnElement:
        ti = self.ti
        if clause.key == "end_time_ms":
            column: ColumnElement = ti.c.timestamp_ms + sa.func.coalesce(ti.c.execution_time_ms, 0)
        else:
            column = ti.c[clause.key]
        return compare(column, clause.comparator, clause.value, self.dialect)

    def _column(self, column: ColumnElement, clause: TraceClause) -> ColumnElement:
        if clause.comparator == "IS NULL":
            return column.is_(None)
        if clause.comparator == "IS NOT NULL":
            return column.is_not(None)
        return compare(column, clause.comparator, clause.value, self.dialect)

    def _key_value(self, table_name: str, clause: TraceClause) -> ColumnElement:
        """A tag or metadata clause over its key/value table."""
        table = self.schema[table_name]
        base = [table.c.request_id == self.ti.c.request_id, table.c.key == clause.key]
        if clause.comparator == "IS NULL":
            return ~sa.exists().where(*base)
        if clause.comparator == "IS NOT NULL":
            return sa.exists().where(*base)
        if self.dialect == "mysql":
            base[1] = compare(table.c.key, "=", clause.key, self.dialect)
        return sa.exists().where(
            *base, compare(table.c.value, clause.comparator, clause.value, self.dialect))

    def _tag(self, clause: TraceClause) -> ColumnElement:
        if clause.key == TRACE_NAME_TAG and self.has("trace_name"):
            return self._column(self.ti.c.trace_name, clause)
        if clause.key == LINKED_PROMPTS_TAG:
            return self._linked(clause.value, "prompt_version")
        return self._key_value("trace_tags", clause)

    def _linked(self, target: Any, target_type: str) -> ColumnElement:
        links = self.schema.table("entity_associations")
        if links is None:
            return sa.false()
        return sa.exists().where(
            links.c.source_id == self.ti.c.request_id,
            links.c.source_type == "trace",
            links.c.destination_type == target_type,
            links.c.destination_id == target,
        )

    def _metadata(self, clause: TraceClause) -> ColumnElement:
        key = clause.key
        if key == SESSION_KEY and self.has("session_id"):
            return self._column(self.ti.c.session_id, clause)
        if key in ANALYTICS_METADATA and all(self.has(c) for c in ANALYTICS_METADATA[key].values()):
            return self._analytics(clause)
        if key == SOURCE_RUN_KEY and clause.comparator == "=":
            return sa.or_(self._linked(clause.value, "run"),
                          self._key_value("trace_request_metadata", clause))
        return self._key_value("trace_request_metadata", clause)

    def _analytics(self, clause: TraceClause) -> ColumnElement:
        """Token usage or cost, kept in columns (``get_trace_analytics_metadata_filter``):
        IS [NOT] NULL, or = / != against the exact JSON MLflow would show."""
        columns = {item: self.ti.c[col] for item, col in ANALYTICS_METADATA[clause.key].items()}
        exists = sa.or_(*(c.is_not(None) for c in columns.values()))
        if clause.comparator == "IS NULL":
            return ~exists
        if clause.comparator == "IS NOT NULL":
            return exists
        if clause.comparator not in ("=", "!="):
            raise InvalidSearch(
                f"Comparator '{clause.comparator}' is not supported for reserved metadata "
                f"'{clause.key}'. Only '=', '!=', 'IS NULL', and 'IS NOT NULL' are supported.")
        normal = _analytics_values(clause.key, clause.value)
        if normal and clause.value == json.dumps(normal):
            matches: ColumnElement = sa.and_(*(
                sa.and_(c.is_not(None), c == normal[item]) if item in normal else c.is_(None)
                for item, c in columns.items()))
        else:
            matches = sa.false()
        return matches if clause.comparator == "=" else sa.and_(exists, ~matches)

    def _span(self, clause: TraceClause) -> ColumnElement:
        spans = self.table("spans", "span filters")
        key, comparator, value = clause.key, clause.comparator, clause.value
        if key.startswith("attributes."):
            name = key[len("attributes."):]
            if len(name) >= 2 and name[0] == name[-1] == "`":
                name = name[1:-1]
            if comparator == "RLIKE":
                text = str(value)
                prefix, suffix = '"\\\\".*', ""
                if text.startswith("^"):
                    text, prefix = text[1:], '"\\\\"'
                if text.endswith("$"):
                    text, suffix = text[:-1], '\\\\"'
                pattern: Any = f'"{name}": {prefix}{text}{suffix}'
            else:
                pattern = f'%"{name}"{value}%'
            return compare(_unindexed(spans.c.content, self.dialect), comparator, pattern,
                           self.dialect)
        return compare(_unindexed(spans.c[key], self.dialect), comparator, value, self.dialect)

    def _assessment(self, clause: TraceClause) -> ColumnElement:
        table = self.table("assessments", "assessment filters")
        ti = self.ti
        base: list[ColumnElement] = [
            table.c.assessment_type == clause.kind,
            table.c.name == clause.key,
        ]
        if "valid" in table.c:
            base.append(table.c.valid == sa.true())
        comparator, value = clause.comparator, clause.value
        if comparator == "IS NULL":
            direct = ~sa.exists().where(table.c.trace_id == ti.c.request_id, *base)
            covered = self._session_covered(table, base)
            return direct if covered is None else sa.and_(direct, ti.c.request_id.not_in(covered))
        if comparator in NUMERIC_ASSESSMENT_COMPARATORS:
            if "aggregate_value" in table.c and "is_numeric_value" in table.c:
                test = sa.and_(table.c.is_numeric_value == sa.true(),
                               compare(table.c.aggregate_value, comparator, value, self.dialect))
            else:
                test = compare(_json_number(table.c.value, self.dialect), comparator,
                               float(value), self.dialect)  # type: ignore[arg-type]
            base.append(test)
        elif comparator in ("=", "!="):
            same = sa.or_(compare(table.c.value, "=", value, self.dialect),
                          compare(table.c.value, "=", json.dumps(value), self.dialect))
            base.append(same if comparator == "=" else sa.not_(same))
        elif comparator != "IS NOT NULL":
            base.append(compare(table.c.value, comparator, value, self.dialect))
        direct_ids = sa.select(table.c.trace_id).where(*base)
        covered = self._session_covered(table, base)
        found = direct_ids if covered is None else sa.union(direct_ids, covered)
        return ti.c.request_id.in_(found)

    def _session_covered(self, table: sa.Table, base: list[ColumnElement]) -> sa.Select | None:
        """Ids of traces whose session has a matching session-level assessment."""
        if not self.has("session_id") or "assessment_metadata" not in table.c:
            return None
        scoped = self.ti.alias("session_trace")
        sessions = (
            sa.select(scoped.c.session_id)
            .select_from(scoped.join(table, table.c.trace_id == scoped.c.request_id))
            .where(scoped.c.experiment_id.in_(self.experiment_ids),
                   scoped.c.session_id.is_not(None), *base,
                   table.c.assessment_metadata.is_not(None),
                   table.c.assessment_metadata.contains(f'"{SESSION_KEY}":'))
        )
        member = self.ti.alias("session_member")
        return sa.select(member.c.request_id).where(
            member.c.experiment_id.in_(self.experiment_ids), member.c.session_id.in_(sessions))

    def _issue(self, clause: TraceClause) -> ColumnElement:
        table = self.table("assessments", "issue filters")
        return self.ti.c.request_id.in_(
            sa.select(table.c.trace_id).where(table.c.assessment_type == "issue",
                                              table.c.name == clause.value))


def _json_number(column: ColumnElement, dialect: str) -> ColumnElement:
    """A JSON-encoded assessment value as a number, NULL when it is not one."""
    number = column + 0.0 if dialect == "mysql" else sa.cast(column, sa.Float)
    return sa.case(
        (sa.func.lower(column).in_(["true", "false", "null", "nan", "infinity", "-infinity"]),
         sa.null()),
        (sa.func.substr(column, 1, 1).in_(['"', "[", "{"]), sa.null()),
        else_=number,
    )


def _analytics_values(key: str, value: Any) -> dict[str, Any]:
    """The JSON ``value`` as MLflow normalises token usage (integers) or cost (finite
    floats); empty when it is not an object of known keys."""
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        return {}
    items = ANALYTICS_METADATA[key]
    if not isinstance(parsed, dict) or not set(parsed) <= set(items):
        return {}
    out: dict[str, Any] = {}
    for item in items:
        raw = parsed.get(item)
        if raw is None or isinstance(raw, bool):
            continue
        try:
            number = float(raw)
        except (TypeError, ValueError, OverflowError):
            continue
        if not math.isfinite(number):
            continue
        if key.endswith("tokenUsage"):
            if number != int(number):
                continue
            out[item] = int(number)
        else:
            out[item] = number
    return out


def order_clauses(
    schema: Schema, keys: Sequence[TraceOrderKey]
) -> tuple[list[ColumnElement], list[tuple[sa.Subquery, ColumnElement]]]:
    """ORDER BY expressions (missing values last) and the outer joins they need; then
    MLflow's tie-breakers: ``timestamp_ms DESC``, ``request_id``."""
    ti = schema["trace_info"]
    clauses: list[ColumnElement] = []
    joins: list[tuple[sa.Subquery, ColumnElement]] = []
    for n, key in enumerate(keys):
        nullable = True
        if key.kind == T_ATTRIBUTE:
            value: ColumnElement = ti.c[key.key]
            nullable = key.key == "execution_time_ms"
        elif key.kind == T_TAG and key.key == TRACE_NAME_TAG and "trace_name" in ti.c:
            value = ti.c.trace_name
        elif key.kind == T_METADATA and key.key == SESSION_KEY and "session_id" in ti.c:
            value = ti.c.session_id
        else:
            table = schema["trace_tags" if key.kind == T_TAG else "trace_request_metadata"]
            sub = sa.select(table.c.request_id, table.c.value).where(table.c.key == key.key) \
                .subquery(f"order_{n}")
            joins.append((sub, sub.c.request_id == ti.c.request_id))
            value = sub.c.value
        if nullable:
            clauses.append(sa.case((value.is_(None), 1), else_=0))
        clauses.append(value.asc() if key.ascending else value.desc())
    named = {k.key for k in keys if k.kind == T_ATTRIBUTE}
    if "timestamp_ms" not in named:
        clauses.append(ti.c.timestamp_ms.desc())
    if "request_id" not in named:
        clauses.append(ti.c.request_id.asc())
    return clauses, joins
