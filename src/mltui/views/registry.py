"""A registered model with its versions and the names of the runs behind them:
what the versions screen shows, read in one go."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..store.base import BaseStore
from ..store.entities import ModelVersion, RegisteredModel


def name_pattern(text: str | None) -> str | None:
    """What a name filter means, as an ILIKE pattern (the models screen's ``/`` and
    ``mltui models --name``): plain text matches anywhere, as MLflow's UI searches;
    text with a % is used as typed. An underscore alone does not make a pattern:
    names like fraud_detector are typed that way."""
    text = (text or "").strip()
    if not text:
        return None
    if "%" in text:
        return text
    return f"%{text}%"


@dataclass
class ModelView:
    model: RegisteredModel
    versions: list[ModelVersion]
    run_names: dict[str, str]
    """Run id -> name of the run that produced a version ('' when it is gone)."""


def load_model_view(store: BaseStore, name: str, known: Mapping[str, str]) -> ModelView:
    """The model, its versions, and the names of their source runs: the runs not in
    ``known`` are read in one call (run names never change under a version)."""
    model = store.get_registered_model(name)
    versions = store.get_model_versions(name)
    names = dict(known)
    missing = list(dict.fromkeys(mv.run_id for mv in versions
                                 if mv.run_id and mv.run_id not in names))
    if missing:
        found = store.get_runs(missing)
        names.update({rid: found[rid].run_name if rid in found else "" for rid in missing})
    return ModelView(model, versions, names)


def version_uri(mv: ModelVersion, *, prefer_alias: bool = False) -> str:
    """``models:/NAME/VERSION``; with ``prefer_alias``, ``models:/NAME@ALIAS`` when
    the version has an alias (what a service should load: it follows the alias)."""
    if prefer_alias and mv.aliases:
        return f"models:/{mv.name}@{mv.aliases[0]}"
    return f"models:/{mv.name}/{mv.version}"


def serve_command(mv: ModelVersion) -> str:
    """The shell command that serves this version, quoted for any model name."""
    import shlex

    return f"mlflow models serve -m {shlex.quote(version_uri(mv, prefer_alias=True))}"
