"""Rows of MLflow's trace tables turned into :class:`TraceInfo` and :class:`Span` s.

As MLflow's ``_build_trace_infos_from_rows``: a page of ``trace_info`` rows, then
their tags, request metadata and assessments in one query each per 500 ids. On
MLflow >= 3.17 schemas the trace name, the session and the token usage and cost
live in columns of ``trace_info``; they are put back into the tags and metadata
in the shape MLflow's client shows (``mlflow.trace.tokenUsage`` as JSON).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from ..search.trace_terms import ANALYTICS_METADATA
from ..trace_decode import decode_attribute, order_assessments, span_from_dict, status_code
from ..trace_entities import SESSION_KEY, TRACE_NAME_TAG, Assessment, Span, TraceInfo
from .database import chunks
from .schema import Schema


def _tokens(value: Any) -> int | None:
    """A token count as MLflow synthesises it (whole numbers only)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return int(number) if number == number and number == int(number) else None


class TraceRows:
    """Builds trace entities from rows of one schema."""

    def __init__(self, schema: Schema):
        self.schema = schema
        ti = schema["trace_info"]
        self.name_column = "trace_name" in ti.c
        self.session_column = "session_id" in ti.c
        self.analytics = {
            key: items for key, items in ANALYTICS_METADATA.items()
            if all(col in ti.c for col in items.values())
        }
        self.promoted = set(self.analytics) | ({SESSION_KEY} if self.session_column else set())
        """Metadata keys whose rows MLflow ignores: the columns hold them."""

    def infos(self, conn: sa.Connection, rows: Sequence[Mapping[Any, Any]]) -> list[TraceInfo]:
        """TraceInfos for ``trace_info`` rows, in their order."""
        ids = [r["request_id"] for r in rows]
        tags = self._pairs(conn, "trace_tags", ids)
        metadata = self._pairs(conn, "trace_request_metadata", ids)
        assessments = self.assessments(conn, ids)
        out = []
        for row in rows:
            rid = row["request_id"]
            row_tags = tags.get(rid, {})
            if self.name_column:
                row_tags.pop(TRACE_NAME_TAG, None)
                if row.get("trace_name") is not None:
                    row_tags[TRACE_NAME_TAG] = row["trace_name"]
            row_meta = {k: v for k, v in metadata.get(rid, {}).items() if k not in self.promoted}
            row_meta.update(self._columns_metadata(row))
            out.append(TraceInfo(
                trace_id=rid,
                experiment_id=str(row["experiment_id"]),
                request_time=int(row["timestamp_ms"] or 0),
                execution_duration=row.get("execution_time_ms"),
                state=str(row.get("status") or "STATE_UNSPECIFIED"),
                request_preview=row.get("request_preview"),
                response_preview=row.get("response_preview"),
                client_request_id=row.get("client_request_id"),
                tags=row_tags,
                trace_metadata=row_meta,
                assessments=order_assessments(assessments.get(rid, ())),
            ))
        return out

    def _columns_metadata(self, row: Mapping[Any, Any]) -> dict[str, str]:
        """``compatibility_metadata_from_columns``: the promoted keys back as metadata."""
        out: dict[str, str] = {}
        if self.session_column and row.get("session_id") is not None:
            out[SESSION_KEY] = row["session_id"]
        for key, items in self.analytics.items():
            values: dict[str, Any] = {}
            for item, column in items.items():
                value = row.get(column)
                if key.endswith("tokenUsage"):
                    value = _tokens(value)
                if value is not None:
                    values[item] = value
            if values:
                out[key] = json.dumps(values)
        return out

    def _pairs(self, conn: sa.Connection, name: str, ids: Sequence[str]) -> dict[str, dict]:
        table = self.schema.table(name)
        found: dict[str, dict[str, str]] = defaultdict(dict)
        if table is None:
            return found
        for chunk in chunks(ids):
            stmt = sa.select(table.c.request_id, table.c.key, table.c.value) \
                .where(table.c.request_id.in_(chunk))
            for rid, key, value in conn.execute(stmt):
                found[rid][key] = value
        return found

    def assessments(self, conn: sa.Connection, ids: Sequence[str]) -> dict[str, list[Assessment]]:
        table = self.schema.table("assessments")
        found: dict[str, list[Assessment]] = defaultdict(list)
        if table is None:
            return found
        for chunk in chunks(ids):
            for row in conn.execute(sa.select(table).where(table.c.trace_id.in_(chunk))).mappings():
                found[row["trace_id"]].append(assessment_from_row(row))
        return found


def _json(text: Any) -> Any:
    if text is None:
        return None
    return decode_attribute(text) if isinstance(text, str) else text


def assessment_from_row(row: Mapping[Any, Any]) -> Assessment:
    """One ``assessments`` row as MLflow's ``SqlAssessments.to_mlflow_entity`` reads it."""
    error = _json(row.get("error"))
    error_message = error_code = None
    if isinstance(error, dict):
        error_code = error.get("error_code")
        error_message = error.get("error_message") or error_code
    elif error is not None:
        error_message = str(error)
    metadata = _json(row.get("assessment_metadata"))
    valid = row.get("valid")
    return Assessment(
        assessment_id=str(row["assessment_id"]),
        trace_id=str(row["trace_id"]),
        name=str(row.get("name") or ""),
        kind=str(row.get("assessment_type") or ""),
        value=_json(row.get("value")),
        source_type=str(row.get("source_type") or ""),
        source_id=str(row.get("source_id") or ""),
        rationale=row.get("rationale"),
        error=error_message,
        error_code=error_code,
        span_id=row.get("span_id"),
        run_id=row.get("run_id"),
        create_time=row.get("created_timestamp"),
        last_update_time=row.get("last_updated_timestamp"),
        valid=valid is None or bool(valid),
        overrides=row.get("overrides"),
        metadata={str(k): str(v) for k, v in metadata.items()} if isinstance(metadata, dict)
        else {},
    )


def span_from_row(row: Mapping[Any, Any], trace_id: str) -> Span:
    """One ``spans`` row: the columns say where it sits in the tree (always readable);
    ``content`` (MLflow's span dictionary) adds attributes, events and the status
    message. Content that is not JSON leaves those empty."""
    try:
        data = json.loads(row["content"])
    except (TypeError, ValueError, RecursionError):
        data = None
    decoded = span_from_dict(data, trace_id) if isinstance(data, dict) else None
    span_type = row.get("type")
    return Span(
        trace_id=trace_id,
        span_id=str(row["span_id"]),
        parent_id=row.get("parent_span_id") or None,
        name=str(row["name"]) if row.get("name") is not None else
        (decoded.name if decoded else ""),
        span_type=span_type if span_type is not None else (decoded.span_type if decoded else None),
        start_time_ns=int(row.get("start_time_unix_nano") or 0),
        end_time_ns=row.get("end_time_unix_nano"),
        status_code=status_code(row.get("status")) if row.get("status") else
        (decoded.status_code if decoded else "UNSET"),
        status_message=decoded.status_message if decoded else "",
        inputs=decoded.inputs if decoded else None,
        outputs=decoded.outputs if decoded else None,
        attributes=decoded.attributes if decoded else {},
        events=decoded.events if decoded else (),
    )
