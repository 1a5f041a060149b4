"""Field-by-field comparisons of what mltui read with what MlflowClient read, for
runs, model versions and registered models (shared by the SQL, legacy-schema and
parity suites)."""

from __future__ import annotations

import math

from mltui.store.shared import MAX_FLOAT


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def mlflow_metric_value(value: float) -> float:
    """What mltui makes of a value ``MlflowClient`` returned (inf decoded)."""
    if value >= MAX_FLOAT:
        return math.inf
    if value <= -MAX_FLOAT:
        return -math.inf
    return value


def assert_run_matches(run, ref) -> None:
    info = ref.info
    assert run.run_id == info.run_id
    assert run.experiment_id == info.experiment_id
    assert run.run_name == info.run_name
    assert run.status == info.status
    assert run.start_time == info.start_time
    assert run.end_time == info.end_time
    assert run.user_id == info.user_id
    assert run.lifecycle_stage == info.lifecycle_stage
    assert run.artifact_uri == info.artifact_uri
    assert run.source == ref.data.tags.get("mlflow.source.name", "")
    assert run.parent_run_id == ref.data.tags.get("mlflow.parentRunId")
    assert run.params == ref.data.params
    assert run.tags == ref.data.tags
    latest = {m.key: m for m in ref.data._metric_objs}
    assert set(run.metrics) == set(latest)
    for key, ref_metric in latest.items():
        metric = run.metrics[key]
        assert same_float(metric.value, mlflow_metric_value(ref_metric.value)), key
        assert (metric.timestamp, metric.step) == (ref_metric.timestamp, ref_metric.step), key


def assert_version_matches(mv, ref) -> None:
    assert mv.name == ref.name
    assert mv.version == int(ref.version)
    assert mv.current_stage == ref.current_stage
    assert mv.source == ref.source
    assert mv.run_id == (ref.run_id or "")
    assert mv.status == ref.status
    assert mv.status_message == (ref.status_message or "")
    assert mv.creation_time == ref.creation_timestamp
    assert mv.last_updated_time == ref.last_updated_timestamp
    assert mv.description == (ref.description or "")
    assert mv.user_id == (ref.user_id or "")
    assert mv.tags == ref.tags


def assert_model_matches(model, ref) -> None:
    assert model.name == ref.name
    assert model.description == (ref.description or "")
    assert model.tags == ref.tags
    assert model.aliases == {a: int(v) for a, v in ref.aliases.items()}
    assert model.creation_time == ref.creation_timestamp
    assert model.last_updated_time == ref.last_updated_timestamp
    ours = {mv.current_stage: mv for mv in model.latest_versions}
    theirs = {mv.current_stage: mv for mv in ref.latest_versions}
    assert set(ours) == set(theirs)
    for stage, mv in theirs.items():
        assert_version_matches(ours[stage], mv)
