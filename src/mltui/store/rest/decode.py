"""MLflow's REST JSON -> mltui's entities, equal to what the SQL backend reads
for the same data.

MLflow's JSON sends NaN and infinities as ``"NaN"`` / ``"Infinity"``, and a
SQL-backed server sends +/-inf as +/-:data:`~mltui.store.shared.MAX_FLOAT`;
all are decoded to float nan / inf as the SQL backend decodes them. Missing
or malformed fields decode to the entity's empty value rather than failing:
one odd run must not hide a page. ``Run.source_type`` and ``source_name`` are
not in the REST run info; they stay empty (``Run.source`` still reads the
``mlflow.source.name`` tag).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from ..entities import (
    RUN_NAME_TAG,
    ArtifactEntry,
    DatasetInput,
    Experiment,
    LoggedModel,
    Metric,
    ModelOutput,
    ModelVersion,
    RegisteredModel,
    Run,
    RunDetail,
)
from ..shared import MAX_FLOAT


def decode_value(value: Any) -> float:
    """A metric value from MLflow's JSON: numbers, "NaN", "Infinity", clamped infinities."""
    if value is None:
        return 0.0
    try:
        number = float(value)
    except (TypeError, ValueError):
        return math.nan
    if number >= MAX_FLOAT:
        return math.inf
    if number <= -MAX_FLOAT:
        return -math.inf
    return number


def integer(value: Any) -> int | None:
    """An int64 field (JSON sends them as strings); None when missing or malformed."""
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def pairs(items: Iterable[dict] | None) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` (tags, params) as a dict."""
    return {item["key"]: item.get("value") or "" for item in items or () if "key" in item}


def metric(item: dict, key: str | None = None) -> Metric:
    """One metric point; ``key`` for histories, whose points may leave it out."""
    return Metric(
        key if key is not None else item.get("key", ""),
        decode_value(item.get("value")),
        integer(item.get("timestamp")) or 0,
        integer(item.get("step")) or 0,
    )


def run(data: dict) -> Run:
    info = data.get("info") or {}
    body = data.get("data") or {}
    result = Run(
        run_id=info.get("run_id") or info.get("run_uuid") or "",
        experiment_id=str(info.get("experiment_id", "")),
        run_name=info.get("run_name") or "",
        status=info.get("status") or "",
        start_time=integer(info.get("start_time")),
        end_time=integer(info.get("end_time")),
        user_id=info.get("user_id") or "",
        lifecycle_stage=info.get("lifecycle_stage") or "active",
        artifact_uri=info.get("artifact_uri") or "",
    )
    for item in body.get("metrics") or ():
        result.metrics[item.get("key", "")] = metric(item)
    result.params = pairs(body.get("params"))
    result.tags = pairs(body.get("tags"))
    if not result.run_name:
        result.run_name = result.tags.get(RUN_NAME_TAG, "")
    return result


def run_detail(data: dict) -> RunDetail:
    """A run with its inputs (datasets, models) and outputs, as ``runs/get`` sends it."""
    inputs = data.get("inputs") or {}
    datasets = []
    for item in inputs.get("dataset_inputs") or ():
        ds = item.get("dataset") or {}
        datasets.append(
            DatasetInput(
                name=ds.get("name", ""),
                digest=ds.get("digest", ""),
                source_type=ds.get("source_type", ""),
                source=ds.get("source", ""),
                schema=ds.get("schema"),
                profile=ds.get("profile"),
                tags=pairs(item.get("tags")),
            )
        )
    model_inputs = [m.get("model_id", "") for m in inputs.get("model_inputs") or ()]
    outputs = [
        ModelOutput(model_id=o.get("model_id", ""), step=integer(o.get("step")) or 0)
        for o in (data.get("outputs") or {}).get("model_outputs") or ()
    ]
    return RunDetail(run=run(data), inputs=datasets, model_inputs=model_inputs, outputs=outputs)


def experiment(data: dict) -> Experiment:
    return Experiment(
        experiment_id=str(data.get("experiment_id", "")),
        name=data.get("name", ""),
        artifact_location=data.get("artifact_location"),
        lifecycle_stage=data.get("lifecycle_stage") or "active",
        creation_time=integer(data.get("creation_time")),
        last_update_time=integer(data.get("last_update_time")),
        tags=pairs(data.get("tags")),
    )


def model_version(data: dict) -> ModelVersion:
    return ModelVersion(
        name=data.get("name", ""),
        version=integer(data.get("version")) or 0,
        creation_time=integer(data.get("creation_timestamp")),
        last_updated_time=integer(data.get("last_updated_timestamp")),
        description=data.get("description") or "",
        user_id=data.get("user_id") or "",
        current_stage=data.get("current_stage") or "None",
        source=data.get("source") or "",
        run_id=data.get("run_id") or "",
        status=data.get("status") or "READY",
        status_message=data.get("status_message") or "",
        run_link=data.get("run_link") or "",
        tags=pairs(data.get("tags")),
        aliases=sorted(data.get("aliases") or ()),
    )


def registered_model(data: dict) -> RegisteredModel:
    """A model with its latest versions, each given the aliases pointing at it."""
    model = RegisteredModel(
        name=data.get("name", ""),
        creation_time=integer(data.get("creation_timestamp")),
        last_updated_time=integer(data.get("last_updated_timestamp")),
        description=data.get("description") or "",
        tags=pairs(data.get("tags")),
        aliases={
            a["alias"]: integer(a.get("version")) or 0
            for a in data.get("aliases") or ()
            if "alias" in a
        },
    )
    model.latest_versions = sorted(
        (model_version(v) for v in data.get("latest_versions") or ()), key=lambda v: v.version
    )
    for mv in model.latest_versions:
        mv.aliases = sorted(a for a, v in model.aliases.items() if v == mv.version)
    return model


def logged_model(item: dict) -> LoggedModel:
    info = item.get("info") or {}
    data = item.get("data") or {}
    status = str(info.get("status") or "")
    return LoggedModel(
        model_id=info.get("model_id", ""),
        experiment_id=str(info.get("experiment_id", "")),
        name=info.get("name", ""),
        artifact_location=info.get("artifact_uri") or "",
        creation_time=integer(info.get("creation_timestamp_ms")),
        last_updated_time=integer(info.get("last_updated_timestamp_ms")),
        status=status.removeprefix("LOGGED_MODEL_") or "UNSPECIFIED",
        model_type=info.get("model_type") or "",
        source_run_id=info.get("source_run_id") or "",
        tags=pairs(info.get("tags")),
        params=pairs(data.get("params") or info.get("params")),
        metrics=[metric(m) for m in data.get("metrics") or ()],
    )


def artifact_entry(item: dict) -> ArtifactEntry:
    """One entry of ``artifacts/list`` (folders have no size)."""
    is_dir = bool(item.get("is_dir"))
    size = None if is_dir else integer(item.get("file_size"))
    return ArtifactEntry(item.get("path", ""), is_dir, size)
