"""Plain dataclasses for MLflow 3 traces: what a store returns about them.

A trace is one request to an LLM application: a :class:`TraceInfo` (when, how
long, its state, previews of request and response, tags, request metadata and
the assessments people or judges logged on it) and a tree of :class:`Span` s
(each step: a function, a tool call, an LLM call). The fields mirror MLflow's
``TraceInfo`` (V3), ``Span`` and ``Assessment`` closely enough that a reader of
MLflow's docs recognises them; they carry no behaviour beyond reading their own
fields, and import nothing.

Times: a trace's ``request_time`` and ``execution_duration`` are milliseconds
(as MLflow stores them); a span's start and end are nanoseconds since the epoch
(OpenTelemetry's unit). Span ids are 16 hex digits, as ``mlflow.entities.Span``
shows them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

# -- keys MLflow uses in trace tags and request metadata (mlflow/tracing/constant.py) --
TRACE_NAME_TAG = "mlflow.traceName"
SPANS_LOCATION_TAG = "mlflow.trace.spansLocation"
"""Where the spans are: ``TRACKING_STORE`` (the ``spans`` table), else the trace's
``traces.json`` artifact (``ARTIFACT_REPO``, or no tag at all)."""
ARTIFACT_LOCATION_TAG = "mlflow.artifactLocation"
"""The folder (URI) holding the trace's ``traces.json``."""
ARCHIVE_LOCATION_TAG = "mlflow.trace.archiveLocation"
LINKED_PROMPTS_TAG = "mlflow.linkedPrompts"
SOURCE_RUN_KEY = "mlflow.sourceRun"
"""Request metadata: the run that was active when the trace was made."""
TOKEN_USAGE_KEY = "mlflow.trace.tokenUsage"
"""Request metadata: JSON ``{"input_tokens": .., "output_tokens": .., "total_tokens": ..}``."""
COST_KEY = "mlflow.trace.cost"
"""Request metadata: JSON ``{"input_cost": .., "output_cost": .., "total_cost": ..}`` (USD)."""
SESSION_KEY = "mlflow.trace.session"
USER_KEY = "mlflow.trace.user"
SIZE_STATS_KEY = "mlflow.trace.sizeStats"
MODEL_ID_KEY = "mlflow.modelId"

TRACKING_STORE = "TRACKING_STORE"
ARTIFACT_REPO = "ARTIFACT_REPO"
ARCHIVE_REPO = "ARCHIVE_REPO"
TRACES_FILE = "traces.json"
"""The artifact holding a trace's spans when they are not in the ``spans`` table."""

TRACE_STATES = ("OK", "ERROR", "IN_PROGRESS", "STATE_UNSPECIFIED")
SPAN_STATUS_CODES = ("OK", "ERROR", "UNSET")

# span attributes MLflow sets (SpanAttributeKey)
SPAN_INPUTS = "mlflow.spanInputs"
SPAN_OUTPUTS = "mlflow.spanOutputs"
SPAN_TYPE = "mlflow.spanType"
SPAN_REQUEST_ID = "mlflow.traceRequestId"


def _json_dict(text: str | None) -> dict[str, Any] | None:
    """A JSON object stored as text, or None (absent, broken, or not an object)."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except (ValueError, TypeError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


@dataclass(frozen=True)
class Assessment:
    """A judgement logged on a trace: a feedback (``mlflow.log_feedback``: a score,
    a pass/fail, by a human, a judge or code), an expectation (``log_expectation``:
    the ground truth), or an issue reference."""

    assessment_id: str
    trace_id: str
    name: str
    kind: str
    """``feedback``, ``expectation`` or ``issue``."""
    value: Any = None
    """The JSON value as logged (number, bool, string, list, object), decoded."""
    source_type: str = ""
    """``HUMAN``, ``LLM_JUDGE``, ``CODE`` (``SOURCE_TYPE_UNSPECIFIED`` when unknown)."""
    source_id: str = ""
    rationale: str | None = None
    error: str | None = None
    """For a feedback whose judge failed: the error message (or code)."""
    error_code: str | None = None
    span_id: str | None = None
    """The span it is about, if any (hex)."""
    run_id: str | None = None
    create_time: int | None = None
    last_update_time: int | None = None
    valid: bool = True
    """False once another assessment ``overrides`` it."""
    overrides: str | None = None
    """The id of the assessment this one replaces."""
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TraceInfo:
    """One trace without its spans: a row of the traces table."""

    trace_id: str
    """``tr-<32 hex>`` for traces MLflow made."""
    experiment_id: str
    request_time: int
    """When the request started, in ms since the epoch (MLflow's ``timestamp_ms``)."""
    execution_duration: int | None = None
    """How long it took, in ms; None while in progress (``execution_time_ms``)."""
    state: str = "STATE_UNSPECIFIED"
    """``OK``, ``ERROR``, ``IN_PROGRESS`` or ``STATE_UNSPECIFIED``."""
    request_preview: str | None = None
    response_preview: str | None = None
    client_request_id: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    trace_metadata: dict[str, str] = field(default_factory=dict)
    """Request metadata: the run (``mlflow.sourceRun``), token usage
    (``mlflow.trace.tokenUsage``), cost, session, user, source, sizes..."""
    assessments: tuple[Assessment, ...] = ()

    @property
    def name(self) -> str | None:
        """The trace's name (the root span's, unless renamed): tag ``mlflow.traceName``."""
        return self.tags.get(TRACE_NAME_TAG)

    @property
    def status(self) -> str:
        """MLflow's older name for :attr:`state`."""
        return self.state

    @property
    def run_id(self) -> str | None:
        """The run the trace was made under (``mlflow.sourceRun``), if any."""
        return self.trace_metadata.get(SOURCE_RUN_KEY) or None

    @property
    def session_id(self) -> str | None:
        return self.trace_metadata.get(SESSION_KEY) or None

    @property
    def end_time(self) -> int:
        """``request_time + execution_duration`` (MLflow's ``end_time_ms``)."""
        return self.request_time + (self.execution_duration or 0)

    @property
    def spans_location(self) -> str:
        """``TRACKING_STORE`` when the spans are rows of the ``spans`` table, else
        ``ARTIFACT_REPO`` (the ``traces.json`` artifact) or ``ARCHIVE_REPO``."""
        return self.tags.get(SPANS_LOCATION_TAG) or ARTIFACT_REPO

    @property
    def token_usage(self) -> dict[str, Any] | None:
        """``{"input_tokens": .., "output_tokens": .., "total_tokens": ..}`` where
        logged; None when absent or unreadable."""
        return _json_dict(self.trace_metadata.get(TOKEN_USAGE_KEY))

    @property
    def cost(self) -> dict[str, Any] | None:
        """``{"input_cost": .., "output_cost": .., "total_cost": ..}`` in USD, where
        logged; None when absent or unreadable."""
        return _json_dict(self.trace_metadata.get(COST_KEY))

    def with_assessments(self, assessments: Sequence[Assessment]) -> TraceInfo:
        return dataclasses.replace(self, assessments=tuple(assessments))


@dataclass(frozen=True)
class SpanEvent:
    """Something that happened during a span (an ``exception`` with its type,
    message and stack trace, a stream chunk...)."""

    name: str
    timestamp_ns: int | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Span:
    """One step of a trace. Values are what the application logged, decoded from
    JSON; a store never cuts them (a 5 MB input comes back whole)."""

    trace_id: str
    span_id: str
    """16 hex digits."""
    parent_id: str | None
    """The parent's span id; None for a root. It may name a span the trace does not
    hold (a lost span): see :func:`~.span_tree.span_tree`."""
    name: str
    span_type: str | None = None
    """``LLM``, ``CHAT_MODEL``, ``RETRIEVER``, ``TOOL``, ``AGENT``, ``CHAIN``,
    ``UNKNOWN`` ... (attribute ``mlflow.spanType``); None for a span from another
    OpenTelemetry tool that never set it."""
    start_time_ns: int = 0
    end_time_ns: int | None = None
    """None while the span is still open."""
    status_code: str = "UNSET"
    """``OK``, ``ERROR`` or ``UNSET``."""
    status_message: str = ""
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    """Every attribute, decoded (``mlflow.spanInputs`` included)."""
    events: tuple[SpanEvent, ...] = ()

    @property
    def duration_ns(self) -> int | None:
        if self.end_time_ns is None:
            return None
        return max(0, self.end_time_ns - self.start_time_ns)


@dataclass(frozen=True)
class Trace:
    """A trace with its spans, roots first then by start time."""

    info: TraceInfo
    spans: tuple[Span, ...] = ()


@dataclass(frozen=True)
class TraceQuery:
    """Which traces, in which order (as :class:`~.query.RunQuery` for runs)."""

    experiment_ids: tuple[str, ...]
    filter: str = ""
    """MLflow's trace filter grammar (``attributes.status = 'OK' AND tags.x = 'y'``)."""
    order_by: tuple[str, ...] = ()
    """MLflow's order_by strings; empty is MLflow's default (newest first)."""

    @classmethod
    def of(
        cls, experiment_ids: Sequence[str], filter: str = "", order_by: Sequence[str] = ()
    ) -> TraceQuery:
        if isinstance(order_by, str):
            order_by = [order_by]
        return cls(tuple(str(e) for e in experiment_ids), filter or "", tuple(order_by))

    def replace(self, **changes) -> TraceQuery:
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class TracePage:
    """A page of a trace search."""

    traces: list[TraceInfo]
    next_page_token: str | None = None
    """Set when more traces follow (MLflow's format: base64 of ``{"offset": n}``)."""
    total: int | None = None
    """How many traces match the whole search, when asked and the store can count."""
    offset: int = 0
