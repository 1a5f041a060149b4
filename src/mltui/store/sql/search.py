"""Compile the search AST to SQLAlchemy Core over MLflow's tables.

Mirrors ``_get_sqlalchemy_filter_clauses`` and ``_get_orderby_clauses`` of
MLflow's SQL store, so results and their order are the same. Values are
always bound parameters. Filters on metrics, params, tags and datasets are
``EXISTS`` subqueries, which select the same runs as MLflow's joins without
needing ``DISTINCT``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression

from ..entities import DATASET_CONTEXT_TAG, RUN_NAME_TAG
from ..search import ATTRIBUTE, DATASET, METRIC, PARAM, TAG, Clause, OrderKey
from .schema import Schema

RUN_COLUMNS = {
    "run_id": "run_uuid",
    "run_name": "name",
    "status": "status",
    "user_id": "user_id",
    "artifact_uri": "artifact_uri",
    "start_time": "start_time",
    "end_time": "end_time",
}


def comparison(column: ColumnElement, comparator: str, value, dialect: str) -> ColumnElement:
    """``column <comparator> value`` with MLflow's case sensitivity on each dialect."""
    if dialect == "mysql" and isinstance(column.type, sa.String):
        # MySQL compares strings case-insensitively; MLflow adds a BINARY twin.
        binary = sa.func.binary(column)
        if comparator == "=":
            return sa.and_(column == value, binary == value)
        if comparator == "!=":
            return sa.or_(column != value, binary != value)
        if comparator == "LIKE":
            return sa.and_(column.like(value), binary.like(value))
        if comparator in ("IN", "NOT IN"):
            expr = binary.in_(list(value))
            return expr if comparator == "IN" else ~expr
    if comparator == "=":
        return column == value
    if comparator == "!=":
        return column != value
    if comparator == ">":
        return column > value
    if comparator == ">=":
        return column >= value
    if comparator == "<":
        return column < value
    if comparator == "<=":
        return column <= value
    if comparator == "LIKE":
        return column.like(value)
    if comparator == "ILIKE":
        return column.ilike(value)
    if comparator == "IN":
        return column.in_(list(value))
    if comparator == "NOT IN":
        return ~column.in_(list(value))
    raise ValueError(f"unknown comparator {comparator}")


def filter_conditions(schema: Schema, clauses: Sequence[Clause]) -> list[ColumnElement]:
    """WHERE conditions on ``runs`` for parsed filter clauses (ANDed by the caller).

    ``schema`` needs only ``[]``, ``table`` and ``dialect``: the injection tests
    compile for other dialects through a stand-in."""
    runs = schema["runs"]
    dialect = schema.dialect
    conditions: list[ColumnElement] = []
    for clause in clauses:
        kind, key, comparator, value = clause.kind, clause.key, clause.comparator, clause.value
        if kind == ATTRIBUTE and key == "run_name":
            # MLflow searches the mlflow.runName tag: runs.name is empty for
            # runs logged with MLflow <= 1.29.
            tags = schema["tags"]
            conditions.append(
                sa.exists().where(
                    tags.c.run_uuid == runs.c.run_uuid,
                    tags.c.key == RUN_NAME_TAG,
                    comparison(tags.c.value, comparator, value, dialect),
                )
            )
        elif kind == ATTRIBUTE:
            column = runs.c[RUN_COLUMNS[key]]
            conditions.append(comparison(column, comparator, value, dialect))
        elif kind == DATASET:
            conditions.append(_dataset_condition(schema, key, comparator, value))
        else:
            table = schema[{METRIC: "latest_metrics", PARAM: "params", TAG: "tags"}[kind]]
            base = [table.c.run_uuid == runs.c.run_uuid, table.c.key == key]
            if comparator == "IS NULL":
                conditions.append(~sa.exists().where(*base))
                continue
            if comparator == "IS NOT NULL":
                conditions.append(sa.exists().where(*base))
                continue
            cond = comparison(table.c.value, comparator, value, dialect)
            if kind == METRIC:
                # NaN is stored as value 0 with is_nan set: it must never match
                # a comparison, except "!=" which it always satisfies.
                if comparator == "!=":
                    cond = sa.or_(cond, table.c.is_nan == sa.true())
                else:
                    cond = sa.and_(cond, table.c.is_nan == sa.false())
            conditions.append(sa.exists().where(*base, cond))
    return conditions


def _dataset_condition(schema: Schema, key: str, comparator: str, value) -> ColumnElement:
    runs, inputs, datasets = schema["runs"], schema["inputs"], schema["datasets"]
    dialect = schema.dialect
    where = [
        inputs.c.destination_id == runs.c.run_uuid,
        inputs.c.source_id == datasets.c.dataset_uuid,
    ]
    if key == "context":
        input_tags = schema["input_tags"]
        where += [
            input_tags.c.input_uuid == inputs.c.input_uuid,
            input_tags.c.name == DATASET_CONTEXT_TAG,
            comparison(input_tags.c.value, comparator, value, dialect),
        ]
    else:
        where.append(comparison(datasets.c[key], comparator, value, dialect))
    return sa.exists().where(*where)


def order_clauses(
    schema: Schema, order: Sequence[OrderKey]
) -> tuple[list[ColumnElement], list[tuple[sa.Subquery, ColumnElement]]]:
    """ORDER BY expressions and the outer joins they need (MLflow's order)."""
    runs = schema["runs"]
    clauses: list[ColumnElement] = []
    joins: list[tuple[sa.Subquery, ColumnElement]] = []
    for n, key in enumerate(order):
        if key.kind == ATTRIBUTE:
            value: ColumnElement[Any] = runs.c[RUN_COLUMNS[key.key]]
            null_rank = sa.case((value.is_(None), 1), else_=0)
        else:
            table = schema[{METRIC: "latest_metrics", PARAM: "params", TAG: "tags"}[key.kind]]
            columns = [table.c.run_uuid, table.c.value]
            if key.kind == METRIC:
                columns.append(table.c.is_nan)
            sub = sa.select(*columns).where(table.c.key == key.key).subquery(f"order_{n}")
            joins.append((sub, sub.c.run_uuid == runs.c.run_uuid))
            value = sub.c.value
            if key.kind == METRIC:
                null_rank = sa.case((sub.c.is_nan == sa.true(), 1), (value.is_(None), 2), else_=0)
            else:
                null_rank = sa.case((value.is_(None), 1), else_=0)
        clauses.append(null_rank)
        clauses.append(value.asc() if key.ascending else value.desc())
    if not any(k.kind == ATTRIBUTE and k.key == "start_time" for k in order):
        clauses.append(runs.c.start_time.desc())
    tie_break: ColumnElement[Any] = runs.c.run_uuid
    if schema.dialect == "sqlite":
        # "+col" stops sqlite from walking the whole table through the run_uuid
        # index just to serve this last sort term: random reads of every row
        # instead of one sequential scan (about 2x on 100k runs).
        tie_break = UnaryExpression(tie_break, operator=operators.custom_op("+"))
    clauses.append(tie_break.asc())
    return clauses, joins
