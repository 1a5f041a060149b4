"""Spans as a tracking server sends them: OpenTelemetry's ``Span`` proto in JSON.

``traces/get`` and ``traces/batchGet`` answer with the spans MLflow converted to
OTLP (``Span.to_otel_proto``): ids in base64, attributes as a list of
``{"key", "value": AnyValue}`` where an AnyValue is one of ``string_value``,
``int_value`` (a number, or a string for 64-bit values), ``double_value``,
``bool_value``, ``bytes_value``, ``array_value`` or ``kvlist_value``. MLflow's
client decodes each to a Python value (``Span.from_otel_proto``); so does this.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from typing import Any

from ..trace_decode import hex_id, status_code
from ..trace_entities import SPAN_INPUTS, SPAN_OUTPUTS, SPAN_TYPE, Span, SpanEvent

_SPECIAL_DOUBLES = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def any_value(value: object) -> Any:
    """An OTLP AnyValue in JSON -> the Python value (None for an empty one)."""
    if not isinstance(value, Mapping):
        return None
    if "string_value" in value:
        return value["string_value"]
    if "bool_value" in value:
        return bool(value["bool_value"])
    if "int_value" in value:
        try:
            return int(value["int_value"])
        except (TypeError, ValueError):
            return value["int_value"]
    if "double_value" in value:
        raw = value["double_value"]
        if isinstance(raw, str):
            return _SPECIAL_DOUBLES.get(raw, raw)
        return raw
    if "array_value" in value:
        items = (value["array_value"] or {}).get("values") or ()
        return [any_value(v) for v in items]
    if "kvlist_value" in value:
        return key_values((value["kvlist_value"] or {}).get("values"))
    if "bytes_value" in value:
        try:
            return base64.b64decode(value["bytes_value"])
        except (binascii.Error, ValueError, TypeError):
            return value["bytes_value"]
    return None


def key_values(items: object) -> dict[str, Any]:
    """A list of OTLP ``KeyValue`` -> a dict."""
    if not isinstance(items, list):
        return {}
    return {str(kv.get("key")): any_value(kv.get("value"))
            for kv in items if isinstance(kv, Mapping)}


def _int(value: object) -> int | None:
    try:
        return int(value) if value not in (None, "") else None  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


def otel_span(data: Mapping[str, Any], trace_id: str) -> Span:
    """One OTLP span in JSON -> a :class:`Span` of trace ``trace_id``."""
    attributes = key_values(data.get("attributes"))
    raw_status = data.get("status")
    status: Mapping[str, Any] = raw_status if isinstance(raw_status, Mapping) else {}
    span_type = attributes.get(SPAN_TYPE)
    events = tuple(
        SpanEvent(name=str(e.get("name") or ""), timestamp_ns=_int(e.get("time_unix_nano")),
                  attributes=key_values(e.get("attributes")))
        for e in data.get("events") or () if isinstance(e, Mapping)
    )
    return Span(
        trace_id=trace_id,
        span_id=hex_id(data.get("span_id"), base64_ids=True) or "",
        parent_id=hex_id(data.get("parent_span_id"), base64_ids=True),
        name=str(data.get("name") or ""),
        span_type=span_type if isinstance(span_type, str) else None,
        start_time_ns=_int(data.get("start_time_unix_nano")) or 0,
        end_time_ns=_int(data.get("end_time_unix_nano")) or None,
        status_code=status_code(status.get("code")),
        status_message=str(status.get("message") or ""),
        inputs=attributes.get(SPAN_INPUTS),
        outputs=attributes.get(SPAN_OUTPUTS),
        attributes=attributes,
        events=events,
    )
