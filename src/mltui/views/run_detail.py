"""One run with the names around it: what the run screen shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..store.base import BaseStore
from ..store.entities import RunDetail
from ..store.errors import StoreError


@dataclass
class RunView:
    detail: RunDetail
    experiment_name: str = ""
    parent_name: str = ""


@dataclass
class NameCache:
    """Names already looked up by id; they do not change while a screen is open."""

    experiments: dict[str, str] = field(default_factory=dict)
    runs: dict[str, str] = field(default_factory=dict)


def load_run_view(store: BaseStore, run_id: str, names: NameCache) -> RunView:
    """The run, its experiment's name and its parent's name (an id that cannot be
    read, e.g. a parent deleted for good, leaves the name empty)."""
    detail = store.get_run(run_id)
    run = detail.run
    if run.experiment_id not in names.experiments:
        try:
            names.experiments[run.experiment_id] = store.get_experiment(run.experiment_id).name
        except StoreError:
            names.experiments[run.experiment_id] = ""
    parent = run.parent_run_id
    if parent and parent not in names.runs:
        found = store.get_runs([parent])
        names.runs[parent] = found[parent].run_name if parent in found else ""
    return RunView(detail, names.experiments[run.experiment_id],
                   names.runs.get(parent, "") if parent else "")
