"""The words of MLflow's trace search grammar (``SearchTraceUtils`` in
``mlflow/utils/search_utils.py``): entity kinds, the keys and comparators each
accepts, the key aliases, and the AST nodes :class:`TraceClause` and
:class:`TraceOrderKey`."""

from __future__ import annotations

from dataclasses import dataclass

from ..trace_entities import LINKED_PROMPTS_TAG, SOURCE_RUN_KEY, TRACE_NAME_TAG

T_ATTRIBUTE = "attribute"
T_TAG = "tag"
T_METADATA = "request_metadata"
T_SPAN = "span"
T_FEEDBACK = "feedback"
T_EXPECTATION = "expectation"
T_ISSUE = "issue"
ASSESSMENT_KINDS = (T_FEEDBACK, T_EXPECTATION)

ENTITIES = {
    "tag": T_TAG,
    "tags": T_TAG,
    "attribute": T_ATTRIBUTE,
    "attributes": T_ATTRIBUTE,
    "trace": T_ATTRIBUTE,
    "request_metadata": T_METADATA,
    "metadata": T_METADATA,
    "span": T_SPAN,
    "feedback": T_FEEDBACK,
    "expectation": T_EXPECTATION,
    "issue": T_ISSUE,
}
"""Entity names (and MLflow's aliases: ``trace.status`` is ``attribute.status``)."""

SEARCH_ATTRIBUTES = frozenset({
    "request_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms",
    "end_time", "end_time_ms", "status", "client_request_id",
    "name", "run_id", "prompt",  # mapped to a tag or request metadata
    "text",  # mapped to the spans' content
})
ORDER_BY_ATTRIBUTES = frozenset({
    "experiment_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms",
    "end_time", "end_time_ms", "status", "request_id", "name", "run_id",
})
NUMERIC_ATTRIBUTES = frozenset({
    "timestamp_ms", "timestamp", "execution_time_ms", "execution_time", "end_time_ms",
    "end_time",
})
LIST_ATTRIBUTES = frozenset({"name", "status", "request_id", "run_id", "client_request_id"})
"""Attributes compared with a list (``status IN ('OK', 'ERROR')``)."""

KEY_TO_TAG = {"name": TRACE_NAME_TAG, "prompt": LINKED_PROMPTS_TAG}
KEY_TO_METADATA = {"run_id": SOURCE_RUN_KEY}
KEY_TO_SPAN = {"text": "content"}
KEY_TO_ATTRIBUTE = {
    "timestamp": "timestamp_ms",
    "execution_time": "execution_time_ms",
    "end_time": "end_time_ms",
}

STRING_ATTRIBUTE_COMPARATORS = frozenset({"!=", "=", "IN", "NOT IN", "LIKE", "ILIKE", "RLIKE"})
NUMERIC_ATTRIBUTE_COMPARATORS = frozenset({">", ">=", "!=", "=", "<", "<="})
TAG_COMPARATORS = frozenset({"!=", "=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL"})
METADATA_COMPARATORS = TAG_COMPARATORS
SPAN_COMPARATORS = STRING_ATTRIBUTE_COMPARATORS
SPAN_CONTENT_COMPARATORS = frozenset({"LIKE", "ILIKE"})
SPAN_COLUMNS = frozenset({"name", "type", "status"})
NUMERIC_ASSESSMENT_COMPARATORS = frozenset({">", ">=", "<", "<="})
ASSESSMENT_COMPARATORS = frozenset({
    "!=", "=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL",
})
ISSUE_KEYS = frozenset({"id"})
ISSUE_COMPARATORS = frozenset({"="})

ANALYTICS_METADATA = {
    # request metadata MLflow >= 3.17 keeps in columns of trace_info (key -> JSON key -> column)
    "mlflow.trace.tokenUsage": {
        "input_tokens": "input_tokens",
        "output_tokens": "output_tokens",
        "total_tokens": "total_tokens",
        "cache_read_input_tokens": "cache_read_input_tokens",
        "cache_creation_input_tokens": "cache_creation_input_tokens",
        "cache_creation_input_tokens_above_1hr": "cache_creation_input_tokens_above_1hr",
    },
    "mlflow.trace.cost": {
        "input_cost": "input_cost",
        "output_cost": "output_cost",
        "total_cost": "total_cost",
    },
}


@dataclass(frozen=True)
class TraceClause:
    """One comparison of a trace filter, after MLflow's key mapping (``name`` is the
    tag ``mlflow.traceName``, ``run_id`` the metadata ``mlflow.sourceRun``,
    ``timestamp`` the attribute ``timestamp_ms``, ``text`` the spans' content)."""

    kind: str
    """``attribute``, ``tag``, ``request_metadata``, ``span``, ``feedback``,
    ``expectation`` or ``issue``."""
    key: str
    comparator: str
    """Upper-case: ``=``, ``!=``, ``<`` ..., ``LIKE``, ``ILIKE``, ``RLIKE``, ``IN``,
    ``NOT IN``, ``IS NULL``, ``IS NOT NULL``."""
    value: str | int | float | tuple[str, ...] | None
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class TraceOrderKey:
    kind: str
    """``attribute``, ``tag`` or ``request_metadata``."""
    key: str
    ascending: bool = True
