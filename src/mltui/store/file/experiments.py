"""Experiments of an ``mlruns`` folder, and the logged models inside them::

    mlruns/<experiment_id>/meta.yaml       the experiment; tags/<key> beside it
    mlruns/<experiment_id>/models/<id>/    logged models (MLflow 3)
    mlruns/.trash/<experiment_id>/         deleted experiments

An experiment is read as MLflow reads it: one whose ``meta.yaml`` is unreadable or
names another id is skipped (and noted in the problem log), and its run count is
what the default (active) runs view shows, so the list matches the table behind it.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from ..artifacts import ArtifactReader, LocalArtifacts, existing_local_folder, reader_for
from ..entities import Experiment, LoggedModel, Metric, ViewType
from ..errors import ResourceNotFound
from .layout import (
    ARTIFACTS,
    LOGGED_MODEL_STATUS_NAMES,
    META,
    METRICS,
    MODELS,
    PARAMS,
    TAGS,
    key_path,
    list_keys,
    read_key_values,
    read_text,
    safe_name,
)
from .meta import MetaError, describe_error, int_or_none, read_meta, text_or_empty
from .root import Root
from .run_index import RunIndex


class Experiments:
    """Reads experiments from ``root``; run counts come from ``runs``."""

    def __init__(self, root: Root, runs: RunIndex) -> None:
        self._root = root
        self._runs = runs

    def _read(self, eid: str, path: str) -> Experiment | None:
        meta_path = os.path.join(path, META)
        try:
            raw = read_meta(path)
        except FileNotFoundError:
            return None
        except (OSError, MetaError) as exc:
            self._root.problems.note(meta_path, describe_error(exc))
            return None
        if str(raw.get("experiment_id")) != eid:
            # MLflow ignores an experiment whose meta.yaml names another id
            recorded = raw.get("experiment_id")
            self._root.problems.note(meta_path, f"records experiment id {recorded!r}")
            return None
        self._root.problems.note(meta_path, None)
        deleted = self._root.is_trash(path)
        exp = Experiment(
            experiment_id=eid,
            name=text_or_empty(raw.get("name")),
            artifact_location=raw.get("artifact_location"),
            lifecycle_stage=text_or_empty(raw.get("lifecycle_stage"))
            or ("deleted" if deleted else "active"),
            creation_time=int_or_none(raw.get("creation_time")),
            last_update_time=int_or_none(raw.get("last_update_time")),
            tags=read_key_values(os.path.join(path, TAGS)),
        )
        metas = self._runs.of_experiment(eid, path)
        # what the default (active) runs view shows, as MLflow's UI counts
        active = [m for m in metas if m.lifecycle_stage == "active"]
        exp.run_count = len(active)
        starts = [m.start_time for m in active if m.start_time]
        exp.last_run_time = max(starts) if starts else None
        return exp

    def in_view(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        """Every readable experiment in ``view``, by id (numbers in numeric order)."""
        found: dict[str, Experiment] = {}
        for eid, path in self._root.experiment_dirs(view):
            if eid in found:
                continue
            exp = self._read(eid, path)
            if exp is not None:
                found[eid] = exp
        return sorted(found.values(), key=_experiment_sort_key)

    def get(self, experiment_id: str) -> Experiment:
        """One experiment, active or deleted; ResourceNotFound if none is readable."""
        path = self._root.experiment_dir(experiment_id)
        exp = self._read(str(experiment_id), path) if path else None
        if exp is None:
            raise ResourceNotFound(f"No experiment with id {experiment_id!r}")
        return exp

    def by_name(self, name: str) -> Experiment | None:
        """The experiment named ``name`` (any view), found without counting runs."""
        found = self._root.experiment_named(name)
        return None if found is None else self._read(*found)

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        """The live logged models of one experiment, newest first."""
        exp_dir = self._root.experiment_dir(experiment_id)
        if exp_dir is None:
            return []
        folder = os.path.join(exp_dir, MODELS)
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            return []
        models = []
        for name in names:
            model_dir = os.path.join(folder, name)
            if not os.path.isdir(model_dir):
                continue
            try:
                raw = read_meta(model_dir)
            except FileNotFoundError:
                continue
            except (OSError, MetaError) as exc:
                self._root.problems.note(os.path.join(model_dir, META), describe_error(exc))
                continue
            if raw.get("lifecycle_stage") == "deleted":
                continue
            if str(raw.get("experiment_id")) != str(experiment_id):
                continue
            status = raw.get("status")
            models.append(
                LoggedModel(
                    model_id=text_or_empty(raw.get("model_id")) or name,
                    experiment_id=str(experiment_id),
                    name=text_or_empty(raw.get("name")),
                    artifact_location=text_or_empty(raw.get("artifact_location")),
                    creation_time=int_or_none(raw.get("creation_timestamp")),
                    last_updated_time=int_or_none(raw.get("last_updated_timestamp")),
                    status=LOGGED_MODEL_STATUS_NAMES.get(status, text_or_empty(status))
                    if isinstance(status, int)
                    else text_or_empty(status),
                    model_type=text_or_empty(raw.get("model_type")),
                    source_run_id=text_or_empty(raw.get("source_run_id")),
                    tags=read_key_values(os.path.join(model_dir, TAGS)),
                    params=read_key_values(os.path.join(model_dir, PARAMS)),
                    metrics=_logged_model_metrics(os.path.join(model_dir, METRICS)),
                )
            )
        models.sort(key=lambda m: -(m.creation_time or 0))
        return models

    def logged_model(self, model_id: str) -> LoggedModel:
        """One live logged model by id: MLflow's file store looks for its folder under
        every experiment's ``models``. Raises ResourceNotFound."""
        if safe_name(model_id):
            for eid, path in self._root.experiment_dirs(ViewType.ALL):
                if os.path.isdir(os.path.join(path, MODELS, model_id)):
                    for model in self.logged_models(eid):
                        if model.model_id == model_id:
                            return model
        raise ResourceNotFound(f"Logged model with ID '{model_id}' not found")

    def model_artifacts(self, model: LoggedModel) -> ArtifactReader:
        """The reader of a logged model's files: its ``artifact_location``, or for an
        mlruns folder copied from elsewhere, ``models/<id>/artifacts`` of its experiment."""
        uri = model.artifact_location
        exp_dir = self._root.experiment_dir(model.experiment_id)
        fallback = os.path.join(exp_dir, MODELS, model.model_id, ARTIFACTS) if exp_dir else None
        scheme = urlparse(uri).scheme
        moved = not uri or (scheme in ("", "file") and existing_local_folder(uri) is None)
        if moved and fallback and os.path.isdir(fallback):
            return LocalArtifacts(fallback)
        if not uri:
            raise ResourceNotFound(f"Logged model {model.model_id} has no artifact location")
        return reader_for(uri)


def _logged_model_metrics(folder: str) -> list[Metric]:
    """Latest value per (metric, dataset) as MLflow's ``_get_model_metrics_from_file``:
    lines are ``timestamp value step run_id [dataset_name dataset_digest]``."""
    metrics = []
    for key in sorted(list_keys(folder)):
        try:
            text = read_text(key_path(folder, key))
        except OSError:
            continue
        groups: dict[tuple[str, ...], tuple[int, int, float]] = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) not in (4, 6):
                continue
            try:
                point = (int(parts[2]), int(parts[0]), float(parts[1]))
            except ValueError:
                continue
            group = tuple(parts[4:6])
            if group not in groups or point > groups[group]:
                groups[group] = point
        for step, ts, value in groups.values():
            metrics.append(Metric(key, value, ts, step))
    return metrics


def _experiment_sort_key(exp: Experiment) -> tuple[int, int, str]:
    eid = exp.experiment_id
    return (0, int(eid), "") if eid.isdigit() else (1, 0, eid)
