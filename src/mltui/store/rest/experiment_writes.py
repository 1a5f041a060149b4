"""Experiment edits on a tracking server, through MLflow's own endpoints
(``experiments/create``, ``update``, ``delete``, ``restore``,
``set-experiment-tag``, ``delete-experiment-tag``), so the server's store makes
the rows and timestamps.

Tags are checked here first with MLflow's rules and messages
(:mod:`mltui.store.tracking_rules`); names are left to the server, whose answer
is what MlflowClient shows (an empty name is "Missing value for required
parameter 'name'" there, the request check coming before the store's).
The server answers a taken name with RESOURCE_ALREADY_EXISTS; the contract
calls that InvalidValue (MLflow's message kept). ``expected_name`` re-reads
the experiment before renaming: REST has no transaction, so a rename in the
milliseconds between is not detected.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConflictError, InvalidValue
from ..registry_rules import ANY
from ..tracking_rules import (
    check_artifact_location,
    check_experiment_tag,
    check_experiment_tags,
)
from .client import RestClient
from .experiments import Experiments
from .state import RestState


class ExperimentWrites:
    """``reads`` re-reads an experiment; ``state.top`` is cleared when the runs an
    experiment shows change; ``check_writable(what)`` is the store's guard."""

    def __init__(self, client: RestClient, reads: Experiments, state: RestState,
                 check_writable: Callable[[str], None]):
        self.client = client
        self.reads = reads
        self.state = state
        self.check_writable = check_writable

    def _post(self, endpoint: str, body: dict[str, Any]) -> dict:
        try:
            return self.client.call("POST", endpoint, body=body)
        except ConflictError as exc:  # RESOURCE_ALREADY_EXISTS: a taken name
            raise InvalidValue(str(exc)) from None

    def create(
        self, name: str, artifact_location: str | None, tags: dict[str, str] | None
    ) -> str:
        if artifact_location and artifact_location.startswith("runs:"):
            check_artifact_location(artifact_location)
        tags = check_experiment_tags(tags)
        self.check_writable(f"creating experiment {name}")
        body: dict[str, Any] = {"name": name}
        if artifact_location:
            body["artifact_location"] = artifact_location
        if tags:
            body["tags"] = [{"key": k, "value": v} for k, v in tags.items()]
        return str(self._post("experiments/create", body).get("experiment_id", ""))

    def rename(self, experiment_id: str, new_name: str, expected_name: Any = ANY) -> None:
        self.check_writable(f"renaming experiment {experiment_id}")
        if expected_name is not ANY:
            current = self.reads.get(experiment_id).name
            if current != expected_name:
                raise ConflictError(
                    f"Experiment {experiment_id} is now named {current!r} (renamed since "
                    "shown); nothing was written"
                )
        self._post("experiments/update",
                   {"experiment_id": str(experiment_id), "new_name": new_name})

    def delete(self, experiment_id: str) -> None:
        self.check_writable(f"deleting experiment {experiment_id}")
        try:
            self._post("experiments/delete", {"experiment_id": str(experiment_id)})
        finally:
            self.state.top.clear()

    def restore(self, experiment_id: str) -> None:
        self.check_writable(f"restoring experiment {experiment_id}")
        try:
            self._post("experiments/restore", {"experiment_id": str(experiment_id)})
        finally:
            self.state.top.clear()

    def set_tag(self, experiment_id: str, key: str, value: str) -> None:
        value = str(value)
        check_experiment_tag(key, value)
        self.check_writable(f"setting tag {key} on experiment {experiment_id}")
        self._post("experiments/set-experiment-tag",
                   {"experiment_id": str(experiment_id), "key": key, "value": value})

    def delete_tag(self, experiment_id: str, key: str) -> None:
        self.check_writable(f"deleting tag {key} of experiment {experiment_id}")
        self._post("experiments/delete-experiment-tag",
                   {"experiment_id": str(experiment_id), "key": key})
