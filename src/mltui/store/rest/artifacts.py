"""Run artifacts from a tracking server.

``file:`` artifact roots that exist on this machine (the server shares its
disk, as on a training box) are read directly. Others go through the server:
``artifacts/list`` for listings, and ``/api/2.0/mlflow-artifacts/artifacts/...``
for proxied ``mlflow-artifacts:`` runs (``--serve-artifacts``) or
``/get-artifact`` for the rest; only the first ``max_bytes`` are transferred.
Errors are worded as the local reader words them, so every backend says the same.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote, urlparse

from ..artifacts import (
    clean_artifact_path,
    existing_local_folder,
    list_local_artifacts,
    read_local_artifact,
)
from ..entities import ArtifactEntry
from ..errors import InvalidValue, ResourceNotFound, StoreError
from . import decode
from .client import ARTIFACTS_API, RestClient
from .failures import EndpointNotFound
from .runs import Runs


class Artifacts:
    """Artifact listings and reads; ``runs`` tells where a run's artifacts live."""

    def __init__(self, client: RestClient, runs: Runs):
        self.client = client
        self.runs = runs

    def entries(self, run_id: str, path: str) -> list[ArtifactEntry]:
        """Entries directly under ``path``, folders first."""
        rel = clean_artifact_path(path)
        artifact_uri = self.runs.artifact_uri(run_id)
        if existing_local_folder(artifact_uri) is not None:
            return list_local_artifacts(artifact_uri, path)
        entries = self._remote_listing(run_id, rel)
        if rel and not entries:
            # an empty answer for a file or a missing path: say which, as on disk
            parent = posixpath.dirname(rel)
            found = next((e for e in self._remote_listing(run_id, parent) if e.path == rel), None)
            if found is None:
                raise ResourceNotFound(f"No artifact at {path}")
            if not found.is_dir:
                raise StoreError(f"{path} is a file, not a folder")
        return entries

    def _remote_listing(self, run_id: str, rel: str) -> list[ArtifactEntry]:
        items = self.client.pages(
            "GET", "artifacts/list", "files", params={"run_id": run_id, "path": rel or None}
        )
        entries = [decode.artifact_entry(item) for item in items]
        return sorted(entries, key=lambda e: (not e.is_dir, e.path.lower()))

    def read(self, run_id: str, path: str, max_bytes: int) -> bytes:
        """The first ``max_bytes`` of one artifact file."""
        rel = clean_artifact_path(path)
        artifact_uri = self.runs.artifact_uri(run_id)
        if existing_local_folder(artifact_uri) is not None:
            return read_local_artifact(artifact_uri, path, max_bytes)
        if not rel:
            raise ResourceNotFound(f"No artifact file at {path}")
        try:
            parsed = urlparse(artifact_uri)
            if parsed.scheme == "mlflow-artifacts":
                root = parsed.path.strip("/")
                target = quote(f"{root}/{rel}" if root else rel)
                try:
                    return self.client.read_bytes(f"{ARTIFACTS_API}/{target}", None, max_bytes)
                except EndpointNotFound:
                    pass  # no --serve-artifacts route: let the server resolve the run
            return self.client.read_bytes(
                "/get-artifact", {"run_id": run_id, "path": rel}, max_bytes
            )
        except (ResourceNotFound, InvalidValue, EndpointNotFound):
            raise ResourceNotFound(f"No artifact file at {path}") from None
