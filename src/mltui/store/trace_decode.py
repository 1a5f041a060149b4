"""MLflow's JSON forms of spans and assessments, turned into entities.

The same span dictionary (``Span.to_dict``) is what MLflow keeps in the
``spans.content`` column and writes, as a list, to a trace's ``traces.json``;
assessments have one dictionary form (``Assessment.to_dictionary``: the proto's
JSON) in the file store's YAML files and in the REST API. Three span shapes
exist on disk, and all are read:

- MLflow >= 3: ids as base64 of their bytes (``"span_id": "YBJJUNUfahM="``),
  status ``{"code": "STATUS_CODE_OK", "message": ""}``, ``time_unix_nano`` events;
- MLflow 3.5 wrote ids in hex and status codes as ``"OK"``;
- MLflow 2.x: ``context: {span_id: "0x..", trace_id: ..}``, ``parent_id``,
  ``start_time``/``end_time``, ``status_code``, events with ``timestamp``.

Decoding never raises on odd data: a field of the wrong type is left at its
default, an attribute that is not JSON stays the raw string (as MLflow's
``Span.get_attribute`` does), and an entry that is not a span at all is skipped.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from .trace_entities import (
    SPAN_INPUTS,
    SPAN_OUTPUTS,
    SPAN_TYPE,
    Assessment,
    Span,
    SpanEvent,
    TraceInfo,
)

_STATUS_CODES = {
    "STATUS_CODE_OK": "OK",
    "STATUS_CODE_ERROR": "ERROR",
    "STATUS_CODE_UNSET": "UNSET",
    "OK": "OK",
    "ERROR": "ERROR",
    "UNSET": "UNSET",
}


def status_code(value: object) -> str:
    """``OK``, ``ERROR`` or ``UNSET`` from any of MLflow's and OpenTelemetry's spellings
    (``STATUS_CODE_ERROR``, ``ERROR``, 2)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return {0: "UNSET", 1: "OK", 2: "ERROR"}.get(value, "UNSET")
    return _STATUS_CODES.get(str(value or "").upper(), "UNSET")


def decode_attribute(value: Any) -> Any:
    """An attribute as MLflow stores it (a JSON text) -> the value logged; text that
    is not JSON stays as it is, and so do values that are not text."""
    if isinstance(value, str):
        if not value:
            return None
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return value
    return value


def is_base64_id(value: object) -> bool:
    """Whether an id is base64 (MLflow >= 3's span dictionaries), as MLflow tells."""
    if not isinstance(value, str):
        return False
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def hex_id(value: object, *, base64_ids: bool, width: int = 16) -> str | None:
    """A span id (or trace id, ``width`` 32) in the hex form ``mlflow.entities.Span``
    shows, from base64 (``base64_ids``) or hex with or without ``0x``; None when
    empty. An id that decodes as neither is kept as it is (shown, never trusted)."""
    if not value or not isinstance(value, str):
        return None
    if base64_ids:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return value
        return raw.hex().rjust(width, "0")
    text = value[2:] if value[:2].lower() == "0x" else value
    try:
        return format(int(text, 16), f"0{width}x")
    except ValueError:
        return value


def _int(value: object) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError, OverflowError):
        return None


def _text(value: object, default: str = "") -> str:
    return default if value is None else str(value)


def _dict(value: object) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def span_from_dict(data: Mapping[str, Any], trace_id: str) -> Span:
    """One span dictionary (any of the three shapes) -> a :class:`Span` of trace
    ``trace_id`` (MLflow's ``tr-...`` id; the dictionary holds the OpenTelemetry one)."""
    if isinstance(data.get("context"), Mapping):
        return _span_from_v2(data, trace_id)
    b64 = is_base64_id(data.get("trace_id"))
    attributes = {str(k): decode_attribute(v) for k, v in _dict(data.get("attributes")).items()}
    status = _dict(data.get("status"))
    events = []
    for event in data.get("events") or ():
        if isinstance(event, Mapping):
            events.append(SpanEvent(
                name=_text(event.get("name")),
                timestamp_ns=_int(event.get("time_unix_nano")),
                attributes=_dict(event.get("attributes")),
            ))
    return _span(
        trace_id,
        span_id=hex_id(data.get("span_id"), base64_ids=b64) or "",
        parent_id=hex_id(data.get("parent_span_id"), base64_ids=b64),
        name=_text(data.get("name")),
        start=_int(data.get("start_time_unix_nano")) or 0,
        end=_int(data.get("end_time_unix_nano")) or None,
        status=status_code(status.get("code")),
        message=_text(status.get("message")),
        attributes=attributes,
        events=events,
    )


def _span_from_v2(data: Mapping[str, Any], trace_id: str) -> Span:
    context = _dict(data.get("context"))
    events = [
        SpanEvent(name=_text(e.get("name")), timestamp_ns=_int(e.get("timestamp")),
                  attributes=_dict(e.get("attributes")))
        for e in data.get("events") or () if isinstance(e, Mapping)
    ]
    return _span(
        trace_id,
        span_id=hex_id(context.get("span_id"), base64_ids=False) or "",
        parent_id=hex_id(data.get("parent_id"), base64_ids=False),
        name=_text(data.get("name")),
        start=_int(data.get("start_time")) or 0,
        end=_int(data.get("end_time")),
        status=status_code(data.get("status_code")),
        message=_text(data.get("status_message")),
        attributes={str(k): decode_attribute(v)
                    for k, v in _dict(data.get("attributes")).items()},
        events=events,
    )


def _span(
    trace_id: str, *, span_id: str, parent_id: str | None, name: str, start: int,
    end: int | None, status: str, message: str, attributes: dict[str, Any],
    events: list[SpanEvent],
) -> Span:
    span_type = attributes.get(SPAN_TYPE)
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_id=parent_id,
        name=name,
        span_type=span_type if isinstance(span_type, str) else None,
        start_time_ns=start,
        end_time_ns=end,
        status_code=status,
        status_message=message,
        inputs=attributes.get(SPAN_INPUTS),
        outputs=attributes.get(SPAN_OUTPUTS),
        attributes=attributes,
        events=tuple(events),
    )


def spans_from_json(content: bytes | str, trace_id: str) -> list[Span]:
    """The spans of a ``traces.json`` (``{"spans": [...]}``), roots first then by
    start time. Entries that are not span dictionaries are skipped; a file that is
    not JSON raises ValueError."""
    data = json.loads(content)
    items = data.get("spans") if isinstance(data, Mapping) else data
    if not isinstance(items, list):
        raise ValueError("no list of spans")
    return order_spans(span_from_dict(s, trace_id) for s in items if isinstance(s, Mapping))


def order_spans(spans: Iterable[Span]) -> list[Span]:
    """Roots first, then by start time: the order MLflow returns a trace's spans in."""
    return sorted(spans, key=lambda s: (s.parent_id is not None, s.start_time_ns))


# -- times -----------------------------------------------------------------------------


def iso_ms(value: object) -> int | None:
    """Milliseconds since the epoch from a proto Timestamp's JSON
    (``2026-12-02T02:14:13.378Z``, with up to nine fraction digits), a datetime, or
    a number of milliseconds."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return int(moment.timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.isdigit():
        return int(text)
    match = _TIMESTAMP.match(text)
    if match is None:
        return None
    day, fraction, zone = match.groups()
    zone = "+00:00" if zone in (None, "Z", "z") else zone
    try:
        moment = datetime.fromisoformat(day + zone)
    except ValueError:
        return None
    return int(moment.timestamp()) * 1000 + int(((fraction or "") + "000")[:3])


_TIMESTAMP = re.compile(
    r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|z|[+-]\d\d:\d\d)?\Z"
)


def duration_ms(value: object) -> int | None:
    """Milliseconds from a proto Duration's JSON (``"0.332s"``), or a number of ms."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if not isinstance(value, str) or not value.endswith("s"):
        return None
    try:
        return round(float(value[:-1]) * 1000)
    except ValueError:
        return None


# -- assessments ----------------------------------------------------------------------


def assessment_from_dict(data: Mapping[str, Any]) -> Assessment | None:
    """An assessment in its dictionary form (the file store's YAML, the REST API's
    JSON); None for something that is not one."""
    if not isinstance(data, Mapping):
        return None
    source = _dict(data.get("source"))
    value: Any = None
    error = error_code = None
    if isinstance(data.get("feedback"), Mapping):
        kind = "feedback"
        feedback = data["feedback"]
        value = feedback.get("value")
        problem = _dict(feedback.get("error"))
        if problem:
            error = _text(problem.get("error_message")) or None
            error_code = _text(problem.get("error_code")) or None
            error = error or error_code
    elif isinstance(data.get("expectation"), Mapping):
        kind = "expectation"
        expectation = data["expectation"]
        if "serialized_value" in expectation:
            serialized = _dict(expectation.get("serialized_value"))
            value = decode_attribute(serialized.get("value"))
        else:
            value = expectation.get("value")
    elif isinstance(data.get("issue"), Mapping):
        kind = "issue"
        value = dict(data["issue"])
    else:
        return None
    metadata = {str(k): _text(v) for k, v in _dict(data.get("metadata")).items()}
    valid = data.get("valid")
    return Assessment(
        assessment_id=_text(data.get("assessment_id")),
        trace_id=_text(data.get("trace_id")),
        name=_text(data.get("assessment_name")),
        kind=kind,
        value=value,
        source_type=_text(source.get("source_type")),
        source_id=_text(source.get("source_id")),
        rationale=data.get("rationale") if isinstance(data.get("rationale"), str) else None,
        error=error,
        error_code=error_code,
        span_id=_text(data.get("span_id")) or None,
        run_id=_text(data.get("run_id")) or None,
        create_time=iso_ms(data.get("create_time")),
        last_update_time=iso_ms(data.get("last_update_time")),
        valid=valid is not False,
        overrides=_text(data.get("overrides")) or None,
        metadata=metadata,
    )


def order_assessments(assessments: Iterable[Assessment]) -> tuple[Assessment, ...]:
    """Oldest first, then by id: a stable order whatever the store listed."""
    return tuple(sorted(assessments, key=lambda a: (a.create_time or 0, a.assessment_id)))


# -- trace infos -------------------------------------------------------------------------

_V2_STATES = {"TRACE_STATUS_UNSPECIFIED": "STATE_UNSPECIFIED"}


def _string_map(value: object) -> dict[str, str]:
    """A map as JSON gives it (``{"k": "v"}``) or as old protos did (``[{"key", "value"}]``)."""
    if isinstance(value, Mapping):
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return {str(item.get("key")): _text(item.get("value"))
                for item in value if isinstance(item, Mapping) and "key" in item}
    return {}


def trace_info_from_dict(data: Mapping[str, Any]) -> TraceInfo:
    """A TraceInfo in its dictionary form: MLflow 3's (``TraceInfo.to_dict``, the REST
    API's JSON: ``trace_id``, ``request_time`` as ISO text, ``execution_duration``
    ``"0.33s"`` or ``execution_duration_ms``, ``state``) or MLflow 2's (``request_id``,
    ``timestamp_ms``, ``execution_time_ms``, ``status``). The file store keeps tags,
    metadata and assessments beside it: absent keys give empty ones."""
    if "request_id" in data and "trace_id" not in data:
        state = _text(data.get("status"), "STATE_UNSPECIFIED")
        return TraceInfo(
            trace_id=_text(data.get("request_id")),
            experiment_id=_text(data.get("experiment_id")),
            request_time=_int(data.get("timestamp_ms")) or 0,
            execution_duration=_int(data.get("execution_time_ms")),
            state=_V2_STATES.get(state, state),
            tags=_string_map(data.get("tags")),
            trace_metadata=_string_map(data.get("request_metadata")),
        )
    location = _dict(data.get("trace_location"))
    experiment = _dict(location.get("mlflow_experiment"))
    if "execution_duration_ms" in data:
        duration = _int(data.get("execution_duration_ms"))
    else:
        duration = duration_ms(data.get("execution_duration"))
    found = (assessment_from_dict(a) for a in data.get("assessments") or ())
    return TraceInfo(
        trace_id=_text(data.get("trace_id")),
        experiment_id=_text(experiment.get("experiment_id")),
        request_time=iso_ms(data.get("request_time")) or 0,
        execution_duration=duration,
        state=_text(data.get("state"), "STATE_UNSPECIFIED"),
        request_preview=data.get("request_preview"),
        response_preview=data.get("response_preview"),
        client_request_id=data.get("client_request_id"),
        tags=_string_map(data.get("tags")),
        trace_metadata=_string_map(data.get("trace_metadata")),
        assessments=order_assessments(a for a in found if a is not None),
    )
