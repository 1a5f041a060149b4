"""Registry entries created, renamed and deleted, from the models and versions
screens. Deleting a model or a version is a hard delete in MLflow: the
confirmation names what is lost (versions, the aliases pointing there) and says
that it cannot be undone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.screen import Screen

from ..background import run_blocking
from ..store.base import BaseStore
from ..store.entities import ModelVersion, RegisteredModel
from ..textfmt import count_of
from . import edits

LISTED = 12


def create_model(screen: Screen, store: BaseStore, after: Callable[[Any], None]) -> None:
    if edits.refuse_read_only(screen, "the registry cannot be changed"):
        return

    def named(name: str) -> None:
        edits.confirm_write(screen, "Create registered model", f"Create the model {name!r}",
                            "Create", store.create_registered_model, name,
                            done_message=f"Created model {name}", after=after)

    edits.ask_text(screen, "New registered model: name", "", named)


def rename_model(screen: Screen, store: BaseStore, model: RegisteredModel,
                 after: Callable[[Any], None]) -> None:
    if edits.refuse_read_only(screen, "the registry cannot be changed"):
        return

    def named(name: str) -> None:
        edits.confirm_write(
            screen, "Rename registered model",
            f"{model.name!r} → {name!r}\nIts versions, tags and aliases follow; code that "
            f"loads models:/{model.name}/... must use the new name.", "Rename",
            store.rename_registered_model, model.name, name,
            done_message=f"Renamed to {name}", after=after)

    edits.ask_text(screen, f"Rename model {model.name}", model.name, named)


def _aliases_text(aliases: dict[str, int], versions: set[int] | None = None) -> str:
    shown = sorted((a, v) for a, v in aliases.items() if versions is None or v in versions)
    if not shown:
        return "No alias points there."
    return "Aliases lost: " + ", ".join(f"@{a} (v{v})" for a, v in shown)


def delete_model(screen: Screen, store: BaseStore, model: RegisteredModel,
                 after: Callable[[Any], None]) -> None:
    if edits.refuse_read_only(screen, "the registry cannot be changed"):
        return

    def read() -> tuple[RegisteredModel, list[ModelVersion]]:
        return store.get_registered_model(model.name), store.get_model_versions(model.name)

    def ask(found: tuple[RegisteredModel, list[ModelVersion]]) -> None:
        fresh, versions = found
        listed = "\n".join(f"  v{v.version}  {v.current_stage}" for v in versions[:LISTED])
        if len(versions) > LISTED:
            listed += f"\n  … and {len(versions) - LISTED} more"
        body = (f"Delete the model {fresh.name!r} and {count_of(len(versions), 'version')}:\n"
                f"{listed}\n{_aliases_text(fresh.aliases)}\n\n"
                "MLflow deletes registered models for good: this cannot be undone.")
        edits.confirm_write(screen, "Delete registered model", body, "Delete for good",
                            store.delete_registered_model, fresh.name,
                            done_message=f"Deleted model {fresh.name}", after=after,
                            danger=True)

    run_blocking(screen, read, done=ask, group="registry-delete-targets",
                 failed=lambda m: screen.notify(m, severity="error", timeout=10))


def create_version(screen: Screen, store: BaseStore, model: RegisteredModel,
                   after: Callable[[Any], None]) -> None:
    if edits.refuse_read_only(screen, "the registry cannot be changed"):
        return

    def sourced(source: str) -> None:
        source = source.strip()
        run_id = None
        if source.startswith("runs:/"):
            run_id = source[len("runs:/"):].split("/", 1)[0] or None
        edits.confirm_write(
            screen, "Register a new version",
            f"Register {source} as the next version of {model.name!r}", "Register",
            store.create_model_version, model.name, source, run_id,
            done_message=f"Registered a new version of {model.name}", after=after)

    edits.ask_text(screen, f"New version of {model.name}: source", "", sourced,
                   body="runs:/RUN_ID/PATH (a run's artifact path), models:/m-... (an "
                        "MLflow 3 logged model) or an artifact URI.",
                   validate=lambda s: None if s.strip() else "A source is needed")


def delete_version(screen: Screen, store: BaseStore, version: ModelVersion,
                   aliases: dict[str, int], after: Callable[[Any], None]) -> None:
    if edits.refuse_read_only(screen, "the registry cannot be changed"):
        return
    body = (f"Delete {version.name} v{version.version} ({version.current_stage}).\n"
            f"{_aliases_text(aliases, {version.version})}\n\n"
            "MLflow deletes model versions for good: this cannot be undone.")
    edits.confirm_write(screen, "Delete model version", body, "Delete for good",
                        store.delete_model_version, version.name, version.version,
                        done_message=f"Deleted {version.name} v{version.version}",
                        after=after, danger=True)
