"""Deleting and restoring runs on a tracking server, through MLflow's own
endpoints (so the server sets ``deleted_time`` as ``MlflowClient`` would).

REST has no transaction: all runs are checked to exist first (nothing changes
if one is missing), then each is changed with its own request; a failure
half-way leaves the earlier ones changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from ..errors import InvalidValue, ResourceNotFound
from .client import RestClient
from .state import RestState


class RunLifecycle:
    """Soft-delete and restore. ``check_writable(what)`` is the store's read-only
    guard; ``state.top`` is cleared, since which runs are top-level changes."""

    def __init__(
        self, client: RestClient, state: RestState, check_writable: Callable[[str], None]
    ):
        self.client = client
        self.state = state
        self.check_writable = check_writable

    def delete(self, run_ids: Sequence[str]) -> None:
        """Soft-delete as ``MlflowClient.delete_run`` (the server sets deleted_time)."""
        self._set(run_ids, "runs/delete", "deleting runs")

    def restore(self, run_ids: Sequence[str]) -> None:
        self._set(run_ids, "runs/restore", "restoring runs")

    def _set(self, run_ids: Sequence[str], endpoint: str, what: str) -> None:
        ids = list(dict.fromkeys(run_ids))
        if not ids:
            return
        self.check_writable(what)

        def exists(rid: str) -> str | None:
            try:
                self.client.call("GET", "runs/get", params={"run_id": rid})
            except (ResourceNotFound, InvalidValue):
                return rid
            return None

        with ThreadPoolExecutor(max_workers=4) as pool:
            missing = [rid for rid in pool.map(exists, ids) if rid]
        if missing:
            raise ResourceNotFound(f"Run with id={missing[0]} not found; nothing was changed")
        self.state.top.clear()
        try:
            for rid in ids:
                self.client.call("POST", endpoint, body={"run_id": rid})
        finally:
            self.state.top.clear()
