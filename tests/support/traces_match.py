"""Compare what mltui's store reads about traces with what ``MlflowClient`` reads.

Each ``*_view`` turns one side's entity into plain data with the same shape, so a
test asserts ``ours == theirs`` and pytest shows the field that differs.
"""

from __future__ import annotations

from typing import Any


def mlflow_assessment_view(a) -> dict[str, Any]:
    from mlflow.entities import Expectation, Feedback

    kind = "feedback" if isinstance(a, Feedback) else (
        "expectation" if isinstance(a, Expectation) else "issue")
    error = getattr(a, "error", None)
    return {
        "id": a.assessment_id,
        "name": a.name,
        "kind": kind,
        "value": a.value if kind != "issue" else None,
        "source": (a.source.source_type, a.source.source_id),
        "rationale": a.rationale,
        "error": (error.error_message or error.error_code) if error else None,
        "span_id": a.span_id,
        "valid": a.valid is not False,
        "overrides": a.overrides,
        "created": a.create_time_ms,
    }


def assessment_view(a) -> dict[str, Any]:
    return {
        "id": a.assessment_id,
        "name": a.name,
        "kind": a.kind,
        "value": a.value if a.kind != "issue" else None,
        "source": (a.source_type, a.source_id),
        "rationale": a.rationale,
        "error": a.error,
        "span_id": a.span_id,
        "valid": a.valid,
        "overrides": a.overrides,
        "created": a.create_time,
    }


def mlflow_info_view(info) -> dict[str, Any]:
    return {
        "trace_id": info.trace_id,
        "experiment_id": str(info.experiment_id),
        "request_time": info.request_time,
        "execution_duration": info.execution_duration,
        "state": info.state.value,
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        "client_request_id": info.client_request_id,
        "tags": dict(info.tags),
        "metadata": dict(info.trace_metadata),
        "assessments": sorted((mlflow_assessment_view(a) for a in info.assessments),
                              key=lambda v: v["id"]),
    }


def info_view(info) -> dict[str, Any]:
    return {
        "trace_id": info.trace_id,
        "experiment_id": info.experiment_id,
        "request_time": info.request_time,
        "execution_duration": info.execution_duration,
        "state": info.state,
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        "client_request_id": info.client_request_id,
        "tags": dict(info.tags),
        "metadata": dict(info.trace_metadata),
        "assessments": sorted((assessment_view(a) for a in info.assessments),
                              key=lambda v: v["id"]),
    }


def mlflow_span_view(span) -> dict[str, Any]:
    return {
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "span_type": span.span_type,
        "start": span.start_time_ns,
        "end": span.end_time_ns,
        "status": span.status.status_code.value,
        "message": span.status.description or "",
        "inputs": span.inputs,
        "outputs": span.outputs,
        "attributes": span.attributes,
        "events": [(e.name, e.timestamp, dict(e.attributes)) for e in span.events],
    }


def span_view(span) -> dict[str, Any]:
    return {
        "span_id": span.span_id,
        "parent_id": span.parent_id,
        "name": span.name,
        "span_type": span.span_type,
        "start": span.start_time_ns,
        "end": span.end_time_ns,
        "status": span.status_code,
        "message": span.status_message,
        "inputs": span.inputs,
        "outputs": span.outputs,
        "attributes": span.attributes,
        "events": [(e.name, e.timestamp_ns, dict(e.attributes)) for e in span.events],
    }


def assert_same_spans(ours, theirs) -> None:
    """The same spans (by id) with the same fields; ours roots first then by start."""
    mine = {s.span_id: span_view(s) for s in ours}
    ref = {s.span_id: mlflow_span_view(s) for s in theirs}
    assert len(mine) == len(ours), "a span id came back twice"
    assert set(mine) == set(ref)
    for span_id, view in mine.items():
        assert view == ref[span_id], span_id
    keys = [(s.parent_id is not None, s.start_time_ns) for s in ours]
    assert keys == sorted(keys)


def assert_same_info(ours, theirs) -> None:
    assert info_view(ours) == mlflow_info_view(theirs)


def mlflow_spans(client, trace_id: str):
    """The spans MlflowClient reads for a trace. A trace MLflow finds incomplete (a
    span PostgreSQL refused: a NUL character in its name) is read as MLflow's
    store reads it with ``allow_partial``, which is what its UI shows."""
    from mlflow.exceptions import MlflowException

    try:
        return client.get_trace(trace_id).data.spans
    except MlflowException as exc:
        if "not fully exported" not in str(exc):
            raise
        return client._tracing_client.store.get_trace(trace_id, allow_partial=True).data.spans


def eid(store, name: str) -> str:
    """The id of the experiment ``name`` in mltui's ``store``."""
    exp = store.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id


def all_traces(store, name: str):
    """Every trace of the experiment ``name``, as mltui's ``store`` searches them."""
    return store.search_traces([eid(store, name)], max_results=1000).traces
