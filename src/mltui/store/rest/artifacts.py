"""Run and logged-model artifacts from a tracking server.

``file:`` artifact roots that exist on this machine (the server shares its
disk, as on a training box) are read directly. Others go through the server:
``artifacts/list`` for a run's listings, ``/api/2.0/mlflow-artifacts/artifacts/...``
for proxied ``mlflow-artifacts:`` runs (``--serve-artifacts``) or ``/get-artifact``
for the rest; a logged model's through its ``logged-models/<id>/artifacts``
routes. Only the bytes asked for are transferred: reads carry an HTTP Range
header, which the servers of MLflow 3.11 and later honour (``send_file``); an
older server answers with the whole file, which is then read from the start and
the bytes before the range dropped, up to :data:`MAX_SKIP` (the head of any file,
the tail of a small one; the tail of a 500 MB log is refused with one line).
Errors are worded as the local reader words them, so every backend says the same.
"""

from __future__ import annotations

import posixpath
from urllib.parse import quote, urlparse

from ..artifacts import (
    ArtifactReader,
    LocalArtifacts,
    clean_artifact_path,
    existing_local_folder,
    local_root,
    sort_entries,
)
from ..entities import ArtifactEntry, LoggedModel
from ..errors import InvalidValue, ResourceNotFound, StoreError
from . import decode
from .client import API, ARTIFACTS_API, RestClient
from .failures import EndpointNotFound
from .runs import Runs

MAX_SKIP = 32 << 20
"""Bytes a range read may download and drop from a server that ignores Range."""

MODEL_FILES = "/ajax-api/2.0/mlflow/logged-models/{}/artifacts/files"
"""Where a logged model's file is downloaded (MLflow 3 has it under ajax-api only)."""


class Artifacts:
    """The readers of a run's (or logged model's) artifacts on one server."""

    def __init__(self, client: RestClient, runs: Runs):
        self.client = client
        self.runs = runs

    def for_run(self, run_id: str) -> ArtifactReader:
        artifact_uri = self.runs.artifact_uri(run_id)
        if existing_local_folder(artifact_uri) is not None:
            return LocalArtifacts(local_root(artifact_uri))
        return ServerRunArtifacts(self.client, run_id, artifact_uri)

    def for_model(self, model: LoggedModel) -> ArtifactReader:
        location = model.artifact_location
        if location and existing_local_folder(location) is not None:
            return LocalArtifacts(local_root(location))
        return ServerModelArtifacts(self.client, model)


class _ServerReader(ArtifactReader):
    """What the two remote readers share: listings checked, ranges read."""

    client: RestClient

    def _listing(self, rel: str) -> list[ArtifactEntry]:
        raise NotImplementedError

    def _download(self, rel: str) -> list[tuple[str, dict | None]]:
        """(path, params) of the routes that serve the file, best first."""
        raise NotImplementedError

    def entries(self, path: str = "") -> list[ArtifactEntry]:
        rel = clean_artifact_path(path)
        entries = self._listing(rel)
        if rel and not entries:
            # an empty answer for a file or a missing path: say which, as on disk
            found = self._entry(rel)
            if found is None:
                raise ResourceNotFound(f"No artifact at {path}")
            if not found.is_dir:
                raise StoreError(f"{path} is a file, not a folder")
        return entries

    def _entry(self, rel: str) -> ArtifactEntry | None:
        parent = posixpath.dirname(rel)
        return next((e for e in self._listing(parent) if e.path == rel), None)

    def _routes(self, path: str) -> tuple[str, list[tuple[str, dict | None]]]:
        rel = clean_artifact_path(path)
        if not rel:
            raise ResourceNotFound("No artifact file at the artifact root")
        return rel, self._download(rel)

    def size(self, path: str) -> int:
        rel, routes = self._routes(path)
        for route, params in routes:
            try:
                size = self.client.content_length(route, params)
            except EndpointNotFound:
                continue
            except (ResourceNotFound, InvalidValue):
                break
            if size is not None:
                return size
            break
        found = self._entry(rel)  # the listing has the size (one more request)
        if found is None or found.is_dir or found.size is None:
            raise ResourceNotFound(f"No artifact file at {path}")
        return found.size

    def read(self, path: str, offset: int, length: int) -> bytes:
        _, routes = self._routes(path)
        for route, params in routes:
            try:
                return self.client.read_range(route, params, offset, length, MAX_SKIP)
            except EndpointNotFound:
                continue  # no --serve-artifacts route: the next one
            except (ResourceNotFound, InvalidValue):
                break
        raise ResourceNotFound(f"No artifact file at {path}")


class ServerRunArtifacts(_ServerReader):
    """A run's artifacts through the server."""

    def __init__(self, client: RestClient, run_id: str, artifact_uri: str):
        self.client = client
        self.run_id = run_id
        self.uri = artifact_uri

    def _listing(self, rel: str) -> list[ArtifactEntry]:
        items = self.client.pages(
            "GET", "artifacts/list", "files", params={"run_id": self.run_id, "path": rel or None}
        )
        return sort_entries([decode.artifact_entry(item) for item in items])

    def _download(self, rel: str) -> list[tuple[str, dict | None]]:
        routes: list[tuple[str, dict | None]] = []
        parsed = urlparse(self.uri)
        if parsed.scheme == "mlflow-artifacts":
            root = parsed.path.strip("/")
            routes.append((f"{ARTIFACTS_API}/{quote(f'{root}/{rel}' if root else rel)}", None))
        routes.append(("/get-artifact", {"run_id": self.run_id, "path": rel}))
        return routes


class ServerModelArtifacts(_ServerReader):
    """An MLflow 3 logged model's artifacts through the server's logged-model routes
    (they resolve proxied and direct locations alike)."""

    def __init__(self, client: RestClient, model: LoggedModel):
        self.client = client
        self.model_id = model.model_id
        self.uri = model.artifact_location or f"models:/{model.model_id}"

    def _listing(self, rel: str) -> list[ArtifactEntry]:
        try:
            data = self.client.call(
                "GET", f"{API}/logged-models/{quote(self.model_id)}/artifacts/directories",
                params={"artifact_directory_path": rel or None},
            )
        except EndpointNotFound:
            raise StoreError("This server has no logged-model artifacts (MLflow 3 has them)") \
                from None
        entries = []
        for item in data.get("files") or ():
            entry = decode.artifact_entry(item)
            # the server lists names relative to the folder asked; keep them relative to
            # the model's root as every other reader does
            name = entry.path.rsplit("/", 1)[-1]
            full = f"{rel}/{name}" if rel and not entry.path.startswith(rel + "/") else entry.path
            entries.append(ArtifactEntry(full, entry.is_dir, entry.size))
        return sort_entries(entries)

    def _download(self, rel: str) -> list[tuple[str, dict | None]]:
        return [(MODEL_FILES.format(quote(self.model_id)), {"artifact_file_path": rel})]
