"""Run names and tags on a tracking server, through MLflow's own endpoints
(``runs/update`` with ``run_name``, ``runs/set-tag``, ``runs/delete-tag``).

REST has no transaction: every run is read first (each must exist and be
active, with MLflow's message), so a refused write of 50 runs changes none; a
failure half-way through the requests leaves the earlier runs changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..errors import InvalidValue, ResourceNotFound
from ..tracking_rules import check_tag_name, no_run_tag
from .client import RestClient
from .state import RestState


class RunWrites:
    """``state.top`` is cleared after tag writes (``mlflow.parentRunId`` is a tag);
    ``check_writable(what)`` is the store's read-only guard."""

    def __init__(self, client: RestClient, state: RestState,
                 check_writable: Callable[[str], None]):
        self.client = client
        self.state = state
        self.check_writable = check_writable

    def _infos(self, run_ids: Sequence[str]) -> list[dict]:
        """Each run's JSON (info and data), all read before any write."""

        def get(rid: str) -> dict:
            try:
                return self.client.call("GET", "runs/get", params={"run_id": rid}).get("run") or {}
            except (ResourceNotFound, InvalidValue):
                raise ResourceNotFound(f"Run with id={rid} not found") from None

        with ThreadPoolExecutor(max_workers=4) as pool:
            runs = list(pool.map(get, run_ids))
        for rid, run in zip(run_ids, runs, strict=True):
            stage = (run.get("info") or {}).get("lifecycle_stage") or "active"
            if stage != "active":
                raise InvalidValue(
                    f"The run {rid} must be in the 'active' state. Current state is {stage}."
                )
        return runs

    def rename(self, run_id: str, new_name: str) -> None:
        """As ``MlflowClient.update_run(run_id, name=...)``: the run's status and end
        time sent back unchanged with the new name."""
        self.check_writable("renaming a run")
        (run,) = self._infos([run_id])
        info = run.get("info") or {}
        self.client.call("POST", "runs/update", body={
            "run_id": run_id,
            "run_uuid": run_id,
            "status": info.get("status"),
            "end_time": info.get("end_time"),
            "run_name": new_name,
        })

    def set_tags(self, run_ids: Sequence[str], key: str, value: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        value = str(value)
        check_tag_name(key)
        if not ids:
            return
        self.check_writable(f"setting tag {key} on {len(ids)} run(s)")
        self._infos(ids)
        try:
            for rid in ids:
                self.client.call("POST", "runs/set-tag", body={
                    "run_id": rid, "run_uuid": rid, "key": key, "value": value})
        finally:
            self.state.top.clear()

    def delete_tags(self, run_ids: Sequence[str], key: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        self.check_writable(f"deleting tag {key} of {len(ids)} run(s)")
        runs = self._infos(ids)
        having = [
            rid for rid, run in zip(ids, runs, strict=True)
            if any(t.get("key") == key for t in (run.get("data") or {}).get("tags") or ())
        ]
        if not having:
            raise no_run_tag(key, ids)
        try:
            for rid in having:
                self.client.call("POST", "runs/delete-tag", body={"run_id": rid, "key": key})
        finally:
            self.state.top.clear()
