"""The everyday edits on the command line: ``mltui experiment|run|model|version ...``.

Each takes an open store and the parsed args, makes one write as the
``MlflowClient`` call named in its docstring would, and returns the line to
print: a create prints the new id (or version number) alone, for scripts. A
write the store refuses (``--read-only``, a taken name, an unknown run) is a
:class:`StoreError`, which the CLI prints as one line with exit code 2.

Experiments are named by name or id (deleted ones too, so they can be restored);
runs by id, or by name with ``--experiment``, as ``mltui plot`` names them.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .commands import resolve_runs
from .store.base import BaseStore
from .store.entities import Experiment, Run
from .store.errors import InvalidValue
from .textfmt import safe_text

NOTE_TAG = "mlflow.note.content"
"""Where MLflow keeps an experiment's description and a run's note."""


# -- arguments ---------------------------------------------------------------------------

def key_value(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` split at the first ``=``: the value may hold more of them."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise InvalidValue(f"'{text}' is not KEY=VALUE")
    return key, value


def tag_dict(pairs: Sequence[str] | None) -> dict[str, str] | None:
    """Repeated ``--tag K=V`` as a dict (None when none is given); a key given twice
    is refused rather than silently keeping one value."""
    if not pairs:
        return None
    tags: dict[str, str] = {}
    for pair in pairs:
        key, value = key_value(pair)
        if key in tags:
            raise InvalidValue(f"--tag {key} is given twice")
        tags[key] = value
    return tags


def version_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise InvalidValue(f"VERSION must be a version number like 3, got '{text}'")
    return int(text)


def run_id_of_source(source: str) -> str | None:
    """The run id of a ``runs:/ID/PATH`` source, else None."""
    if not source.startswith("runs:/"):
        return None
    run_id = source.removeprefix("runs:/").strip("/").split("/", 1)[0]
    if not run_id:
        raise InvalidValue(f"'{source}' names no run: runs:/RUN_ID/PATH")
    return run_id


def _q(text: str) -> str:
    return f"'{safe_text(text)}'"


def _exp(exp: Experiment) -> str:
    return f"experiment {_q(exp.name)} (id {exp.experiment_id})"


def _aliases(aliases: Sequence[str]) -> str:
    """``the alias @a`` or ``the aliases @a, @b``."""
    named = ", ".join(f"@{safe_text(a)}" for a in sorted(aliases))
    return f"the alias{'es' if len(aliases) > 1 else ''} {named}"


# -- experiment ----------------------------------------------------------------------------

def cmd_experiment_create(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.create_experiment``; prints the new experiment's id."""
    store.check_writable("creating an experiment")
    tags = tag_dict(args.tag)
    return store.create_experiment(args.name, args.artifact_location or None, tags)


def cmd_experiment_rename(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.rename_experiment``."""
    store.check_writable("renaming an experiment")
    exp = store.find_experiment(args.experiment)
    store.rename_experiment(exp.experiment_id, args.new_name, expected_name=exp.name)
    return f"Renamed {_exp(exp)} to {_q(args.new_name)}"


def cmd_experiment_delete(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.delete_experiment``: a soft delete that ``restore`` undoes."""
    store.check_writable("deleting an experiment")
    exp = store.find_experiment(args.experiment)
    store.delete_experiment(exp.experiment_id)
    return (f"Deleted {_exp(exp)} with its runs; "
            f"mltui experiment restore {exp.experiment_id} brings it back")


def cmd_experiment_restore(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.restore_experiment``."""
    store.check_writable("restoring an experiment")
    exp = store.find_experiment(args.experiment)
    store.restore_experiment(exp.experiment_id)
    return f"Restored {_exp(exp)}"


def cmd_experiment_tag(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.set_experiment_tag`` or, with ``--delete``, ``delete_experiment_tag``."""
    store.check_writable("changing an experiment's tags")
    if (args.tag is None) == (args.delete is None):
        raise InvalidValue("Give either KEY=VALUE or --delete KEY")
    exp = store.find_experiment(args.experiment)
    if args.delete is not None:
        store.delete_experiment_tag(exp.experiment_id, args.delete)
        return f"Deleted the tag {_q(args.delete)} of {_exp(exp)}"
    key, value = key_value(args.tag)
    store.set_experiment_tag(exp.experiment_id, key, value)
    return f"Set the tag {_q(key)} of {_exp(exp)}"


def cmd_experiment_describe(store: BaseStore, args: argparse.Namespace) -> str:
    """The description: ``MlflowClient.set_experiment_tag(id, "mlflow.note.content", TEXT)``."""
    store.check_writable("describing an experiment")
    exp = store.find_experiment(args.experiment)
    store.set_experiment_tag(exp.experiment_id, NOTE_TAG, args.text)
    return f"Set the description of {_exp(exp)}"


# -- run -----------------------------------------------------------------------------------

def _runs(store: BaseStore, refs: Sequence[str], experiment: str | None) -> list[Run]:
    runs = resolve_runs(store, list(dict.fromkeys(refs)), experiment)
    unique = {run.run_id: run for run in runs}  # a name and an id of the same run
    return list(unique.values())


def _run(run: Run) -> str:
    name = f" {_q(run.run_name)}" if run.run_name else ""
    return f"run {run.run_id}{name}"


def cmd_run_rename(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.update_run(run_id, name=NEW_NAME)``."""
    store.check_writable("renaming a run")
    [run] = _runs(store, [args.run], args.experiment)
    store.rename_run(run.run_id, args.new_name)
    return f"Renamed {_run(run)} to {_q(args.new_name)}"


def cmd_run_tag(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.set_tag`` (or ``delete_tag``) on every run named, all or none."""
    store.check_writable("changing run tags")
    refs = list(args.items)
    if args.delete is None:
        if len(refs) < 2 or "=" not in refs[-1]:
            raise InvalidValue("Give the runs, then KEY=VALUE (or --delete KEY)")
        key, value = key_value(refs.pop())
    runs = _runs(store, refs, args.experiment)
    ids = [run.run_id for run in runs]
    what = _run(runs[0]) if len(runs) == 1 else f"{len(runs)} runs"
    if args.delete is not None:
        had = sum(1 for run in runs if args.delete in run.tags)
        store.delete_run_tags(ids, args.delete)
        if len(runs) > 1 and had < len(runs):
            what = f"{had} of {what} (the others had no such tag)"
        return f"Deleted the tag {_q(args.delete)} of {what}"
    store.set_run_tags(ids, key, value)
    return f"Set the tag {_q(key)} of {what}"


def cmd_run_note(store: BaseStore, args: argparse.Namespace) -> str:
    """The note: ``MlflowClient.set_tag(run_id, "mlflow.note.content", TEXT)``."""
    store.check_writable("changing a run's note")
    [run] = _runs(store, [args.run], args.experiment)
    store.set_run_tags([run.run_id], NOTE_TAG, args.text)
    return f"Set the note of {_run(run)}"


# -- model ---------------------------------------------------------------------------------

def cmd_model_create(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.create_registered_model``."""
    store.check_writable("creating a registered model")
    model = store.create_registered_model(args.name, args.description or "", tag_dict(args.tag))
    return f"Created registered model {_q(model.name)}"


def cmd_model_rename(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.rename_registered_model``: its versions and aliases follow."""
    store.check_writable("renaming a registered model")
    model = store.rename_registered_model(args.name, args.new_name)
    return f"Renamed registered model {_q(args.name)} to {_q(model.name)}"


def cmd_model_delete(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.delete_registered_model``, only with ``--yes``: MLflow cannot undo
    it, so without it the command says what would be lost and deletes nothing."""
    store.check_writable("deleting a registered model")
    model = store.get_registered_model(args.name)
    count = len(store.get_model_versions(args.name))
    lost = f"{count} version{'' if count == 1 else 's'}"
    if model.aliases:
        lost += f" and {_aliases(list(model.aliases))}"
    if not args.yes:
        raise InvalidValue(
            f"Deleting registered model {_q(model.name)} deletes its {lost} for good "
            "(MLflow cannot undo it); add --yes to delete"
        )
    store.delete_registered_model(model.name)
    return f"Deleted registered model {_q(model.name)} with its {lost}"


# -- version -------------------------------------------------------------------------------

def cmd_version_create(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.create_model_version``, with the run id of a ``runs:/ID/PATH``
    source when ``--run-id`` is not given; prints the new version number."""
    store.check_writable("creating a model version")
    run_id = args.run_id or run_id_of_source(args.source)
    mv = store.create_model_version(args.name, args.source, run_id or None,
                                    args.description or "", tag_dict(args.tag))
    return str(mv.version)


def cmd_version_delete(store: BaseStore, args: argparse.Namespace) -> str:
    """``MlflowClient.delete_model_version``, only with ``--yes`` (as ``model delete``)."""
    store.check_writable("deleting a model version")
    number = version_number(args.version)
    mv = store.get_model_version(args.name, number)
    what = f"version {mv.version} of {_q(mv.name)}"
    aliases = f" with {_aliases(mv.aliases)}" if mv.aliases else ""
    if not args.yes:
        raise InvalidValue(
            f"Deleting {what}{aliases} cannot be undone (MLflow has no restore); "
            "add --yes to delete"
        )
    store.delete_model_version(mv.name, mv.version)
    return f"Deleted {what}{aliases}"
