"""The words of MLflow's search grammar: entity kinds, the attributes and
comparators each accepts, and the two AST nodes (:class:`Clause`, :class:`OrderKey`)."""

from __future__ import annotations

from dataclasses import dataclass

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
