"""MLflow 3's logged models (``m-…``) as the logged models screens show them: an
experiment's, a run's (the models it produced), and the one a registered
version points at (``models:/m-…``). Everything here may block (it asks the
store) and runs in worker threads; nothing imports Textual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..store.base import BaseStore
from ..store.entities import LoggedModel, Metric, ModelVersion, Run
from ..store.errors import ResourceNotFound

MODEL_URI = re.compile(r"^models:/(m-[0-9A-Za-z]+)(?:/|$)")
"""A logged model's URI as MLflow 3 records it as a version's source."""


def version_model_id(version: ModelVersion) -> str | None:
    """The logged model behind a registered version: its source ``models:/m-…``
    (what ``register_model`` records in MLflow 3), else None. A source
    ``models:/name/1`` (a registered model) is no logged model."""
    match = MODEL_URI.match(version.source or "")
    return match.group(1) if match else None


@dataclass
class ModelsListing:
    """The logged models of some experiments (or of one run), newest first, with
    the names of the runs that produced them."""

    experiment_ids: list[str]
    models: list[LoggedModel]
    run_names: dict[str, str] = field(default_factory=dict)
    """Source run id -> run name ('' when the run is gone)."""
    run: Run | None = None
    """The run whose models these are (None for the whole experiment)."""


def load_models(store: BaseStore, experiment_ids: Sequence[str], run_id: str | None = None
                ) -> ModelsListing:
    """The experiments' logged models, newest first; with ``run_id`` only those the
    run produced (its outputs, or models whose source run it is)."""
    run = None
    models = [m for eid in dict.fromkeys(experiment_ids)
              for m in store.list_logged_models(eid)]
    models.sort(key=lambda m: -(m.creation_time or 0))
    if run_id is not None:
        detail = store.get_run(run_id)
        run = detail.run
        wanted = {out.model_id for out in detail.outputs}
        models = [m for m in models if m.model_id in wanted or m.source_run_id == run_id]
    ids = list(dict.fromkeys(m.source_run_id for m in models if m.source_run_id))
    found = store.get_runs(ids) if ids else {}
    names = {rid: found[rid].run_name if rid in found else "" for rid in ids}
    return ModelsListing([str(e) for e in experiment_ids], models, names, run)


@dataclass
class ModelDetail:
    """One logged model and the name of its source run."""

    model: LoggedModel
    run_name: str = ""
    experiment_name: str = ""


def load_detail(store: BaseStore, model_id: str) -> ModelDetail:
    """A logged model read fresh by id (a registered version's ``models:/m-…``),
    with its source run's and experiment's names. Raises ResourceNotFound."""
    model = store.get_logged_model(model_id)
    return describe(store, model)


def describe(store: BaseStore, model: LoggedModel) -> ModelDetail:
    """``model`` with the names of its source run and experiment (a missing one is
    left blank, not an error: the model still shows)."""
    run_name = experiment = ""
    if model.source_run_id:
        runs = store.get_runs([model.source_run_id])
        if model.source_run_id in runs:
            run_name = runs[model.source_run_id].run_name
    try:
        experiment = store.get_experiment(model.experiment_id).name
    except ResourceNotFound:
        pass
    return ModelDetail(model, run_name, experiment)


def version_model(store: BaseStore, version: ModelVersion) -> ModelDetail:
    """The logged model a registered version came from. Raises ResourceNotFound
    when its source is no ``models:/m-…`` or the model is gone."""
    model_id = version_model_id(version)
    if model_id is None:
        raise ResourceNotFound(
            f"v{version.version} was not registered from a logged model (source "
            f"{version.source or 'none'})")
    return load_detail(store, model_id)


def sorted_metrics(model: LoggedModel) -> list[Metric]:
    """The model's metrics by key, then step (a key may have a row per step)."""
    return sorted(model.metrics, key=lambda m: (m.key, m.step, m.timestamp))


def metric_keys(model: LoggedModel) -> int:
    """How many distinct metrics the model has (a key logged at several steps is one)."""
    return len({m.key for m in model.metrics})


def user_tags(model: LoggedModel) -> dict[str, str]:
    """Tags but MLflow's own (``mlflow.``): the list's tag column."""
    return {k: v for k, v in model.tags.items() if not k.startswith("mlflow.")}
