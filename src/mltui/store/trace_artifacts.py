"""A trace's ``traces.json``: where MLflow keeps the spans when they are not rows of
the ``spans`` table.

MLflow writes the spans of a trace to ``<mlflow.artifactLocation>/traces.json``
(``mlflow/tracing/utils/artifact_utils.py``) whenever its store cannot log spans
itself: always on the file store, on SQL schemas older than the ``spans`` table,
and through servers that lack the span endpoint. The tag
``mlflow.trace.spansLocation = TRACKING_STORE`` says the spans are in the table
instead. This module reads the file through the artifact readers every backend
uses (local folders, cloud URIs); a tracking server has its own route.
"""

from __future__ import annotations

from .artifacts import reader_for
from .errors import ResourceNotFound, StoreError
from .trace_decode import spans_from_json
from .trace_entities import (
    ARCHIVE_LOCATION_TAG,
    ARCHIVE_REPO,
    ARTIFACT_LOCATION_TAG,
    TRACES_FILE,
    Span,
    TraceInfo,
)

MAX_TRACE_FILE = 1 << 30
"""A ``traces.json`` larger than this (1 GiB) is refused rather than read whole."""


def artifact_spans(info: TraceInfo) -> list[Span]:
    """The spans in the trace's ``traces.json``, roots first then by start time.
    Raises ResourceNotFound when the file is not there, StoreError when it cannot
    be read or is not MLflow's format (one line, naming the trace)."""
    if info.spans_location == ARCHIVE_REPO:
        where = info.tags.get(ARCHIVE_LOCATION_TAG, "an archive")
        raise StoreError(f"The spans of trace {info.trace_id} were archived to {where}; "
                         "mltui cannot read trace archives")
    location = info.tags.get(ARTIFACT_LOCATION_TAG)
    if not location:
        raise ResourceNotFound(f"Trace {info.trace_id} has no spans: no span rows and no "
                               f"{ARTIFACT_LOCATION_TAG} tag")
    reader = reader_for(location)
    try:
        size = reader.size(TRACES_FILE)
    except ResourceNotFound:
        raise ResourceNotFound(f"No {TRACES_FILE} for trace {info.trace_id} at {location} "
                               "(not written yet, or deleted)") from None
    if size > MAX_TRACE_FILE:
        raise StoreError(f"The {TRACES_FILE} of trace {info.trace_id} is {size:,} bytes: "
                         "too big to read")
    return decode_trace_file(reader.read(TRACES_FILE, 0, size), info.trace_id)


def decode_trace_file(content: bytes, trace_id: str) -> list[Span]:
    """The spans of a ``traces.json``'s bytes; StoreError when it is not one."""
    try:
        return spans_from_json(content, trace_id)
    except (ValueError, RecursionError) as exc:
        raise StoreError(f"The {TRACES_FILE} of trace {trace_id} is not MLflow's format "
                         f"({type(exc).__name__})") from None
