"""Experiments and their logged models, read from a tracking server.

The REST API has no run count: ``Experiment.run_count`` and ``last_run_time``
stay None (``capabilities.run_counts`` is False), where the SQL backend fills
them.
"""

from __future__ import annotations

from urllib.parse import quote

from ..entities import Experiment, LoggedModel, ViewType
from ..errors import InvalidValue, ResourceNotFound
from . import decode
from .client import RestClient
from .failures import EndpointNotFound
from .filters import VIEWS


class Experiments:
    """Experiment reads; needs nothing but the client."""

    def __init__(self, client: RestClient):
        self.client = client

    def in_view(self, view: ViewType) -> list[Experiment]:
        """Every experiment in ``view``, by id as the SQL backend orders them, without
        run counts (the API has none)."""
        items = self.client.pages(
            "POST", "experiments/search", "experiments",
            body={"max_results": 1000, "view_type": VIEWS[view]},
        )
        return sorted((decode.experiment(e) for e in items), key=_id_key)

    def get(self, experiment_id: str) -> Experiment:
        try:
            data = self.client.call(
                "GET", "experiments/get", params={"experiment_id": str(experiment_id)}
            )
        except (ResourceNotFound, InvalidValue):
            raise ResourceNotFound(f"No experiment with id {experiment_id!r}") from None
        return decode.experiment(data.get("experiment") or {})

    def by_name(self, name: str) -> Experiment | None:
        """One request (``experiments/get-by-name``), not a listing; None if absent."""
        try:
            data = self.client.call(
                "GET", "experiments/get-by-name", params={"experiment_name": name}
            )
        except (ResourceNotFound, InvalidValue):
            return None
        return decode.experiment(data.get("experiment") or {})

    def logged_models(self, experiment_id: str) -> list[LoggedModel]:
        """MLflow 3's logged models of one experiment, newest first; none from a
        server older than MLflow 3 (it has no such endpoint)."""
        try:
            items = self.client.pages(
                "POST", "logged-models/search", "models",
                body={"experiment_ids": [str(experiment_id)], "max_results": 100},
            )
        except EndpointNotFound:
            return []
        result = [decode.logged_model(item) for item in items]
        result.sort(key=lambda m: m.creation_time or 0, reverse=True)
        return result

    def logged_model(self, model_id: str) -> LoggedModel:
        """One logged model (``GET logged-models/{id}``); ResourceNotFound also from a
        server older than MLflow 3. The id is quoted whole: a hostile ``../x`` stays
        one path segment."""
        try:
            data = self.client.call("GET", f"logged-models/{quote(model_id, safe='')}")
        except EndpointNotFound:
            raise ResourceNotFound(f"Logged model with ID '{model_id}' not found") from None
        return decode.logged_model(data.get("model") or {})


def _id_key(exp: Experiment) -> tuple:
    """Numeric ids in numeric order, then any others (a server may use UUIDs)."""
    try:
        return (0, int(exp.experiment_id), "")
    except ValueError:
        return (1, 0, exp.experiment_id)
